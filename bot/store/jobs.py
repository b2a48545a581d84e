"""Job rows and their state transitions."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime

from bot.core.scrub import scrub
from bot.store.database import Database, Row, at, from_epoch, to_epoch
from bot.store.models import Job, JobParams, JobStatus, Shown

_UNFINISHED = "('queued', 'running')"


def job_from_row(row: Row) -> Job:
    return Job(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        conversation_id=row["conversation_id"],
        request_turn_id=row["request_turn_id"],
        result_turn_id=row["result_turn_id"],
        status=JobStatus(row["status"]),
        model=row["model"],
        params=JobParams.from_json(row["params"]),
        task_id=row["task_id"],
        progress=row["progress"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        error=row["error"],
        error_kind=row["error_kind"],
        cancelled_by=row["cancelled_by"],
        cost=row["cost"],
        attempts=row["attempts"],
        created_at=at(row["created_at"]),
        started_at=from_epoch(row["started_at"]),
        finished_at=from_epoch(row["finished_at"]),
        remix_number=row["remix_number"],
        quota_note=row["quota_note"],
        post_channel_id=row["post_channel_id"],
        post_message_id=row["post_message_id"],
        cancel_requested_by=row["cancel_requested_by"],
        delivered_to=row["delivered_to"],
        owner=row["owner"],
        heartbeat_at=from_epoch(row["heartbeat_at"]),
        shown=Shown(
            video_attached=bool(row["video_attached"]),
            attached_preview=row["attached_preview"],
            reencoded_for=row["reencoded_for"],
            too_large_limit=row["too_large_limit"],
            fit_failed=bool(row["fit_failed"]),
            trimmed_to=row["trimmed_to"],
            link_gone=bool(row["link_gone"]),
            service_note=row["service_note"],
        ),
        button_key=row["button_key"],
        link_checked_at=from_epoch(row["link_checked_at"]),
        sending_at=from_epoch(row["sending_at"]),
        failure_code=row["failure_code"],
        vendor_billing=row["vendor_billing"],
    )


def new_button_key() -> str:
    """A job's key for its custom IDs: 96 random bits, so a job cannot be named by guessing."""
    return secrets.token_urlsafe(12)


