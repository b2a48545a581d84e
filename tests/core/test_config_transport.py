"""Settings that carry a secret (the bot token, the API key) refuse plain http to a public host: across a
network the secret would travel in clear. Loopback and private addresses stay allowed (the stand-in Discord,
the simulator, a rate-limit proxy beside the bot)."""

from __future__ import annotations

import pytest

from bot.core.config import ConfigError, load_settings
from bot.core.urls import is_local_host

VALID = {"DISCORD_TOKEN": "MTIz.token.secret", "VIDEO_API_KEY": "sk-secret-key"}
HINT = "Set it in .env (see .env.example) or in the environment."


@pytest.mark.parametrize(
    ("name", "url", "carries"),
    [
        ("DISCORD_API_BASE_URL", "http://proxy.example.com/api/v10", "the bot token"),
        ("DISCORD_API_BASE_URL", "http://93.184.215.14:8080/api/v10", "the bot token"),
        ("DISCORD_API_BASE_URL", "http://[2606:4700::1111]/api/v10", "the bot token"),
        ("DISCORD_GATEWAY_URL", "ws://gateway.example.com", "the bot token"),
        ("VIDEO_API_BASE_URL", "http://video.example.com", "the API key"),
    ],
)
def test_plain_http_to_a_public_host_is_refused_in_one_sentence(name: str, url: str, carries: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**VALID, name: url}, env_file=None)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{name} would send {carries} in clear to the public host ")
    assert "s:// (" in line and "only to loopback or a private address). " + HINT in line
    assert "secret" not in line  # no secret is echoed


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/api/v10", "http://localhost:8080/api/v10", "http://[::1]:9000/api/v10",
        "http://10.0.0.5/api/v10", "http://192.168.1.20/api/v10", "http://172.20.0.3:8080/api/v10",
        "http://nirn-proxy:8080/api/v10", "http://proxy.internal/api/v10", "https://proxy.example.com/api/v10",
    ],
)
def test_a_proxy_on_this_machine_or_its_network_or_over_https_is_accepted(url: str) -> None:
    settings = load_settings({**VALID, "DISCORD_API_BASE_URL": url, "VIDEO_API_BASE_URL": url,
                              "DISCORD_GATEWAY_URL": url.replace("http", "ws", 1)}, env_file=None)
    assert settings.discord_api_base_url == url and settings.video_api_base_url == url


def test_a_provider_profile_with_plain_http_to_a_public_host_is_refused(tmp_path) -> None:
    profile = tmp_path / "cheap.toml"
    profile.write_text('extends = "kkiai"\nbase_url = "http://cheap-reseller.example.com"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings({**VALID, "VIDEO_PROVIDER": str(profile)}, env_file=None)
    assert "has a base_url that would send the API key in clear to a public host: use https://" in str(caught.value)


@pytest.mark.parametrize("host", ["100.64.0.1", "8.8.8.8", "example.com", "[::ffff:8.8.8.8]", "", "fe80::1x"])
def test_hosts_that_are_not_local(host: str) -> None:
    assert not is_local_host(host)
