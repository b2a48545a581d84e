"""Odd framing from raw servers: line ends, split characters, huge lines, error bodies, truncation."""

from __future__ import annotations

import json

import aiohttp
import pytest

from bot.videoapi import (
    AuthenticationFailed,
    ChatStream,
    GenerationStopped,
    RequestRejected,
    ServiceUnavailable,
    StreamInterrupted,
    Transcript,
)

from .conftest import RawReply, RawServer, make_api, run_stream
from .samples import SEED_DELTAS, SEED_PREVIEW, SEED_TASK_ID, SEED_VIDEO, seed_content, seed_sse


def parse_bytes(*chunks: bytes) -> Transcript:
    stream = ChatStream()
    for chunk in chunks:
        stream.feed(chunk)
    return stream.finish()


def sse(*objects: object, done: bool = True) -> bytes:
    lines = [f"data: {json.dumps(o, ensure_ascii=False)}\n\n" for o in objects]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def chunk(content: str | None = None, *, reasoning: str | None = None, finish: str | None = None) -> dict:
    delta = {}
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


EXPECTED = parse_bytes(seed_sse())


def test_the_seed_stream_decodes_to_the_documented_result() -> None:
    assert (EXPECTED.task_id, EXPECTED.state, EXPECTED.video_url, EXPECTED.preview_url) == (
        SEED_TASK_ID, "completed", SEED_VIDEO, SEED_PREVIEW
    )
    assert EXPECTED.content == seed_content()


def test_rechunked_at_every_byte_boundary_gives_the_same_transcript() -> None:
    raw = seed_sse("\r\n", compact=True)
    for cut in range(len(raw) + 1):
        assert parse_bytes(raw[:cut], raw[cut:]) == EXPECTED
    assert parse_bytes(*[raw[i : i + 1] for i in range(len(raw))]) == EXPECTED


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
async def test_seed_stream_over_a_socket_one_byte_per_write(
    raw_server: RawServer, http: aiohttp.ClientSession, eol: str
) -> None:
    raw = seed_sse(eol)
    step = 1 if eol == "\r" else 7  # 7 bytes also splits emoji and CRLF pairs
    base = await raw_server(RawReply([raw[i : i + step] for i in range(0, len(raw), step)]))
    result = await run_stream(make_api(base, http))
    assert result.final == EXPECTED
    assert [s.state for s in result.snapshots][-1] == "completed"


