"""Discord's documented limits, applied to every body the bot sends (violations become 50035 errors)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .errors import FieldError
from .models import FLAG_COMPONENTS_V2

Path = tuple[str | int, ...]

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_TEXT_MAX = 2048
AUTHOR_NAME_MAX = 256
ACTION_ROWS_MAX = 5
BUTTONS_PER_ROW_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
LINK_URL_MAX = 512
SELECT_OPTIONS_MAX = 25
SELECT_TEXT_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
V2_COMPONENTS_MAX = 40
V2_TEXT_TOTAL_MAX = 4000
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MAX = 5
TEXT_INPUT_LABEL_MAX = 45
LABEL_DESCRIPTION_MAX = 100
TEXT_INPUT_VALUE_MAX = 4000
TEXT_INPUT_PLACEHOLDER_MAX = 100
FILES_MAX = 10
THREAD_NAME_MAX = 100
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
SLOWMODE_MAX = 21600
COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
COMMAND_CHOICES_MAX = 25
COMMANDS_MAX = 100

SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
V2_TOP_LEVEL = frozenset({1, 9, 10, 12, 13, 14, 17})
V2_IN_CONTAINER = frozenset({1, 9, 10, 12, 13, 14})  # a container holds no container
SECTION_TEXTS = (1, 3)  # a section holds one to three text displays, and one accessory: a button or a thumbnail
GALLERY_ITEMS = (1, 10)
MEDIA_DESCRIPTION_MAX = 1024
SEPARATOR_SPACINGS = (1, 2)
LINK_STYLE = 5
PREMIUM_STYLE = 6


def _too_long(path: Path, limit: int) -> FieldError:
    return FieldError(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _bad_length(path: Path, low: int, high: int) -> FieldError:
    return FieldError(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def _required(path: Path) -> FieldError:
    return FieldError(path, "BASE_TYPE_REQUIRED", "This field is required")


def _check_len(value: Any, path: Path, low: int, high: int, *, required: bool = False) -> Iterator[FieldError]:
    if value is None:
        if required:
            yield _required(path)
        return
    if not isinstance(value, str):
        yield FieldError(path, "STRING_TYPE_CONVERT", "Could not interpret value as string.")
    elif not low <= len(value) <= high:
        yield _too_long(path, high) if low == 0 else _bad_length(path, low, high)


# ---- messages ----------------------------------------------------------------------------------------------
def validate_message(body: Mapping[str, Any], *, file_count: int = 0) -> list[FieldError]:
    """Check a create/edit message body (content, embeds, components, allowed_mentions, attachments)."""
    problems: list[FieldError] = []
    content = body.get("content")
    if content is not None:
        problems += _check_len(content, ("content",), 0, CONTENT_MAX)
    embeds = body.get("embeds")
    if embeds is not None:
        problems += validate_embeds(embeds)
    flags = int(body.get("flags") or 0)
    components = body.get("components")
    if components is not None:
        if flags & FLAG_COMPONENTS_V2:
            problems += validate_components_v2(components)
            if content or embeds:
                problems.append(
                    FieldError(
                        ("content" if content else "embeds",),
                        "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                        "The 'content' and 'embeds' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2",
                    )
                )
        else:
            problems += validate_action_rows(components)
    if body.get("allowed_mentions") is not None:
        problems += validate_allowed_mentions(body["allowed_mentions"])
    if file_count > FILES_MAX:
        problems.append(_too_long(("files",), FILES_MAX))
    return problems


def embed_length(embed: Mapping[str, Any]) -> int:
    """The characters Discord counts towards the 6000 per-message embed total."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for field in embed.get("fields") or []:
        total += len(field.get("name") or "") + len(field.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def validate_embeds(embeds: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Embed count, per-field lengths and the combined 6000-character limit."""
    problems: list[FieldError] = []
    if len(embeds) > EMBEDS_MAX:
        problems.append(_too_long(("embeds",), EMBEDS_MAX))
    for i, embed in enumerate(embeds):
        base: Path = ("embeds", i)
        for key, limit in EMBED_LIMITS.items():
            problems += _check_len(embed.get(key), (*base, key), 0, limit)
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            problems.append(_too_long((*base, "fields"), EMBED_FIELDS_MAX))
        for j, field in enumerate(fields):
            problems += _check_len(field.get("name"), (*base, "fields", j, "name"), 1, FIELD_NAME_MAX, required=True)
            problems += _check_len(field.get("value"), (*base, "fields", j, "value"), 1, FIELD_VALUE_MAX, required=True)
        if embed.get("footer") is not None:
            problems += _check_len(
                embed["footer"].get("text"), (*base, "footer", "text"), 1, FOOTER_TEXT_MAX, required=True
            )
        if embed.get("author") is not None:
            problems += _check_len(
                embed["author"].get("name"), (*base, "author", "name"), 1, AUTHOR_NAME_MAX, required=True
            )
        for key in ("url",):
            problems += _check_url(embed.get(key), (*base, key), allow_attachment=False)
        for key in ("image", "thumbnail"):
            if embed.get(key) is not None:
                problems += _check_url(embed[key].get("url"), (*base, key, "url"), allow_attachment=True)
        color = embed.get("color")
        if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
            problems.append(FieldError((*base, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215."))
    if sum(embed_length(e) for e in embeds) > EMBED_TOTAL_MAX:
        problems.append(FieldError(("embeds",), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"))
    return problems


def _check_url(value: Any, path: Path, *, allow_attachment: bool) -> Iterator[FieldError]:
    if value is None:
        return
    schemes = ("http://", "https://", "attachment://") if allow_attachment else ("http://", "https://")
    if not isinstance(value, str) or not value.startswith(schemes):
        yield FieldError(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")


def validate_action_rows(rows: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Legacy components: at most 5 action rows of 5 buttons or one select; unique custom_ids."""
    problems: list[FieldError] = []
    if len(rows) > ACTION_ROWS_MAX:
        problems.append(_too_long(("components",), ACTION_ROWS_MAX))
    seen: set[str] = set()
    for i, row in enumerate(rows):
        path: Path = ("components", i)
        if row.get("type") != 1:
            problems.append(
                FieldError((*path, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).')
            )
            continue
        problems += _check_row(row, path, seen)
    return problems


def _check_row(row: Mapping[str, Any], path: Path, seen: set[str]) -> list[FieldError]:
    problems: list[FieldError] = []
    children = row.get("components") or []
    if not children:
        problems.append(_bad_length((*path, "components"), 1, BUTTONS_PER_ROW_MAX))
    selects = [c for c in children if c.get("type") in SELECT_TYPES]
    if (selects and len(children) > 1) or len(children) > BUTTONS_PER_ROW_MAX:
        problems.append(
            FieldError(
                (*path, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        )
    for j, child in enumerate(children):
        problems += _check_interactive(child, (*path, "components", j), seen)
    return problems


def _check_interactive(component: Mapping[str, Any], path: Path, seen: set[str]) -> list[FieldError]:
    problems: list[FieldError] = []
    kind = component.get("type")
    if kind == 2:
        style = component.get("style")
        if style not in (1, 2, 3, 4, 5, 6):
            problems.append(
                FieldError((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6}.")
            )
        problems += _check_len(component.get("label"), (*path, "label"), 0, BUTTON_LABEL_MAX)
        if style == LINK_STYLE:
            problems += _check_len(component.get("url"), (*path, "url"), 1, LINK_URL_MAX, required=True)
            if component.get("custom_id") is not None:
                problems.append(
                    FieldError(
                        (*path, "custom_id"),
                        "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                        "A link button cannot have a custom_id",
                    )
                )
        elif style != PREMIUM_STYLE:
            problems += _check_custom_id(component, path, seen)
            if component.get("url") is not None:
                problems.append(
                    FieldError(
                        (*path, "url"), "BUTTON_COMPONENT_URL_NOT_ALLOWED", "A non-link button cannot have a url"
                    )
                )
        if style != PREMIUM_STYLE and not component.get("label") and not component.get("emoji"):
            problems.append(
                FieldError(
                    (*path, "label"),
                    "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED",
                    "A button must have a label or an emoji",
                )
            )
    elif kind in SELECT_TYPES:
        problems += _check_custom_id(component, path, seen)
        problems += _check_len(component.get("placeholder"), (*path, "placeholder"), 0, SELECT_PLACEHOLDER_MAX)
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not (0 <= low <= SELECT_OPTIONS_MAX and 1 <= high <= SELECT_OPTIONS_MAX and low <= high):
            problems.append(FieldError((*path, "max_values"), "BASE_TYPE_BAD_INT", "Invalid min_values/max_values."))
        if kind == 3:
            options = component.get("options") or []
            if not 1 <= len(options) <= SELECT_OPTIONS_MAX:
                problems.append(_bad_length((*path, "options"), 1, SELECT_OPTIONS_MAX))
            for k, option in enumerate(options):
                for key in ("label", "value"):
                    problems += _check_len(
                        option.get(key), (*path, "options", k, key), 1, SELECT_TEXT_MAX, required=True
                    )
                problems += _check_len(
                    option.get("description"), (*path, "options", k, "description"), 0, SELECT_TEXT_MAX
                )
    else:
        problems.append(
            FieldError((*path, "type"), "UNION_TYPE_CHOICES", f"Component type {kind} is not allowed here.")
        )
    return problems


def _check_custom_id(component: Mapping[str, Any], path: Path, seen: set[str]) -> list[FieldError]:
    custom_id = component.get("custom_id")
    problems = list(_check_len(custom_id, (*path, "custom_id"), 1, CUSTOM_ID_MAX, required=True))
    if isinstance(custom_id, str):
        if custom_id in seen:
            problems.append(
                FieldError(
                    (*path, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
                )
            )
        seen.add(custom_id)
    return problems


def _walk(components: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for component in components:
        yield component
        yield from _walk(component.get("components") or [])
        if isinstance(component.get("accessory"), Mapping):
            yield component["accessory"]


def validate_components_v2(components: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Components V2: allowed types where they are, at most 40 components, at most 4000 characters of text, and
    each layout component's own rules (sections, media galleries, thumbnails, separators, containers)."""
    problems: list[FieldError] = []
    for i, component in enumerate(components):
        if component.get("type") not in V2_TOP_LEVEL:
            problems.append(
                FieldError(
                    ("components", i, "type"), "UNION_TYPE_CHOICES", "Component type is not allowed at the top level."
                )
            )
    everything = list(_walk(components))
    if len(everything) > V2_COMPONENTS_MAX:
        problems.append(_too_long(("components",), V2_COMPONENTS_MAX))
    if sum(len(c.get("content") or "") for c in everything if c.get("type") == 10) > V2_TEXT_TOTAL_MAX:
        problems.append(
            FieldError(("components",), "COMPONENT_TEXT_TOO_LONG", "Text display content exceeds 4000 characters.")
        )
    seen: set[str] = set()
    for i, component in enumerate(everything):
        path: Path = ("components", i)
        kind = component.get("type")
        if kind == 1:
            problems += _check_row(component, path, seen)
        elif kind == 9:
            problems += _check_section(component, path, seen)
        elif kind == 11:
            problems += _check_media(component, path)
        elif kind == 12:
            problems += _check_gallery(component, path)
        elif kind == 14 and component.get("spacing", 1) not in SEPARATOR_SPACINGS:
            problems.append(FieldError((*path, "spacing"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}."))
        elif kind == 17:
            for j, child in enumerate(component.get("components") or []):
                if child.get("type") not in V2_IN_CONTAINER:
                    problems.append(FieldError((*path, "components", j, "type"), "UNION_TYPE_CHOICES",
                                               "Component type is not allowed in a container."))
    return problems


def _check_section(section: Mapping[str, Any], path: Path, seen: set[str]) -> list[FieldError]:
    problems: list[FieldError] = []
    texts = section.get("components") or []
    if not SECTION_TEXTS[0] <= len(texts) <= SECTION_TEXTS[1] or any(t.get("type") != 10 for t in texts):
        problems.append(_bad_length((*path, "components"), *SECTION_TEXTS))
    accessory = section.get("accessory")
    if not isinstance(accessory, Mapping):
        problems.append(_required((*path, "accessory")))
    elif accessory.get("type") == 2:
        problems += _check_interactive(accessory, (*path, "accessory"), seen)
    elif accessory.get("type") != 11:
        problems.append(FieldError((*path, "accessory", "type"), "UNION_TYPE_CHOICES",
                                   "A section's accessory must be a button or a thumbnail."))
    return problems


def _check_media(component: Mapping[str, Any], path: Path) -> list[FieldError]:
    """A thumbnail or gallery item: an unfurled media item with a URL (http(s) or attachment://)."""
    media = component.get("media")
    if not isinstance(media, Mapping) or not media.get("url"):
        return [_required((*path, "media", "url"))]
    problems = list(_check_url(media.get("url"), (*path, "media", "url"), allow_attachment=True))
    problems += _check_len(component.get("description"), (*path, "description"), 0, MEDIA_DESCRIPTION_MAX)
    return problems


def _check_gallery(gallery: Mapping[str, Any], path: Path) -> list[FieldError]:
    items = gallery.get("items") or []
    problems: list[FieldError] = []
    if not GALLERY_ITEMS[0] <= len(items) <= GALLERY_ITEMS[1]:
        problems.append(_bad_length((*path, "items"), *GALLERY_ITEMS))
    for j, item in enumerate(items):
        problems += _check_media(item, (*path, "items", j))
    return problems


def validate_allowed_mentions(value: Mapping[str, Any]) -> list[FieldError]:
    """``parse`` values, and the rule that ``parse: users`` excludes an explicit ``users`` list (same for roles)."""
    problems: list[FieldError] = []
    parse = value.get("parse") or []
    for i, item in enumerate(parse):
        if item not in ("users", "roles", "everyone"):
            problems.append(
                FieldError(
                    ("allowed_mentions", "parse", i),
                    "BASE_TYPE_CHOICES",
                    "Value must be one of ('roles', 'users', 'everyone').",
                )
            )
    for kind in ("users", "roles"):
        if kind in parse and value.get(kind):
            problems.append(
                FieldError(
                    ("allowed_mentions",),
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                )
            )
        if len(value.get(kind) or []) > 100:
            problems.append(_too_long(("allowed_mentions", kind), 100))
    return problems


def is_empty_message(
    *, content: str | None, embeds: Sequence[Any], attachments: int, components: Sequence[Any], stickers: Sequence[Any]
) -> bool:
    """Discord refuses (50006) a message with nothing to show."""
    return not (content or "").strip() and not embeds and not attachments and not components and not stickers


# ---- modals ------------------------------------------------------------------------------------------------
def validate_modal(data: Mapping[str, Any]) -> list[FieldError]:
    """A modal callback: title, custom_id, 1-5 components of text inputs (in action rows or labels)."""
    problems: list[FieldError] = []
    problems += _check_len(data.get("title"), ("data", "title"), 1, MODAL_TITLE_MAX, required=True)
    problems += _check_len(data.get("custom_id"), ("data", "custom_id"), 1, CUSTOM_ID_MAX, required=True)
    components = data.get("components") or []
    if not 1 <= len(components) <= MODAL_COMPONENTS_MAX:
        problems.append(_bad_length(("data", "components"), 1, MODAL_COMPONENTS_MAX))
    seen: set[str] = set()
    for i, component in enumerate(components):
        path: Path = ("data", "components", i)
        kind = component.get("type")
        if kind == 1:
            children = component.get("components") or []
            if len(children) != 1:
                problems.append(_bad_length((*path, "components"), 1, 1))
            for j, child in enumerate(children):
                problems += _check_modal_input(child, (*path, "components", j), seen, needs_label=True)
        elif kind == 18:
            problems += _check_len(component.get("label"), (*path, "label"), 1, TEXT_INPUT_LABEL_MAX, required=True)
            problems += _check_len(component.get("description"), (*path, "description"), 0, LABEL_DESCRIPTION_MAX)
            child = component.get("component")
            if not isinstance(child, Mapping):
                problems.append(_required((*path, "component")))
            else:
                problems += _check_modal_input(child, (*path, "component"), seen, needs_label=False)
        elif kind != 10:
            problems.append(
                FieldError((*path, "type"), "UNION_TYPE_CHOICES", "Component type is not allowed in a modal.")
            )
    return problems


def _check_modal_input(
    component: Mapping[str, Any], path: Path, seen: set[str], *, needs_label: bool
) -> list[FieldError]:
    problems: list[FieldError] = []
    kind = component.get("type")
    if kind in SELECT_TYPES or kind == 19:
        return _check_custom_id(component, path, seen)
    if kind != 4:
        return [FieldError((*path, "type"), "UNION_TYPE_CHOICES", "Component type is not allowed in a modal.")]
    problems += _check_custom_id(component, path, seen)
    if component.get("style") not in (1, 2):
        problems.append(FieldError((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}."))
    if needs_label or component.get("label") is not None:
        problems += _check_len(component.get("label"), (*path, "label"), 1, TEXT_INPUT_LABEL_MAX, required=needs_label)
    low = component.get("min_length")
    high = component.get("max_length")
    if low is not None and not 0 <= low <= TEXT_INPUT_VALUE_MAX:
        problems.append(FieldError((*path, "min_length"), "NUMBER_TYPE_MAX", "int value should be <= 4000."))
    if high is not None and not 1 <= high <= TEXT_INPUT_VALUE_MAX:
        problems.append(FieldError((*path, "max_length"), "NUMBER_TYPE_MAX", "int value should be <= 4000."))
    if low is not None and high is not None and low > high:
        problems.append(
            FieldError((*path, "min_length"), "BASE_TYPE_BAD_INT", "min_length must not exceed max_length.")
        )
    problems += _check_len(component.get("value"), (*path, "value"), 0, high or TEXT_INPUT_VALUE_MAX)
    problems += _check_len(component.get("placeholder"), (*path, "placeholder"), 0, TEXT_INPUT_PLACEHOLDER_MAX)
    return problems


# ---- threads -----------------------------------------------------------------------------------------------
def validate_thread(body: Mapping[str, Any], *, creating: bool) -> list[FieldError]:
    """Thread name 1-100, archive duration in {60, 1440, 4320, 10080}, slowmode 0-21600."""
    problems: list[FieldError] = []
    if creating or "name" in body:
        problems += _check_len(body.get("name"), ("name",), 1, THREAD_NAME_MAX, required=True)
    duration = body.get("auto_archive_duration")
    if duration is not None and duration not in ARCHIVE_DURATIONS:
        problems.append(
            FieldError(("auto_archive_duration",), "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}.")
        )
    slowmode = body.get("rate_limit_per_user")
    if slowmode is not None and not 0 <= slowmode <= SLOWMODE_MAX:
        problems.append(FieldError(("rate_limit_per_user",), "NUMBER_TYPE_MAX", "int value should be <= 21600."))
    return problems


# ---- application commands ----------------------------------------------------------------------------------
def validate_commands(commands: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Bulk-overwrite payload: names, descriptions, option counts and order, unique names."""
    problems: list[FieldError] = []
    if len(commands) > COMMANDS_MAX:
        problems.append(_too_long((), COMMANDS_MAX))
    seen: set[tuple[str, int]] = set()
    for i, cmd in enumerate(commands):
        kind = int(cmd.get("type", 1))
        name = cmd.get("name")
        if kind == 1:
            problems += _check_name(name, (i, "name"))
            problems += _check_len(
                cmd.get("description"), (i, "description"), 1, COMMAND_DESCRIPTION_MAX, required=True
            )
            problems += _check_options(cmd.get("options") or [], (i, "options"))
        else:
            problems += _check_len(name, (i, "name"), 1, 32, required=True)
        key = (str(name), kind)
        if key in seen:
            problems.append(
                FieldError(
                    (i, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique ({name})",
                )
            )
        seen.add(key)
    return problems


def _check_name(name: Any, path: Path) -> list[FieldError]:
    if not isinstance(name, str) or not COMMAND_NAME.match(name) or name != name.lower():
        return [FieldError(path, "APPLICATION_COMMAND_INVALID_NAME", f"Command name is invalid ({name!r})")]
    return []


def _check_options(options: Sequence[Mapping[str, Any]], path: Path) -> list[FieldError]:
    problems: list[FieldError] = []
    if len(options) > COMMAND_OPTIONS_MAX:
        problems.append(_too_long(path, COMMAND_OPTIONS_MAX))
    optional_seen = False
    names: set[str] = set()
    for i, option in enumerate(options):
        opath: Path = (*path, i)
        problems += _check_name(option.get("name"), (*opath, "name"))
        problems += _check_len(
            option.get("description"), (*opath, "description"), 1, COMMAND_DESCRIPTION_MAX, required=True
        )
        if option.get("name") in names:
            problems.append(
                FieldError(
                    (*opath, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique"
                )
            )
        names.add(str(option.get("name")))
        if option.get("type") in (1, 2):
            problems += _check_options(option.get("options") or [], (*opath, "options"))
            continue
        if option.get("required"):
            if optional_seen:
                problems.append(
                    FieldError(
                        (*opath, "required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
        else:
            optional_seen = True
        if len(option.get("choices") or []) > COMMAND_CHOICES_MAX:
            problems.append(_too_long((*opath, "choices"), COMMAND_CHOICES_MAX))
    return problems
