"""The operator's side of the settings: what videos cost (VIDEO_PRICES over the provider profile's [prices]),
the key that seals servers' own API keys (SERVER_KEY_SECRET), and who owns the bot besides the application's
owner (OWNER_IDS). Read through load_settings' reader, so a mistake is reported like any other setting's."""

from __future__ import annotations

from typing import Protocol, TypedDict

from bot.core.catalog import ProviderProfile
from bot.core.money import PriceTable, parse_amount
from bot.core.secret import Secret
from bot.core.secretbox import GENERATE_HINT, is_valid_secret


class Reader(Protocol):
    """What this needs of load_settings' reader."""

    def csv(self, name: str, *, default: tuple[str, ...]) -> tuple[str, ...]: ...
    def text(self, name: str, *, default: str) -> str: ...
    def report(self, name: str, problem: str) -> None: ...


class OperatorSettings(TypedDict):
    """The fields of Settings read here."""

    prices: PriceTable
    server_key_secret: Secret
    owner_ids: frozenset[int]


def read_operator_settings(env: Reader, provider: ProviderProfile) -> OperatorSettings:
    """Read VIDEO_PRICES, SERVER_KEY_SECRET and OWNER_IDS; each mistake is reported, naming its variable."""
    return OperatorSettings(
        prices=provider.prices.overridden(_prices(env, "VIDEO_PRICES", provider)),
        server_key_secret=_fernet_secret(env, "SERVER_KEY_SECRET"),
        owner_ids=frozenset(_user_ids(env, "OWNER_IDS")),
    )


def _prices(env: Reader, name: str, provider: ProviderProfile) -> dict[str, int]:
    prices: dict[str, int] = {}
    for item in env.csv(name, default=()):
        model, _, amount = item.partition("=")
        model = model.strip()
        if not provider.has_model(model):
            env.report(name, f"prices '{model}', which the {provider.name} provider doesn't offer")
            continue
        try:
            prices[model] = parse_amount(amount)
        except ValueError as error:
            env.report(name, f"prices {model} with {error} (write model=0.15, comma-separated)")
    return prices


def _fernet_secret(env: Reader, name: str) -> Secret:
    # Never echo the value in a problem: it is a secret.
    value = env.text(name, default="")
    if value and not is_valid_secret(value):
        env.report(name, f"is not a Fernet key (32 bytes in URL-safe base64); make one with {GENERATE_HINT}")
        return Secret("")
    return Secret(value)


def _user_ids(env: Reader, name: str) -> list[int]:
    ids = []
    for value in env.csv(name, default=()):
        if not value.isdigit():
            env.report(name, f"has '{value}', which is not a numeric Discord user ID")
            continue
        ids.append(int(value))
    return ids