async def test_a_10_mb_line_without_newline_is_cut_off(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    head = sse(chunk("> ID: `task_0a1b2c3d4e`\n"), done=False)
    base = await raw_server(RawReply([head, b"data: " + b"x" * 65536] + [b"y" * 65536] * 160))
    err = (await run_stream(make_api(base, http))).error
    assert isinstance(err, StreamInterrupted)
    assert (err.reason, err.task_id) == ("protocol", "task_0a1b2c3d4e")


async def test_done_without_a_result_is_an_interruption_with_the_id(
    raw_server: RawServer, http: aiohttp.ClientSession
) -> None:
    body = sse(*[chunk(d) for d in SEED_DELTAS[:23]])  # through "> Queuing.", then [DONE]
    base = await raw_server(RawReply([body]))
    err = (await run_stream(make_api(base, http))).error
    assert isinstance(err, StreamInterrupted)
    assert (err.reason, err.task_id) == ("done_without_result", SEED_TASK_ID)


async def test_eof_without_done_and_without_result(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    base = await raw_server(RawReply([sse(*[chunk(d) for d in SEED_DELTAS[:23]], done=False)]))
    err = (await run_stream(make_api(base, http))).error
    assert isinstance(err, StreamInterrupted)
    assert (err.reason, err.task_id) == ("eof", SEED_TASK_ID)


async def test_completion_line_without_a_link_is_an_interruption(
    raw_server: RawServer, http: aiohttp.ClientSession
) -> None:
    body = sse(chunk("> ID: task_0a1b2c3d4e\n> Generation Complete ✅"), chunk(finish="stop"))
    err = (await run_stream(make_api(base := await raw_server(RawReply([body])), http))).error
    assert base
    assert isinstance(err, StreamInterrupted)
    assert (err.reason, err.task_id) == ("no_video_link", "task_0a1b2c3d4e")


async def test_connection_dropped_mid_stream(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    base = await raw_server(RawReply([sse(*[chunk(d) for d in SEED_DELTAS[:23]], done=False)], drop=True))
    err = (await run_stream(make_api(base, http))).error
    assert isinstance(err, StreamInterrupted)
    assert (err.reason, err.task_id) == ("connection", SEED_TASK_ID)


async def test_a_drop_after_small_talk_is_an_interruption_not_a_refusal(
    raw_server: RawServer, http: aiohttp.ClientSession
) -> None:
    body = sse(chunk("> ID: `task_0a1b2c3d4e`\n> Sorry for the wait, the queue is long today\n"), done=False)
    err = (await run_stream(make_api(await raw_server(RawReply([body], drop=True)), http))).error
    assert isinstance(err, StreamInterrupted)
    assert (err.reason, err.task_id) == ("connection", "task_0a1b2c3d4e")


async def test_a_refusal_sentence_then_done_is_a_failed_result(
    raw_server: RawServer, http: aiohttp.ClientSession
) -> None:
    body = sse(chunk("I'm sorry, but I can't create videos of real people."), chunk(finish="stop"))
    final = (await run_stream(make_api(await raw_server(RawReply([body])), http))).final
    assert (final.state, final.error) == ("failed", "I'm sorry, but I can't create videos of real people.")


async def test_an_error_event_after_the_id_leaves_the_end_to_the_task(
    raw_server: RawServer, http: aiohttp.ClientSession
) -> None:
    # The error is often the gateway's, not the task's (issue 21): the caller must ask the task, so the stream
    # ends as interrupted with the task ID, the event's code and its words kept for when the task says why.
    body = sse(chunk("> ID: `task_0a1b2c3d4e`\n> Queuing."),
               {"error": {"message": "upstream reset", "type": "server_error", "code": "sentinel_block"}})
    err = (await run_stream(make_api(await raw_server(RawReply([body])), http))).error
    assert isinstance(err, StreamInterrupted)
    assert (err.reason, err.task_id, err.code) == ("error_event", "task_0a1b2c3d4e", "sentinel_block")
    assert isinstance(err.cause, GenerationStopped)
    assert err.user_message == "The video service stopped this video: upstream reset."


async def test_an_error_event_without_words_names_its_code(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    body = sse({"error": {"message": "", "type": "server_error", "code": "sentinel_block"}})
    result = await run_stream(make_api(await raw_server(RawReply([body])), http))
    assert isinstance(result.error, GenerationStopped)
    assert result.error.user_message == "The video service stopped this video: sentinel_block."
    assert result.retries == []  # the response began: not re-sent


async def test_a_policy_error_event_after_the_id_is_asked_of_the_task_too(
    raw_server: RawServer, http: aiohttp.ClientSession
) -> None:
    body = sse(chunk("> ID: `task_0a1b2c3d4e`\n"),
               {"error": {"message": "similarity to third-party content", "code": "content_policy_violation"}})
    err = (await run_stream(make_api(await raw_server(RawReply([body])), http))).error
    assert isinstance(err, StreamInterrupted)
    assert (err.reason, err.task_id, err.code) == ("error_event", "task_0a1b2c3d4e", "content_policy_violation")


async def test_a_policy_error_event_before_any_id_is_a_failed_result(
    raw_server: RawServer, http: aiohttp.ClientSession
) -> None:
    body = sse({"error": {"message": "similarity to third-party content", "type": "invalid_request_error"}})
    final = (await run_stream(make_api(await raw_server(RawReply([body])), http))).final
    assert (final.state, final.error) == ("failed", "similarity to third-party content")


async def test_a_refusal_code_before_any_id_is_a_typed_refusal(
    raw_server: RawServer, http: aiohttp.ClientSession
) -> None:
    body = sse({"error": {"message": "Hmmm something didn't look right with your request.",
                          "type": "invalid_request_error", "code": "sentinel_block"}})
    err = (await run_stream(make_api(await raw_server(RawReply([body])), http))).error
    assert isinstance(err, RequestRejected) and err.code == "sentinel_block"


async def test_content_filter_finish_reason_is_a_failed_result(
    raw_server: RawServer, http: aiohttp.ClientSession
) -> None:
    body = sse(chunk("> ID: `task_0a1b2c3d4e`\n"), chunk(finish="content_filter"))
    final = (await run_stream(make_api(await raw_server(RawReply([body])), http))).final
    assert final.state == "failed" and final.error and "content filter" in final.error


@pytest.mark.parametrize("content_type", ["application/json", "text/event-stream", "text/plain"])
async def test_http_200_with_a_plain_json_error_body(
    raw_server: RawServer, http: aiohttp.ClientSession, content_type: str
) -> None:
    body = json.dumps({"error": {"message": "Invalid token", "type": "authentication_error"}}).encode()
    base = await raw_server(RawReply([b"\n  ", body], content_type=content_type))
    assert isinstance((await run_stream(make_api(base, http))).error, AuthenticationFailed)


async def test_http_200_rate_limit_body_is_retried_then_streams(
    raw_server: RawServer, http: aiohttp.ClientSession
) -> None:
    limited = RawReply([b'{"code": 429, "message": "too many requests"}'], content_type="application/json")
    base = await raw_server(limited, RawReply([seed_sse()]))
    result = await run_stream(make_api(base, http))
    assert result.final == EXPECTED
    assert result.retries == [(2, 5, "RateLimited")]


async def test_flat_error_body_with_http_400(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    reply = RawReply([b'{"code": 400, "message": "prompt contains unsafe content"}'], status=400,
                     content_type="application/json")
    err = (await run_stream(make_api(await raw_server(reply), http))).error
    assert isinstance(err, RequestRejected)
    assert err.user_message == "The video service declined this prompt: prompt contains unsafe content."


async def test_html_error_page_is_not_shown_to_users(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    err = (await run_stream(make_api(await raw_server(RawReply([page], status=502, content_type="text/html")),
                                     http))).error
    assert isinstance(err, ServiceUnavailable)
    assert "<" not in err.user_message and "nginx" not in err.user_message


async def test_a_non_streamed_completion_is_accepted(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    body = {"object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": seed_content()},
                         "finish_reason": "stop"}]}
    reply = RawReply([json.dumps(body).encode()], content_type="application/json")
    final = (await run_stream(make_api(await raw_server(reply), http))).final
    assert final == EXPECTED


async def test_status_only_in_reasoning_content(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    text = seed_content()
    body = sse(*[chunk(reasoning=text[i : i + 40]) for i in range(0, len(text), 40)], chunk(finish="stop"))
    final = (await run_stream(make_api(await raw_server(RawReply([body])), http))).final
    assert (final.state, final.video_url) == ("completed", SEED_VIDEO)
    assert final.content == text  # nothing in delta.content: the reasoning text stands in


async def test_empty_deltas_comments_and_junk_events_are_ignored(
    raw_server: RawServer, http: aiohttp.ClientSession
) -> None:
    raw = seed_sse()
    noise = b": ping\n\ndata: not json\n\ndata: {\"choices\": []}\n\ndata: [1, 2]\n\nevent: ping\ndata: {}\n\n"
    final = (await run_stream(make_api(await raw_server(RawReply([noise, raw])), http))).final
    assert final == EXPECTED
