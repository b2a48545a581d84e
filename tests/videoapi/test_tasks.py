"""Task status normalisation: whatever words and shapes an upstream uses, users see the right state."""

from __future__ import annotations

import pytest

from bot.videoapi import TaskStatus, full_task_id, normalize_status, parse_task, task_path

# Shapes as documented in seeds 000 (sora, /v1/videos/{id}), 001 (grok) and 002 (veo), trimmed.
SORA_PENDING = {
    "id": "sora-2:task_01k6x15vhrff09dkkqjrzwhm60",
    "detail": {
        "id": "task_01k6x15vhrff09dkkqjrzwhm60",
        "status": "pending",
        "pending_info": {
            "status": "processing",
            "progress_pct": 0.9302178175176704,
            "failure_reason": None,
            "moderation_result": {"type": "passed", "is_output_rejection": False},
        },
    },
    "status": "pending",
    "status_update_time": 1759763621142,
}
GROK_PENDING = {
    "id": "033fa60e-f37c-4ff6-a44d-5585ffea938d",
    "status": "pending",
    "video_url": None,
    "enhanced_prompt": "```\nA surreal and whimsical digital painting of a majestic brown cow...\n```",
    "status_update_time": 1750323167003,
}
VEO_COMPLETED = {
    "id": "veo3.1-fast:1770350082-trii1OXZc3",
    "detail": {
        "status": "completed",
        "running": False,
        "video_url": "https://pro.filesystem.site/cdn/20260206/9ddbd3bdc67f75a02f766363ebf8eb.mp4",
        "error_message": "[403] Request failed with status code 403 | Message: reCAPTCHA evaluation failed",
        "upsample_status": "MEDIA_GENERATION_STATUS_SUCCESSFUL",
        "upsample_video_url": "https://pro.filesystem.site/cdn/20260206/1b50395bad4c6c7bc22e6ada144951.mp4",
        "video_generation_error": "your request contains unsafe prompt or images ... has been rejected by google",
        "video_generation_status": "MEDIA_GENERATION_STATUS_SUCCESSFUL",
    },
    "status": "completed",
    "video_url": "https://pro.filesystem.site/cdn/20260206/1b50395bad4c6c7bc22e6ada144951.mp4",
    "status_update_time": 1770350329098,
}


def test_sora_pending_with_processing_detail_is_generating_with_percent() -> None:
    status = parse_task(SORA_PENDING)
    assert (status.state, status.progress, status.video_url, status.error) == ("generating", 93, None, None)
    assert status.raw == SORA_PENDING


def test_grok_pending() -> None:
    assert parse_task(GROK_PENDING) == TaskStatus("pending", None, None, None, None)


def test_veo_completed_prefers_the_upsampled_video_and_ignores_stale_errors() -> None:
    status = parse_task(VEO_COMPLETED)
    assert status.state == "completed"
    assert status.video_url == "https://pro.filesystem.site/cdn/20260206/1b50395bad4c6c7bc22e6ada144951.mp4"
    assert status.error is None
    assert status.progress == 100


def test_failed_task_gives_its_reason() -> None:
    raw = {"id": "sora-2:task_x1", "status": "failed",
           "detail": {"failure_reason": "Similarity to third-party content"}}
    assert (parse_task(raw).state, parse_task(raw).error) == ("failed", "Similarity to third-party content")
    nested = {"id": "grok:1", "status": "error", "error": {"message": "moderation blocked"}}
    assert parse_task(nested).error == "moderation blocked"
    bare = {"id": "grok:1", "status": "FAILURE"}
    assert parse_task(bare).state == "failed"
    assert parse_task(bare).error


@pytest.mark.parametrize(
    ("word", "state"),
    [
        ("pending", "pending"), ("queued", "queued"), ("QUEUEING", "queued"), ("processing", "generating"),
        ("in_progress", "generating"), ("In Progress", "generating"), ("running", "generating"),
        ("completed", "completed"), ("success", "completed"), ("succeeded", "completed"),
        ("MEDIA_GENERATION_STATUS_SUCCESSFUL", "completed"), ("failed", "failed"), ("failure", "failed"),
        ("error", "failed"), ("cancelled", "failed"), ("brewing", "unknown"), ("", "unknown"),
        (None, "unknown"), (3, "unknown"),
    ],
)
def test_status_words(word: object, state: str) -> None:
    assert normalize_status(word) == state


def test_unknown_status_is_reported_not_raised() -> None:
    assert parse_task({"id": "x", "status": "brewing"}).state == "unknown"
    assert parse_task({}).state == "unknown"


@pytest.mark.parametrize(
    ("progress", "expected"),
    [({"progress_pct": 0.5}, 50), ({"progress_pct": 1}, 100), ({"progress": 42}, 42), ({"progress": "61%"}, 61),
     ({"progress": 0.25}, 25), ({"progress": "n/a"}, None), ({"progress_pct": float("nan")}, None),
     ({"progress": 250}, 100)],
)
def test_progress_forms(progress: dict, expected: int | None) -> None:
    assert parse_task({"id": "x", "status": "processing", **progress}).progress == expected


