"""Provider profiles: presets load, an operator's file can extend or replace one, and every mistake in a
profile is named in one sentence at start-up (a wrong profile would otherwise cost wrong videos quietly)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.catalog import ProfileError, load_profile, preset_names
from bot.core.config import ConfigError, load_settings

VALID = {"DISCORD_TOKEN": "t" * 30, "VIDEO_API_KEY": "k" * 30}


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_presets_load_and_kkiai_is_the_default() -> None:
    assert {"kkiai", "sora2api"} <= set(preset_names())
    for name in preset_names():
        assert load_profile(name).name == name
    settings = load_settings(VALID, env_file=None)
    assert settings.provider.name == "kkiai"
    assert settings.models == ("sora-2",) and settings.video_api_base_url == "https://www.kkiai.com"


def test_the_kkiai_preset_says_what_the_evidence_says() -> None:
    kkiai = load_profile("kkiai")
    sora, pro = kkiai.model("sora-2"), kkiai.model("sora-2-pro")
    assert sora.route == pro.route == "chat"
    assert sora.options == {"orientation": "prompt"}  # nothing as body fields; the length follows the model
    assert (sora.durations, sora.sizes, pro.durations, pro.sizes) == ((10,), ("small",), (15,), ("large",))
    assert sora.image == "vision" and kkiai.image_transport == "url"
    assert (sora.task_prefixes, pro.task_prefixes) == (("sora-2",), ("sora-2-pro", "sora-2"))
    assert sora.recovery == ("raw_data", "videos", "query")
    assert kkiai.raw_data_url == "https://asyncdata.net/source/{task_id}"
    assert (sora.on_failure, kkiai.model("veo3.1-fast").on_failure) == ("billed", "refunded")


def test_an_operator_file_extends_a_preset_and_changes_only_what_differs(tmp_path: Path) -> None:
    path = write(tmp_path, 'extends = "kkiai"\ndrop_models = ["grok"]\n'
                           '[[models]]\nname = "sora-2"\ndurations = [10]\n'
                           '[[models]]\nname = "sora-2-hd-15s-chat"\nlabel = "Sora 2 HD 15 s"\nroute = "chat"\n'
                           'durations = [15]\nimage = "vision"\noptions = { orientation = "prompt" }\n')
    settings = load_settings({**VALID, "VIDEO_PROVIDER": path, "VIDEO_MODELS": "sora-2,sora-2-hd-15s-chat"},
                             env_file=None)
    profile = settings.provider
    assert profile.model_names == ("sora-2", "sora-2-pro", "veo3.1-fast", "sora-2-hd-15s-chat")
    assert profile.model("sora-2").durations == (10,)
    assert profile.model("sora-2").options == {"orientation": "prompt"}  # kept


def test_the_raw_data_address_can_be_moved_without_a_profile_file() -> None:
    settings = load_settings({**VALID, "VIDEO_RAW_DATA_URL": "https://mirror.example/source/{task_id}"}, env_file=None)
    assert settings.provider.raw_data_url == "https://mirror.example/source/{task_id}"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('name = "x"\n', "describes no [[models]]"),
        ('name = "x"\n[[models]]\nname = "m"\nroute = "stream"\n',
         "has route = 'stream' in model 'm' (choose chat, task)"),
        ('name = "x"\n[[models]]\nname = "m"\nroute = "chat"\nduration = [10]\n',
         "has a key 'duration' in model 'm' that profiles do not know"),
        ('name = "x"\n[[models]]\nname = "m"\nroute = "chat"\nrequest_model = "m-{orientation}"\n',
         "describes model 'm' whose request_model 'm-{orientation}' does not hold exactly the options sent by "
         "model ID (none)"),
        ('name = "x"\n[[models]]\nname = "m"\nroute = "chat"\noptions = { orientation = "prompt" }\n',
         "describes model 'm' writing orientation in the prompt, but [phrases] lacks ['portrait', 'landscape']"),
        ('name = "x"\n[[models]]\nname = "m"\nroute = "chat"\nrecovery = ["raw_data"]\n',
         "describes model 'm' recovering by raw_data, but [raw_data] has no url"),
        ('name = "x"\n[[models]]\nname = "m"\nroute = "task"\nimage = "vision"\n',
         "describes model 'm' on the task route with image = 'vision' (use task)"),
    ],
)
def test_a_broken_profile_is_named_in_one_sentence(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(write(tmp_path, text))
    assert str(caught.value).startswith(problem)


def test_a_bad_provider_setting_is_a_config_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"VIDEO_PROVIDER is 'kkai', which is neither a preset \(kkiai, sora2api\)"):
        load_settings({**VALID, "VIDEO_PROVIDER": "kkai"}, env_file=None)
    with pytest.raises(ConfigError, match=r"VIDEO_RAW_DATA_URL must contain \{task_id\}"):
        load_settings({**VALID, "VIDEO_RAW_DATA_URL": "https://mirror.example/source/"}, env_file=None)


def test_a_profile_without_an_address_needs_the_base_url() -> None:
    with pytest.raises(ConfigError, match="VIDEO_API_BASE_URL is not set, and the sora2api provider has no public"):
        load_settings({**VALID, "VIDEO_PROVIDER": "sora2api"}, env_file=None)
    settings = load_settings({**VALID, "VIDEO_PROVIDER": "sora2api", "VIDEO_API_BASE_URL": "http://10.0.0.5:8000"},
                             env_file=None)
    assert settings.models == ("sora2",) and settings.video_api_base_url == "http://10.0.0.5:8000"
