"""The calendar periods a quota can run over."""

from __future__ import annotations

from typing import Final, Literal

Period = Literal["day", "week", "month"]
PERIODS: Final[tuple[Period, ...]] = ("day", "week", "month")
