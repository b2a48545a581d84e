"""A fake Discord (gateway + REST + CDN) for end-to-end tests with the unmodified discord.py client.

A package rather than the single ``tests/fakes/discord.py`` the issue asked for: it is ~4,800 lines, split so each
module has one job. Inside it, ``import discord`` is the real discord.py (absolute imports).
"""

from .errors import ActionRefused, FakeDiscordError, UnknownObject, Violation, ViolationExpectation, WaitTimeout
from .interactions import InteractionRecord, InteractionResponse
from .models import Channel, Member, Role, Upload, User
from .ratelimit import BucketLimit, RateLimitHit, RateLimits
from .readers import AttachmentView, MessageView
from .rest import RequestRecord, UnknownRoute
from .server import FakeDiscord
from .world import Guild

__all__ = [
    "ActionRefused",
    "AttachmentView",
    "BucketLimit",
    "Channel",
    "FakeDiscord",
    "FakeDiscordError",
    "Guild",
    "InteractionRecord",
    "InteractionResponse",
    "Member",
    "MessageView",
    "RateLimitHit",
    "RateLimits",
    "RequestRecord",
    "Role",
    "UnknownObject",
    "UnknownRoute",
    "Upload",
    "User",
    "Violation",
    "ViolationExpectation",
    "WaitTimeout",
]