class Jobs:
    """Every generation the bot accepted, written before the API is called."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        guild_id: int,
        user_id: int,
        model: str,
        params: JobParams,
        cost: int,
        conversation_id: int | None = None,
        request_turn_id: int | None = None,
        channel_id: int | None = None,
        message_id: int | None = None,
        remix_number: int | None = None,
        post_channel_id: int | None = None,
    ) -> Job:
        """Record an accepted job as queued."""
        job_id = await self._db.insert(
            "INSERT INTO jobs (guild_id, user_id, conversation_id, request_turn_id, model, params, cost,"
            " channel_id, message_id, remix_number, post_channel_id, created_at, button_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id, user_id, conversation_id, request_turn_id, model, params.to_json(), cost,
                channel_id, message_id, remix_number, post_channel_id, self._db.now(), new_button_key(),
            ),
        )
        return await self.get(job_id)

    async def get(self, job_id: int) -> Job:
        """The job with this id (it must exist)."""
        row = await self._db.fetch_one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            raise LookupError(f"no job {job_id}")
        return job_from_row(row)

    async def by_message(self, message_id: int) -> Job | None:
        """The job whose progress message this is."""
        row = await self._db.fetch_one(
            "SELECT * FROM jobs WHERE message_id = ? ORDER BY id DESC LIMIT 1", (message_id,)
        )
        return None if row is None else job_from_row(row)

    async def set_post(self, job_id: int, channel_id: int, message_id: int) -> None:
        """The post the video answers exists: from now on a restart can tell the member what happened."""
        await self._db.execute(
            "UPDATE jobs SET post_channel_id = ?, post_message_id = ? WHERE id = ?", (channel_id, message_id, job_id)
        )

    async def set_thread(self, job_id: int, thread_id: int) -> None:
        """The thread the progress message will live in exists."""
        await self._db.execute("UPDATE jobs SET channel_id = ? WHERE id = ?", (thread_id, job_id))

    async def move_message(self, job_id: int, channel_id: int, message_id: int) -> None:
        """The final state was shown in a new message: buttons and replies now point there."""
        await self._db.execute(
            "UPDATE jobs SET channel_id = ?, message_id = ? WHERE id = ?", (channel_id, message_id, job_id)
        )

    async def claim_link_check(self, job_id: int, *, not_since: datetime) -> bool:
        """Note that Refresh link asks the vendor now; False (and nothing noted) when it last asked after
        `not_since`. One statement, so two clicks at once (or two processes) ask once."""
        changed = await self._db.execute(
            "UPDATE jobs SET link_checked_at = ? WHERE id = ? AND (link_checked_at IS NULL OR link_checked_at <= ?)",
            (self._db.now(), job_id, to_epoch(not_since)),
        )
        return changed == 1

    async def request_cancel(self, job_id: int, by_user_id: int) -> bool:
        """Record a Cancel; False when it comes too late (the job ended, or its video is already made)."""
        changed = await self._db.execute(
            "UPDATE jobs SET cancel_requested_by = COALESCE(cancel_requested_by, ?)"
            f" WHERE id = ? AND status IN {_UNFINISHED} AND result_turn_id IS NULL",
            (by_user_id, job_id),
        )
        return changed == 1

    async def attach(
        self,
        job_id: int,
        *,
        conversation_id: int,
        request_turn_id: int,
        channel_id: int,
        message_id: int,
    ) -> None:
        """Tie a job to its conversation, the turn it answers and its progress message."""
        await self._db.execute(
            "UPDATE jobs SET conversation_id = ?, request_turn_id = ?, channel_id = ?, message_id = ? WHERE id = ?",
            (conversation_id, request_turn_id, channel_id, message_id, job_id),
        )

    async def set_quota_note(self, job_id: int, note: str | None) -> None:
        """What the member has left, known once the charge is made (inside the admission transaction)."""
        await self._db.execute("UPDATE jobs SET quota_note = ? WHERE id = ?", (note, job_id))

    async def mark_running(self, job_id: int) -> None:
        """The API is about to be called (again): count the attempt."""
        await self._db.execute(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, ?)"
            f" WHERE id = ? AND status IN {_UNFINISHED}",
            (self._db.now(), job_id),
        )

    async def mark_sending(self, job_id: int, owner: str) -> bool:
        """Record that the job's generation request is about to leave, before it leaves; False: it must not.

        One statement, so the mark and its conditions are one transaction: the job is still running, still
        this process's (`owner`), not cancelled, and not sent before. A restart reads the mark: without it the
        job never reached the vendor and is simply run; with it, it may have, and is not sent again.
        """
        changed = await self._db.execute(
            "UPDATE jobs SET sending_at = ? WHERE id = ? AND status = 'running' AND owner = ?"
            " AND cancel_requested_by IS NULL AND sending_at IS NULL AND task_id IS NULL",
            (self._db.now(), job_id, owner),
        )
        return changed == 1

    async def set_task_id(self, job_id: int, task_id: str) -> None:
        """Save the vendor's task ID the moment it is known: it is what a restart resumes from."""
        await self._db.execute("UPDATE jobs SET task_id = ? WHERE id = ?", (task_id, job_id))

    async def set_progress(self, job_id: int, progress: int) -> None:
        """Remember the last percentage, so a resumed job does not start its bar from zero."""
        await self._db.execute("UPDATE jobs SET progress = ? WHERE id = ?", (progress, job_id))

    async def set_result_turn(self, job_id: int, turn_id: int) -> bool:
        """Keep the finished video's turn before delivering it: a restart then re-delivers, never regenerates.

        False when a Cancel was recorded first: the cancel wins, and the video is not delivered.
        """
        changed = await self._db.execute(
            "UPDATE jobs SET result_turn_id = ? WHERE id = ? AND cancel_requested_by IS NULL", (turn_id, job_id)
        )
        return changed == 1

    async def finish(
        self,
        job_id: int,
        status: JobStatus,
        *,
        error: str | None = None,
        error_kind: str | None = None,
        result_turn_id: int | None = None,
        cancelled_by: int | None = None,
        delivered_to: str | None = None,
        failure_code: str | None = None,
        vendor_billing: str | None = None,
    ) -> bool:
        """Move an unfinished job to a final status; False if it had already finished (first one wins).

        A job that ended without a video keeps the vendor's code and what the vendor likely billed for it."""
        if not status.finished:
            raise ValueError(f"{status} is not a final status")
        error = scrub(error) if error else error  # often the vendor's words: no secret is ever stored
        changed = await self._db.execute(
            "UPDATE jobs SET status = ?, error = ?, error_kind = ?, result_turn_id = COALESCE(?, result_turn_id),"
            " cancelled_by = ?, delivered_to = ?, failure_code = ?, vendor_billing = ?,"
            f" finished_at = ? WHERE id = ? AND status IN {_UNFINISHED}",
            (str(status), error, error_kind, result_turn_id, cancelled_by, delivered_to, failure_code,
             vendor_billing, self._db.now(), job_id),
        )
        return changed == 1

    async def record_shown(self, job_id: int, shown: Shown) -> None:
        """Keep what a finished video's message showed, so that it can be shown again exactly."""
        await self._db.execute(
            "UPDATE jobs SET video_attached = ?, attached_preview = ?, reencoded_for = ?, too_large_limit = ?,"
            " fit_failed = ?, trimmed_to = ?, link_gone = ?, service_note = ? WHERE id = ?",
            (
                int(shown.video_attached), shown.attached_preview, shown.reencoded_for, shown.too_large_limit,
                int(shown.fit_failed), shown.trimmed_to, int(shown.link_gone), shown.service_note, job_id,
            ),
        )

    async def unfinished(self, up_to_id: int | None = None) -> list[Job]:
        """Jobs still queued or running, oldest first, optionally only those up to an id (what start-up resumes)."""
        rows = await self._db.fetch_all(
            f"SELECT * FROM jobs WHERE status IN {_UNFINISHED} AND id <= ? ORDER BY id",
            (up_to_id if up_to_id is not None else 2**63 - 1,),
        )
        return [job_from_row(row) for row in rows]

    async def places_in_line(self, job_ids: Collection[int]) -> dict[int, tuple[int, int]]:
        """Where each of `job_ids` still waiting stands in the one line of every process sharing the database:
        (its place among all the jobs waiting, its place among its server's), oldest first. A job waits from
        when its progress message is up until it starts (`queued`, with a message)."""
        if not job_ids:
            return {}
        marks = ", ".join("?" for _ in job_ids)
        rows = await self._db.fetch_all(
            "SELECT id, in_bot, in_server FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS in_bot,"
            " ROW_NUMBER() OVER (PARTITION BY guild_id ORDER BY id) AS in_server FROM jobs"
            # Only the unfinished jobs are read, through their partial index: `status IN` is spelled as the index
            # says it, and the unary + keeps SQLite from walking every message's job by `jobs_by_message`.
            f" WHERE status IN {_UNFINISHED} AND status = 'queued' AND +message_id IS NOT NULL) AS line"
            f" WHERE id IN ({marks})",
            tuple(job_ids),
        )
        return {int(row[0]): (int(row[1]), int(row[2])) for row in rows}

    async def generating(self, *, guild_id: int | None = None, user_id: int | None = None) -> int:
        """Videos generating now, counted across every process sharing the database: all of them, a server's,
        or one member's in a server. A job counts from the moment it starts running until it ends."""
        where, params = "status = 'running'", []
        if guild_id is not None:
            where, params = where + " AND guild_id = ?", [guild_id]
        if user_id is not None:
            where, params = where + " AND user_id = ?", [*params, user_id]
        return int(await self._db.fetch_value(f"SELECT COUNT(*) FROM jobs WHERE {where}", params))

    async def vendor_billing(self, guild_id: int, since: datetime) -> dict[str, int]:
        """A server's videos that ended without one since a moment, counted by what the vendor likely billed."""
        rows = await self._db.fetch_all(
            "SELECT vendor_billing AS billing, COUNT(*) AS n FROM jobs"
            " WHERE guild_id = ? AND vendor_billing IS NOT NULL AND finished_at >= ?"
            " GROUP BY vendor_billing",
            (guild_id, to_epoch(since)),
        )
        return {str(row["billing"]): int(row["n"]) for row in rows}

    async def latest_id(self) -> int:
        """The newest job's id (0 when there is none)."""
        return int(await self._db.fetch_value("SELECT COALESCE(MAX(id), 0) FROM jobs"))

    async def unfinished_for_user(self, guild_id: int, user_id: int) -> list[Job]:
        """A member's jobs that have not ended, oldest first (inside a transaction: the member stays locked)."""
        await self._db.lock("member", guild_id, user_id)
        rows = await self._db.fetch_all(
            f"SELECT * FROM jobs WHERE guild_id = ? AND user_id = ? AND status IN {_UNFINISHED} ORDER BY id",
            (guild_id, user_id),
        )
        return [job_from_row(row) for row in rows]

    async def last_started_at(self, guild_id: int, user_id: int) -> datetime | None:
        """When the member's most recent job was accepted, for the cooldown (inside a transaction: locks the member)."""
        await self._db.lock("member", guild_id, user_id)
        value = await self._db.fetch_value(
            "SELECT MAX(created_at) FROM jobs WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return from_epoch(value)
