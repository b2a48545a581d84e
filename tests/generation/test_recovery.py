"""Which Raw Data page a broken or resumed chat task is looked for on: only hosts its profile allows."""

from __future__ import annotations

from bot.core.catalog import load_profile
from bot.generation.recovery import raw_data_url

KKIAI = load_profile("kkiai")


def test_the_transcripts_own_link_is_followed_to_an_allowed_host() -> None:
    for link in ("https://asyncdata.net/source/task_01k8", "https://pro.asyncdata.net/source/veo3.1-pro:a1"):
        assert raw_data_url(KKIAI, "task_01k8", link) == link


def test_a_link_elsewhere_is_not_followed_and_the_template_is_used() -> None:
    for link in ("https://evil.example/source/task_01k8", "http://asyncdata.net/source/task_01k8",
                 "https://user:pw@asyncdata.net/source/task_01k8", None):
        assert raw_data_url(KKIAI, "task_01k8", link) == "https://asyncdata.net/source/task_01k8"


def test_a_moved_template_trusts_its_own_origin_and_no_other() -> None:
    mirror = KKIAI.with_raw_data_url("http://127.0.0.1:8123/source/{task_id}")
    assert raw_data_url(mirror, "t1", "http://127.0.0.1:8123/source/t1") == "http://127.0.0.1:8123/source/t1"
    assert raw_data_url(mirror, "t1", "http://127.0.0.1:9999/source/t1") == "http://127.0.0.1:8123/source/t1"


def test_a_profile_without_raw_data_pages_has_none() -> None:
    assert raw_data_url(load_profile("sora2api"), "t1", "https://asyncdata.net/source/t1") is None
