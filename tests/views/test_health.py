"""The vendor's health, from how recent jobs ended: only the vendor's outcomes count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store import EndedJob, JobStatus
from bot.views.health import VendorHealth, vendor_health

T0 = datetime(2026, 11, 23, 12, tzinfo=UTC)


def ended(status: JobStatus, kind: str | None = None, took: float = 60, at_minute: int = 0) -> EndedJob:
    finished = T0 + timedelta(minutes=at_minute)
    return EndedJob(status, kind, finished - timedelta(seconds=took), finished - timedelta(seconds=took + 5), finished)


def test_made_refused_failed_median_and_last_error() -> None:
    jobs = [  # newest first, as the store returns them
        ended(JobStatus.SUCCEEDED, took=130, at_minute=50),
        ended(JobStatus.FAILED, "busy", at_minute=40),
        ended(JobStatus.CANCELLED, "cancelled", at_minute=35),  # a member's choice, not the vendor's
        ended(JobStatus.FAILED, "undelivered", at_minute=30),  # Discord's refusal, not the vendor's
        ended(JobStatus.FAILED, "refused", at_minute=20),
        ended(JobStatus.SUCCEEDED, took=70, at_minute=10),
        ended(JobStatus.SUCCEEDED, took=100, at_minute=5),
    ]
    health = vendor_health(jobs)
    assert health == VendorHealth(made=3, refused=1, failed=1, p50_seconds=100, last_error_kind="busy",
                                  last_error_at=T0 + timedelta(minutes=40))
    assert health.success_percent == 60


def test_a_quiet_hour_has_no_rate() -> None:
    assert vendor_health([]).success_percent is None
    assert vendor_health([ended(JobStatus.CANCELLED, "cancelled")]).answered == 0
