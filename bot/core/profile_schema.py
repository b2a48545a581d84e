"""Pure: check a provider profile's data (parsed TOML) and fill its defaults; merge an override onto a preset.

Every mistake an operator can make in a profile file is reported as one sentence naming the model and the
key, because a wrong profile fails quietly at the vendor (an ignored option costs a wrong video, not an error).
"""

from __future__ import annotations

import copy
import string
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from bot.core.money import is_currency, parse_amount
from bot.core.urls import in_clear_to_public_host

__all__ = ["ProfileError", "merge_profiles", "read_profile"]

_TOP_KEYS = frozenset(
    {"name", "description", "base_url", "default_models", "image_transport", "phrases", "raw_data", "models",
     "drop_models", "prices"}
)
_MODEL_KEYS = frozenset(
    {"name", "label", "route", "request_model", "orientations", "durations", "sizes", "image", "options",
     "task_fields", "aspect_ratios", "task_prefix", "recovery", "on_failure"}
)
_PHRASE_KEYS = frozenset({"portrait", "landscape", "duration", "sizes", "joiner", "template"})
_OPTIONS = ("orientation", "duration", "size")
_TASK_PLACEHOLDERS = frozenset({"orientation", "aspect_ratio", "duration", "size"})
_CHOICES = {
    "route": ("chat", "task"),
    "image": ("vision", "task", "none"),
    "image_transport": ("url", "data_url"),
    "carrier": ("prompt", "model", "body"),
    "recovery": ("raw_data", "videos", "query"),
    "on_failure": ("billed", "refunded", "unknown"),
    "orientation": ("portrait", "landscape"),
}


class ProfileError(ValueError):
    """A provider profile that cannot be used; the message completes "VIDEO_PROVIDER …"."""


