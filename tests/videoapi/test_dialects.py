"""Every dialect of the vendor family parses to the state, links and reason a member must see: whole,
split at every character, and one character at a time, always with the same result.

The transcripts are quoted in tests/videoapi/dialects.py, each with its public source.
"""

from __future__ import annotations

import pytest

from bot.videoapi import Transcript, TranscriptParser, read_echo

from .dialects import ALL, Quoted


def parse(quoted: Quoted, cuts: int | None = None) -> Transcript:
    """Feed the pieces; with `cuts`, split the first content piece at that offset first."""
    parser = TranscriptParser()
    for channel, text in quoted.pieces:
        parts = [text] if cuts is None else [text[:cuts], text[cuts:]]
        for part in parts:
            parser.feed(part, reasoning=channel == "reasoning")
    return parser.finish()


def one_char_at_a_time(quoted: Quoted) -> Transcript:
    parser = TranscriptParser()
    for channel, text in quoted.pieces:
        for ch in text:
            parser.feed(ch, reasoning=channel == "reasoning")
    return parser.finish()


@pytest.mark.parametrize("quoted", ALL, ids=lambda q: q.source)
def test_each_dialect_parses_to_what_the_member_must_see(quoted: Quoted) -> None:
    t = parse(quoted)
    seen = (t.state, t.task_id, t.progress, t.video_url, t.preview_url, t.sid, t.error, t.raw_data_url)
    expected = (quoted.state, quoted.task_id, quoted.progress, quoted.video_url, quoted.preview_url, quoted.sid,
                quoted.error, quoted.raw_data_url)
    assert seen == expected


@pytest.mark.parametrize("quoted", ALL, ids=lambda q: q.source)
def test_each_dialect_parses_the_same_chunk_by_chunk(quoted: Quoted) -> None:
    whole = parse(quoted)
    longest = max(len(text) for _, text in quoted.pieces)
    for cut in range(longest + 1):
        assert parse(quoted, cut) == whole, cut
    assert one_char_at_a_time(quoted) == whole


@pytest.mark.parametrize("quoted", [q for q in ALL if q.echo], ids=lambda q: q.source)
def test_the_json_echo_is_the_services_reading(quoted: Quoted) -> None:
    echo = read_echo(parse(quoted).content)
    assert echo is not None and (echo.orientation, echo.duration) == quoted.echo


def test_content_is_the_content_channel_verbatim_or_the_reasoning_when_there_is_none() -> None:
    from .dialects import FLOW_FAILURE, SORA2API_FAILURE

    assert parse(SORA2API_FAILURE).content == SORA2API_FAILURE.pieces[-1][1]
    assert parse(FLOW_FAILURE).content == "".join(text for _, text in FLOW_FAILURE.pieces)
