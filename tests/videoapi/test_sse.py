"""The event-stream decoder follows the spec, not the happy path."""

from __future__ import annotations

import pytest

from bot.videoapi.sse import SSEDecoder, SSEEvent, SSEProtocolError


def decode(*chunks: bytes, **options: int) -> list[SSEEvent]:
    decoder = SSEDecoder(**options)
    events: list[SSEEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.close()


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending_gives_the_same_events(eol: bytes) -> None:
    raw = eol.join([b"data: one", b"", b"data: two", b"", b""])
    assert [e.data for e in decode(raw)] == ["one", "two"]


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    # A CR at the end of a chunk and the LF at the start of the next must not make an extra blank line,
    # which would dispatch the multi-line event early.
    events = decode(b"data: a\r", b"\ndata: b\r", b"\n\r\n")
    assert [e.data for e in events] == ["a\nb"]


def test_comments_are_keepalives_not_events() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b": keep-alive\n\n:\n\ndata: x\n\n")
    assert [e.data for e in events] == ["x"]
    assert decoder.comments == 2


def test_data_with_or_without_space_and_multiline_data() -> None:
    events = decode(b"data:{\"a\":\ndata:  1}\n\n")
    assert events[0].data == '{"a":\n 1}'


def test_event_and_id_fields_and_unknown_fields() -> None:
    events = decode(b"event: update\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n")
    assert events == [SSEEvent(data="x", event="update", id="7")]


def test_bom_at_start_is_ignored() -> None:
    assert [e.data for e in decode("\ufeffdata: x\n\n".encode())] == ["x"]


def test_multibyte_character_split_across_chunks() -> None:
    raw = "data: 🏃 Progress ✅\n\n".encode()
    for cut in range(1, len(raw)):
        assert [e.data for e in decode(raw[:cut], raw[cut:])] == ["🏃 Progress ✅"]


def test_final_event_without_blank_line_is_still_delivered() -> None:
    assert [e.data for e in decode(b"data: a\n\ndata: [DONE]")] == ["a", "[DONE]"]


def test_a_line_longer_than_the_cap_raises_instead_of_buffering() -> None:
    decoder = SSEDecoder(max_line=1000)
    with pytest.raises(SSEProtocolError):
        for _ in range(100):
            decoder.feed(b"x" * 100)


def test_an_event_of_many_lines_is_capped_too() -> None:
    decoder = SSEDecoder(max_line=100, max_event=1000)
    with pytest.raises(SSEProtocolError):
        decoder.feed(b"data: " + b"y" * 90 + b"\n" * 1)
        for _ in range(20):
            decoder.feed(b"data: " + b"y" * 90 + b"\n")


def test_every_byte_boundary_gives_the_same_events() -> None:
    raw = b": ping\r\ndata: {\"a\": \"\xc3\xa9\"}\r\n\r\nevent: x\rdata: 2\r\r:c\ndata: 3\n\n"
    expected = decode(raw)
    assert [e.data for e in expected] == ['{"a": "é"}', "2", "3"]
    for cut in range(len(raw) + 1):
        assert decode(raw[:cut], raw[cut:]) == expected
    assert decode(*[raw[i : i + 1] for i in range(len(raw))]) == expected
