"""Pure: the vendor's health over recent jobs (how many made a video, how many failed at the vendor, how long
one took, what went wrong last), derived from the job table so it is the same in every process sharing it."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from bot.store import EndedJob, JobStatus

# How a failed job ended when the vendor (not Discord, not a restart, not a Cancel) decided it.
VENDOR_FAILURES: Final = frozenset({"refused", "auth", "busy", "unavailable", "timeout", "failed"})


@dataclass(frozen=True, slots=True)
class VendorHealth:
    """The vendor's outcomes over a window."""

    made: int = 0
    refused: int = 0  # the vendor declined the prompt or picture (its policy, not an outage)
    failed: int = 0  # every other vendor-side failure
    p50_seconds: float | None = None  # median time from the vendor call to the video, for videos made
    last_error_kind: str | None = None
    last_error_at: datetime | None = None

    @property
    def answered(self) -> int:
        """Jobs the vendor decided."""
        return self.made + self.refused + self.failed

    @property
    def success_percent(self) -> int | None:
        """Share of decided jobs that made a video, rounded down (None when none was decided)."""
        return None if not self.answered else self.made * 100 // self.answered


def vendor_health(ended: Sequence[EndedJob]) -> VendorHealth:
    """The health shown by /videobot status, from jobs that ended in the window, newest first."""
    took = [
        (job.finished_at - (job.started_at or job.created_at)).total_seconds()
        for job in ended if job.status is JobStatus.SUCCEEDED
    ]
    failures = [j for j in ended if j.status is JobStatus.FAILED and j.error_kind in VENDOR_FAILURES]
    last = failures[0] if failures else None
    return VendorHealth(
        made=len(took),
        refused=sum(1 for j in failures if j.error_kind == "refused"),
        failed=sum(1 for j in failures if j.error_kind != "refused"),
        p50_seconds=statistics.median(took) if took else None,
        last_error_kind=last.error_kind if last else None,
        last_error_at=last.finished_at if last else None,
    )
