"""Pure text for /videobot library: the settings, and the moderator-log line of a change."""

from __future__ import annotations

from bot.store import LibrarySettings


def _on(value: bool) -> str:
    return "on" if value else "off"


def library_settings_text(settings: LibrarySettings) -> str:
    """`/videos: on · ⭐ stars: on · best-of: #best (3 stars in a week)`."""
    best_of = (f"<#{settings.best_of_channel_id}> (videos with {settings.best_of_stars} ⭐ or more in a week)"
               if settings.best_of_channel_id else "off")
    return f"/videos: {_on(settings.library_enabled)} · ⭐ stars: {_on(settings.stars_enabled)} · best-of: {best_of}"


def library_change_log(actor_id: int, before: LibrarySettings, after: LibrarySettings) -> str:
    """`📚 @mo changed the library: stars on → off`."""
    changes = []
    for label, old, new in (
        ("/videos", _on(before.library_enabled), _on(after.library_enabled)),
        ("stars", _on(before.stars_enabled), _on(after.stars_enabled)),
        ("best-of channel", f"<#{before.best_of_channel_id}>" if before.best_of_channel_id else "none",
         f"<#{after.best_of_channel_id}>" if after.best_of_channel_id else "none"),
        ("best-of stars", str(before.best_of_stars), str(after.best_of_stars)),
    ):
        if old != new:
            changes.append(f"{label} {old} → {new}")
    return f"📚 <@{actor_id}> changed the library: {', '.join(changes)}"