def test_a_non_https_video_url_is_not_surfaced_unless_trusted() -> None:
    raw = {"id": "x", "status": "completed", "video_url": "http://127.0.0.1:9000/media/simulated_a.mp4"}
    assert parse_task(raw).video_url is None
    assert parse_task(raw).state == "completed"
    trusted = parse_task(raw, ["http://127.0.0.1:9000"])
    assert trusted.video_url == "http://127.0.0.1:9000/media/simulated_a.mp4"


def test_full_task_id_prefixes_bare_ids_only() -> None:
    assert full_task_id("task_01k7", "sora-2") == "sora-2:task_01k7"
    assert full_task_id("sora-2:task_01k7", "sora-2") == "sora-2:task_01k7"
    assert full_task_id("grok:eee6faa8", None) == "grok:eee6faa8"
    assert full_task_id("task_01k7") == "task_01k7"


@pytest.mark.parametrize(
    ("task_id", "endpoint", "path", "params"),
    [
        ("sora-2:task_01k81e7r", "videos", "/v1/videos/sora-2:task_01k81e7r", {}),
        ("grok:eee6faa8-9dee", "query", "/v1/video/query", {"id": "grok:eee6faa8-9dee"}),
        ("veo3.1-fast:1770350082-trii1OXZc3", "query", "/v1/video/query", {"id": "veo3.1-fast:1770350082-trii1OXZc3"}),
        ("sora-2:a/../b", "videos", "/v1/videos/sora-2:a%2F..%2Fb", {}),
    ],
)
def test_each_endpoint_is_asked_its_own_way(task_id: str, endpoint: str, path: str, params: dict) -> None:
    assert task_path(task_id, endpoint) == (path, params)  # type: ignore[arg-type]


# The Raw Data page of a Veo task, from an APICore integration guide ("Veo3 APICore 集成指南", status section)
# held in the public code index (the index names no repository for it): the stages while it runs.
APICORE_UPSAMPLING = {
    "running": True,
    "status": "video_upsampling",
    "video_generation_status": "MEDIA_GENERATION_STATUS_SUCCESSFUL",
    "upsample_status": "MEDIA_GENERATION_STATUS_RUNNING",
}
APICORE_DONE = {
    "completed_at": 1750398084687,
    "id": "veo3-fast:79733203-82aa-45d3-bf98-1b559689bb8d",
    "running": False,
    "status": "completed",
    "upsample_video_url": "https://filesystem.site/cdn/20250620/fVzXC5Gpx7a41MCOxKCnUHfM9G14hV.mp4",
    "video_url": "https://filesystem.site/cdn/20250620/GeUF2PlB8RJCZyejWTUQuQrO0eRKU7.mp4",
}


@pytest.mark.parametrize(
    ("word", "state"),
    [("video_generating", "generating"), ("video_generation_running", "generating"),
     ("video_upsampling", "generating"), ("video_generation_completed", "completed"), ("in_progress", "generating"),
     ("SUCCESS", "completed"), ("FAILURE", "failed")],
)
def test_the_stage_words_resellers_use(word: str, state: str) -> None:
    assert normalize_status(word) == state


def test_a_raw_data_page_that_still_runs_is_not_finished() -> None:
    assert parse_task(APICORE_UPSAMPLING).state == "generating"
    # A first cut may be complete while `running` says the high-quality one is still coming.
    early = {"status": "video_generation_completed", "running": True, "video_url": "https://filesystem.site/a.mp4"}
    assert parse_task(early).state == "generating"
    done = parse_task(APICORE_DONE)
    assert (done.state, done.video_url) == ("completed", APICORE_DONE["upsample_video_url"])


def test_a_sora_raw_data_page_gives_its_url_and_its_failure_reason() -> None:
    # geekai's api/service/sora/sora_service.go reads the page's `url`; issue 12 lists status, url,
    # failure_reason and running.
    done = parse_task({"status": "completed", "running": False, "url": "https://filesystem.site/cdn/x.mp4"})
    assert (done.state, done.video_url) == ("completed", "https://filesystem.site/cdn/x.mp4")
    failed = parse_task({"status": "failed", "running": False, "failure_reason": "This content may violate…"})
    assert (failed.state, failed.error) == ("failed", "This content may violate…")
    # Comfly's Comfly_sora2_chat reads asyncdata's share page: the same facts under `content`.
    shared = parse_task({"content": {"status": "completed", "progress": 100, "url": "https://filesystem.site/y.mp4"}})
    assert (shared.state, shared.video_url) == ("completed", "https://filesystem.site/y.mp4")


@pytest.mark.parametrize(
    ("progress", "expected"),
    [({"progress": "0"}, 0), ({"progress": "1"}, 1), ({"progress": "36"}, 36), ({"progress": "36%"}, 36),
     ({"progress": "36.6%"}, 37), ({"progress": "0.5"}, 50), ({"progress_pct": 0.9302178175176704}, 93)],
)
def test_every_progress_form(progress: dict, expected: int) -> None:
    assert parse_task({"id": "x", "status": "processing", **progress}).progress == expected
