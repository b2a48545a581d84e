"""The operator's settings: the listener is off unless asked for, on loopback unless told otherwise; bad values
are refused with a sentence naming the variable."""

from __future__ import annotations

import pytest

from bot.core.config import ConfigError, load_settings

VALID = {"DISCORD_TOKEN": "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.secret", "VIDEO_API_KEY": "sk-live-key-123456"}


def test_the_listener_is_opt_in_and_on_loopback() -> None:
    default = load_settings(VALID, env_file=None)
    assert default.http_port is None and default.http_host == "127.0.0.1" and default.log_format == "text"
    chosen = load_settings({**VALID, "HTTP_PORT": "9100", "HTTP_HOST": "0.0.0.0", "LOG_FORMAT": "JSON"},
                           env_file=None)
    assert (chosen.http_port, chosen.http_host, chosen.log_format) == (9100, "0.0.0.0", "json")


@pytest.mark.parametrize(("name", "value", "says"), [
    ("HTTP_PORT", "80000", "HTTP_PORT must be at most 65535, not 80000"),
    ("HTTP_PORT", "web", "HTTP_PORT must be a whole number, not 'web'"),
    ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of text, json, not 'xml'"),
    ("DISCORD_SHARD_IDS", "claim", "DISCORD_SHARD_IDS is claim, which needs DISCORD_SHARD_COUNT set to a number and "
                                   "DATABASE_URL"),
])
def test_bad_values_are_named(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({**VALID, name: value}, env_file=None)
    assert says in str(error.value)


def test_claim_with_postgresql_leaves_the_shard_to_the_start() -> None:
    settings = load_settings({**VALID, "DISCORD_SHARD_IDS": "claim", "DISCORD_SHARD_COUNT": "3",
                              "DATABASE_URL": "postgresql://videobot:pw@db:5432/videobot"}, env_file=None)
    assert settings.claim_shard and settings.shard_ids is None and settings.shard_count == 3
