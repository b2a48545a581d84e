"""LOG_FORMAT=json: one JSON object per line, the job's IDs on it, and secrets scrubbed as in plain text."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.core.logcontext import bind, job_context
from bot.core.logs import setup_logging

SECRET = "sk-live-very-secret-video-key-123"


@pytest.fixture(autouse=True)
def root_logger_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def capture(log_format: str) -> io.StringIO:
    setup_logging("INFO", secrets=[SECRET], log_format=log_format)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    return stream


def test_json_lines_carry_the_job_s_ids_and_no_secret() -> None:
    stream = capture("json")
    log = logging.getLogger("bot.test")

    async def job() -> None:
        log.info("asking the service")
        bind(task_id="task_01abc")
        log.warning("the service answered with key %s", SECRET)

    async def main() -> None:
        shard_count = 4
        guild_id = (3 << 22) | 12345  # on shard 3 of 4
        await asyncio.create_task(job(), context=job_context(17, guild_id, shard_count))
        log.info("outside any job")

    asyncio.run(main())
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == [
        "asking the service", "the service answered with key ********", "outside any job",
    ]
    assert lines[0]["job_id"] == 17 and lines[0]["shard_id"] == 3 and "task_id" not in lines[0]
    assert lines[1]["task_id"] == "task_01abc" and lines[1]["level"] == "WARNING"
    assert "job_id" not in lines[2]  # the job's IDs stay with the job's task
    assert SECRET not in stream.getvalue()


def test_an_exception_is_one_json_line_and_text_stays_the_default() -> None:
    stream = capture("json")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("bot.test").exception("it broke")
    (line,) = stream.getvalue().splitlines()
    assert json.loads(line)["exception"].startswith("Traceback") and "ValueError: boom" in line

    plain = capture("text")
    logging.getLogger("bot.test").info("hello")
    assert plain.getvalue().rstrip().endswith("INFO    bot.test: hello")


def test_a_traceback_is_written_as_the_handler_s_filters_left_it() -> None:
    """The scrubber runs as a filter, before any formatter: a traceback it cleaned (exc_text) is what is written."""
    stream = capture("json")

    class CleanTraceback(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            if record.exc_info:
                record.exc_text = logging.Formatter().formatException(record.exc_info).replace(SECRET, "********")
            return True

    logging.getLogger().handlers[0].addFilter(CleanTraceback())
    try:
        raise RuntimeError(f"the service refused {SECRET}")
    except RuntimeError:
        logging.getLogger("bot.test").exception("it broke")
    (line,) = stream.getvalue().splitlines()
    assert SECRET not in line and "RuntimeError: the service refused ********" in json.loads(line)["exception"]