def merge_profiles(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`: tables merge key by key, models merge by name, `drop_models` removes."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if key == "models":
            merged["models"] = _merge_models(merged.get("models", []), value)
        elif key == "drop_models":
            drop = set(value) if isinstance(value, list) else set()
            merged["models"] = [m for m in merged.get("models", []) if m.get("name") not in drop]
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_profiles(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _merge_models(base: list[Any], override: Any) -> list[Any]:
    if not isinstance(override, list):
        raise ProfileError("has `models` that is not a list of [[models]] tables")
    models = [copy.deepcopy(m) for m in base]
    by_name = {m.get("name"): i for i, m in enumerate(models) if isinstance(m, Mapping)}
    for entry in override:
        if isinstance(entry, Mapping) and entry.get("name") in by_name:
            index = by_name[entry["name"]]
            models[index] = merge_profiles(models[index], entry)
        else:
            models.append(copy.deepcopy(entry))
    return models


def read_profile(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check a whole profile and return it with every default filled in."""
    _known_keys(data, _TOP_KEYS, "the profile")
    name = _text(data, "name", "the profile")
    raw_data = data.get("raw_data", {})
    _require(isinstance(raw_data, Mapping), "has a [raw_data] that is not a table")
    _known_keys(raw_data, frozenset({"url", "hosts"}), "[raw_data]")
    raw_url = raw_data.get("url") or None
    if raw_url is not None:
        _require(isinstance(raw_url, str) and _is_http_url(raw_url) and "{task_id}" in raw_url,
                 "has a [raw_data] url that is not an http(s) URL with {task_id} in it")
    phrases = _phrases(data.get("phrases", {}))
    models_data = data.get("models")
    if not isinstance(models_data, list) or not models_data:
        raise ProfileError("describes no [[models]]")
    models = [_model(m, i, phrases, raw_url) for i, m in enumerate(models_data)]
    names = [m["name"] for m in models]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    _require(duplicate is None, f"describes model '{duplicate}' twice")
    default_models = data.get("default_models", names[:1])
    _require(isinstance(default_models, list) and all(n in names for n in default_models) and bool(default_models),
             f"has default_models that are not among its models ({', '.join(names)})")
    base_url = data.get("base_url") or None
    _require(base_url is None or (isinstance(base_url, str) and _is_http_url(base_url)),
             f"has a base_url that is not an http(s) URL: '{base_url}'")
    _require(base_url is None or not in_clear_to_public_host(base_url),
             "has a base_url that would send the API key in clear to a public host: use https://")
    return {
        "name": name,
        "description": _text(data, "description", "the profile", default=""),
        "base_url": base_url.rstrip("/") if base_url else None,
        "default_models": list(default_models),
        "image_transport": _choice(data, "image_transport", "the profile", default="url"),
        "phrases": phrases,
        "raw_data": {"url": raw_url, "hosts": _strings(raw_data, "hosts", "[raw_data]", default=[])},
        "models": models,
        "prices": _prices(data.get("prices", {}), names),
    }


def _prices(data: Any, names: list[str]) -> dict[str, Any]:
    """[prices]: `currency` and `per_video`, each price an exact decimal written as a string ("0.15"), never a
    TOML float. Prices of models the profile does not describe are left out (a preset's table survives a file
    that drops some of its models)."""
    _require(isinstance(data, Mapping), "has a [prices] that is not a table")
    _known_keys(data, frozenset({"currency", "per_video"}), "[prices]")
    currency = data.get("currency", "USD")
    _require(isinstance(currency, str) and is_currency(currency),
             f"has a [prices] currency '{currency}' that is not a three-letter code like USD")
    per_video = data.get("per_video", {})
    _require(isinstance(per_video, Mapping), "has a [prices] per_video that is not a table")
    prices: dict[str, int] = {}
    for model, text in per_video.items():
        _require(isinstance(text, str), f"prices {model} with {text!r}; write the amount as a string, like \"0.15\"")
        try:
            micros = parse_amount(text)
        except ValueError as exc:
            raise ProfileError(f"prices {model} with {exc}") from None
        if model in names:
            prices[model] = micros
    return {"currency": currency, "per_video": prices}


def _phrases(data: Any) -> dict[str, Any]:
    _require(isinstance(data, Mapping), "has a [phrases] that is not a table")
    _known_keys(data, _PHRASE_KEYS, "[phrases]")
    phrases: dict[str, Any] = {
        key: _text(data, key, "[phrases]") for key in ("portrait", "landscape") if key in data
    }
    phrases["duration"] = _text(data, "duration", "[phrases]", default="{duration} seconds")
    phrases["joiner"] = _text(data, "joiner", "[phrases]", default=", ")
    phrases["template"] = _text(data, "template", "[phrases]", default="{prompt}\n\n{options}")
    sizes = data.get("sizes", {})
    _require(isinstance(sizes, Mapping) and all(isinstance(v, str) for v in sizes.values()),
             "has [phrases] sizes that are not a table of words")
    phrases["sizes"] = dict(sizes)
    _require(_placeholders(phrases["duration"]) == {"duration"}, "has a [phrases] duration without {duration}")
    _require(_placeholders(phrases["template"]) == {"prompt", "options"},
             "has a [phrases] template that is not made of {prompt} and {options}")
    return phrases


def _model(data: Any, index: int, phrases: Mapping[str, Any], raw_url: str | None) -> dict[str, Any]:
    _require(isinstance(data, Mapping), f"has models[{index}] that is not a table")
    name = _text(data, "name", f"models[{index}]")
    where = f"model '{name}'"
    _known_keys(data, _MODEL_KEYS, where)
    route = _choice(data, "route", where)
    model: dict[str, Any] = {
        "name": name,
        "label": _text(data, "label", where, default=name),
        "route": route,
        "request_model": _text(data, "request_model", where, default=name),
        "orientations": _strings(data, "orientations", where, default=["portrait", "landscape"],
                                 allowed=_CHOICES["orientation"]),
        "sizes": _strings(data, "sizes", where, default=["small"]),
        "image": _choice(data, "image", where, default="none"),
        "task_prefixes": _prefixes(data, where),
        "recovery": _strings(data, "recovery", where, default=[], allowed=_CHOICES["recovery"]),
        "on_failure": _choice(data, "on_failure", where, default="unknown"),
    }
    durations = data.get("durations", [])
    _require(isinstance(durations, list) and all(isinstance(d, int) and d > 0 for d in durations),
             f"describes {where} with durations that are not whole seconds")
    model["durations"] = durations
    _require(bool(model["orientations"]) and bool(model["sizes"]), f"describes {where} without orientations or sizes")
    ratios = data.get("aspect_ratios", {"portrait": "9:16", "landscape": "16:9"})
    _require(isinstance(ratios, Mapping) and all(o in ratios for o in model["orientations"]),
             f"describes {where} without an aspect ratio for each orientation")
    model["aspect_ratios"] = dict(ratios)
    model["options"] = _carriers(data.get("options", {}), where, model, phrases)
    model["task_fields"] = _task_fields(data.get("task_fields", {}), where)
    if route == "task":
        _require(model["image"] != "vision", f"describes {where} on the task route with image = 'vision' (use task)")
        _require(not model["options"], f"describes {where} on the task route with [options] (use task_fields)")
        _require("raw_data" not in model["recovery"], f"describes {where} on the task route recovering by raw_data")
    if "raw_data" in model["recovery"]:
        _require(raw_url is not None, f"describes {where} recovering by raw_data, but [raw_data] has no url")
    return model


def _prefixes(data: Mapping[str, Any], where: str) -> list[str]:
    """`task_prefix`: one spelling ("sora-2") or every spelling the family files the model's tasks under."""
    value = data.get("task_prefix", [])
    if isinstance(value, str):
        value = [value] if value else []
    _require(isinstance(value, list) and all(isinstance(v, str) and v and ":" not in v for v in value),
             f"has a 'task_prefix' in {where} that is not a prefix or a list of prefixes (without ':')")
    return list(dict.fromkeys(value))


def _carriers(data: Any, where: str, model: Mapping[str, Any], phrases: Mapping[str, Any]) -> dict[str, str]:
    _require(isinstance(data, Mapping), f"describes {where} with [options] that is not a table")
    _known_keys(data, frozenset(_OPTIONS), f"{where} [options]")
    carriers: dict[str, str] = {}
    for option, carrier in data.items():
        _require(carrier in _CHOICES["carrier"], f"describes {where} sending {option} by '{carrier}' "
                 f"(choose {', '.join(_CHOICES['carrier'])})")
        carriers[option] = carrier
    in_model_id = _placeholders(model["request_model"])
    by_model = {o for o, c in carriers.items() if c == "model"}
    _require(in_model_id == by_model, f"describes {where} whose request_model '{model['request_model']}' "
             f"does not hold exactly the options sent by model ID ({', '.join(sorted(by_model)) or 'none'})")
    if carriers.get("orientation") == "prompt":
        missing = [o for o in model["orientations"] if o not in phrases]
        _require(not missing, f"describes {where} writing orientation in the prompt, but [phrases] lacks {missing}")
    if carriers.get("size") == "prompt":
        missing = [s for s in model["sizes"] if s not in phrases["sizes"]]
        _require(not missing, f"describes {where} writing size in the prompt, but [phrases] sizes lacks {missing}")
    if carriers.get("duration"):
        _require(bool(model["durations"]), f"describes {where} sending a duration, but lists no durations")
    return carriers


def _task_fields(data: Any, where: str) -> dict[str, Any]:
    _require(isinstance(data, Mapping), f"describes {where} with [task_fields] that is not a table")
    for key, value in data.items():
        if isinstance(value, str):
            unknown = _placeholders(value) - _TASK_PLACEHOLDERS
            _require(not unknown, f"describes {where} with task field '{key}' using {sorted(unknown)} "
                     f"(known: {', '.join(sorted(_TASK_PLACEHOLDERS))})")
    return dict(data)


# --- small typed readers ---------------------------------------------------------------------------------

_MISSING = object()


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise ProfileError(problem)


def _known_keys(data: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(set(data) - known)
    _require(not unknown, f"has a key '{unknown[0] if unknown else ''}' in {where} that profiles do not know "
             f"(known: {', '.join(sorted(known))})")


def _text(data: Mapping[str, Any], key: str, where: str, default: Any = _MISSING) -> str:
    value = data.get(key, default)
    _require(value is not _MISSING, f"has no '{key}' in {where}")
    _require(isinstance(value, str), f"has a '{key}' in {where} that is not text")
    return str(value)


def _choice(data: Mapping[str, Any], key: str, where: str, default: Any = _MISSING) -> str:
    value = _text(data, key, where, default)
    options = _CHOICES[key]
    _require(value in options, f"has {key} = '{value}' in {where} (choose {', '.join(options)})")
    return value


def _strings(
    data: Mapping[str, Any], key: str, where: str, *, default: list[str], allowed: tuple[str, ...] | None = None
) -> list[str]:
    value = data.get(key, default)
    _require(isinstance(value, list) and all(isinstance(v, str) for v in value),
             f"has a '{key}' in {where} that is not a list of text")
    if allowed is not None:
        bad = [v for v in value if v not in allowed]
        _require(not bad, f"has {key} {bad} in {where} (choose from {', '.join(allowed)})")
    return list(value)


def _placeholders(template: str) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(template) if field}
    except ValueError as exc:
        raise ProfileError(f"has a malformed template '{template}'") from exc


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
