"""Pure money arithmetic: amounts are whole micro-units (a millionth of the currency) in an int, parsed from
and written as exact decimals. Never a float: a price of 0.15 times a thousand videos is 150, not 149.99…"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

MICROS: Final = 1_000_000
_SYMBOLS: Final[dict[str, str]] = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥"}
_MAX_PRICE: Final = Decimal(1_000_000)  # a price per video above a million is a typo, not a price


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in one currency, in micro-units."""

    micros: int
    currency: str

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.micros + other.micros, self.currency)

    def times(self, count: int) -> Money:
        """This amount `count` times."""
        return Money(self.micros * count, self.currency)

    def as_decimal(self) -> Decimal:
        """The exact amount (for a metric or a report that wants a number)."""
        return Decimal(self.micros) / MICROS

    def __str__(self) -> str:
        """'$0.15', '¥1.20', '0.0025 CHF': cents when they say it exactly enough, more digits when they don't."""
        amount = self.as_decimal()
        cents = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        shown = cents if cents == amount or abs(amount) >= 1 else amount.normalize()
        text = f"{shown:f}"
        if "." in text and len(text.split(".")[1]) == 1:
            text += "0"
        symbol = _SYMBOLS.get(self.currency)
        return f"{symbol}{text}" if symbol else f"{text} {self.currency}"


def zero(currency: str) -> Money:
    """Nothing, in `currency`."""
    return Money(0, currency)


def total(amounts: Iterable[Money], currency: str) -> Money:
    """The sum of `amounts` (all in `currency`)."""
    result = zero(currency)
    for amount in amounts:
        result = result + amount
    return result


def parse_amount(text: str) -> int:
    """'0.15' → 150000 micros. ValueError (with a sentence) for anything but a plain non-negative decimal."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"'{text}' is not an amount like 0.15") from None
    if not value.is_finite() or value < 0 or value > _MAX_PRICE:
        raise ValueError(f"'{text}' is not an amount between 0 and {_MAX_PRICE}")
    micros = value * MICROS
    if micros != micros.to_integral_value():
        raise ValueError(f"'{text}' has more than six decimals")
    return int(micros)


def is_currency(code: str) -> bool:
    """Whether `code` looks like an ISO 4217 code (three capital letters)."""
    return len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


@dataclass(frozen=True, slots=True)
class PriceTable:
    """What one video of each model costs at the vendor; a model without a price has an unknown cost."""

    currency: str = "USD"
    per_video: tuple[tuple[str, int], ...] = ()  # (model, micros), sorted by model

    @classmethod
    def of(cls, currency: str, prices: dict[str, int]) -> PriceTable:
        """A table from a mapping of model to micros."""
        return cls(currency, tuple(sorted(prices.items())))

    def price_of(self, model: str) -> Money | None:
        """One video of `model`, or None when no price is known."""
        micros = dict(self.per_video).get(model)
        return None if micros is None else Money(micros, self.currency)

    def overridden(self, prices: dict[str, int]) -> PriceTable:
        """This table with some models' prices replaced or added."""
        return PriceTable.of(self.currency, {**dict(self.per_video), **prices})
