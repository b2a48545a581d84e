"""Money is exact: prices parse from decimal strings, add up without float error, and read as people write them."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet

from bot.core.catalog import ProfileError, load_profile
from bot.core.config import ConfigError, load_settings
from bot.core.logs import RedactSecrets, register_secret
from bot.core.money import Money, PriceTable, parse_amount, total
from bot.core.secretbox import SecretBox, SecretBoxError

BASE = {"DISCORD_TOKEN": "t" * 20, "VIDEO_API_KEY": "k" * 20}


def test_a_thousand_videos_at_fifteen_cents_cost_exactly_150_dollars() -> None:
    price = Money(parse_amount("0.15"), "USD")
    assert total([price] * 1000, "USD") == Money(150_000_000, "USD") == price.times(1000)
    assert str(price.times(1000)) == "$150.00"


@pytest.mark.parametrize(("micros", "currency", "shown"), [
    (150_000, "USD", "$0.15"), (1_500_000, "EUR", "€1.50"), (2_500, "USD", "$0.0025"), (0, "USD", "$0.00"),
    (1_200_000, "CHF", "1.20 CHF"),
])
def test_amounts_read_as_people_write_them(micros: int, currency: str, shown: str) -> None:
    assert str(Money(micros, currency)) == shown


def test_currencies_never_mix() -> None:
    with pytest.raises(ValueError, match="cannot add EUR to USD"):
        Money(1, "USD") + Money(1, "EUR")


@pytest.mark.parametrize("text", ["abc", "-1", "0.1234567", "NaN", "1e9"])
def test_an_amount_that_is_not_a_price_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


def test_the_kkiai_preset_prices_sora_2_and_leaves_the_rest_unknown() -> None:
    prices = load_profile("kkiai").prices
    assert prices.price_of("sora-2") == Money(150_000, "USD")
    assert prices.price_of("veo3.1-fast") is None


def test_a_profile_price_written_as_a_float_is_refused_in_a_sentence(tmp_path) -> None:
    profile = tmp_path / "mine.toml"
    profile.write_text('extends = "kkiai"\n[prices]\nper_video = { "sora-2" = 0.15 }\n')
    with pytest.raises(ProfileError, match=r"prices sora-2 with 0.15; write the amount as a string"):
        load_profile(str(profile))
    profile.write_text('extends = "kkiai"\ndrop_models = ["grok"]\n[prices]\ncurrency = "EUR"\n'
                       'per_video = { "grok" = "0.05", "veo3.1-fast" = "0.40" }\n')
    prices = load_profile(str(profile)).prices
    assert (prices.currency, prices.price_of("veo3.1-fast"), prices.price_of("grok")) == (
        "EUR", Money(400_000, "EUR"), None)


def test_video_prices_override_the_profile_and_name_their_mistakes() -> None:
    settings = load_settings({**BASE, "VIDEO_PRICES": "sora-2=0.20, grok=0.05"}, env_file=None)
    assert settings.prices == PriceTable.of("USD", {"sora-2": 200_000, "grok": 50_000})
    with pytest.raises(ConfigError) as error:
        load_settings({**BASE, "VIDEO_PRICES": "sora-2=cheap,flux=1"}, env_file=None)
    assert [p.variable for p in error.value.problems] == ["VIDEO_PRICES", "VIDEO_PRICES"]
    assert "'flux', which the kkiai provider doesn't offer" in str(error.value)


def test_server_key_secret_must_be_a_fernet_key_and_is_never_echoed() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({**BASE, "SERVER_KEY_SECRET": "hunter2-hunter2"}, env_file=None)
    assert "SERVER_KEY_SECRET is not a Fernet key" in str(error.value) and "hunter2" not in str(error.value)
    secret = Fernet.generate_key().decode()
    settings = load_settings({**BASE, "SERVER_KEY_SECRET": secret, "OWNER_IDS": "12, 34"}, env_file=None)
    assert settings.server_key_secret.reveal() == secret and secret not in repr(settings)
    assert settings.owner_ids == frozenset({12, 34})


def test_a_sealed_key_opens_only_with_its_secret() -> None:
    box = SecretBox(Fernet.generate_key().decode())
    sealed = box.seal("sk-server-key-1234")
    assert "sk-server-key" not in sealed and box.seal("sk-server-key-1234") != sealed
    assert box.open(sealed) == "sk-server-key-1234"
    with pytest.raises(SecretBoxError):
        SecretBox(Fernet.generate_key().decode()).open(sealed)


def test_a_secret_learnt_while_running_is_scrubbed_from_every_record() -> None:
    scrub = RedactSecrets(["bot-token-0123456789"])
    register_secret("sk-learnt-later-98765")
    record = logging.LogRecord("x", logging.INFO, "f", 1, "sent %s with %s", ("sk-learnt-later-98765", "ok"), None)
    scrub.filter(record)
    assert record.getMessage() == "sent ******** with ok"
