"""Discord routes as metric labels: bounded, and never carrying a token or an ID."""

from __future__ import annotations

from bot.discord_ui.request_metrics import route_of

BASE = "https://discord.com/api/v10"


def test_ids_and_tokens_become_placeholders() -> None:
    token = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OmFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6"
    assert route_of("patch", f"{BASE}/webhooks/1234/{token}/messages/@original", BASE) == (
        "PATCH /webhooks/:id/:id/messages/@original"
    )
    assert route_of("POST", f"{BASE}/interactions/99/{token}/callback?with_response=true", BASE) == (
        "POST /interactions/:id/:id/callback"
    )
    assert route_of("GET", f"{BASE}/oauth2/applications/@me", BASE) == "GET /oauth2/applications/@me"


def test_a_proxy_base_is_taken_off_like_discord_s() -> None:
    proxy = "http://127.0.0.1:8080/api/v10"
    assert route_of("PATCH", f"{proxy}/channels/5/messages/6", proxy) == "PATCH /channels/:id/messages/:id"
