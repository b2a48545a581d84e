"""A stand-in for Discord (gateway + REST + CDN) that the unmodified discord.py client logs into.

The end-to-end tests run the real bot against it; it holds Discord's limits, permissions and error codes,
and fails loudly when a client breaks one of its rules. Inside it, ``import discord`` is the real discord.py.
"""

from .client_view import ClientView
from .errors import ActionRefused, FakeDiscordError, UnknownObject, Violation, ViolationExpectation, WaitTimeout
from .feed import ClientEvent, ClientFeed, Subscription
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
    "ClientEvent",
    "ClientFeed",
    "ClientView",
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
    "Subscription",
    "UnknownObject",
    "UnknownRoute",
    "Upload",
    "User",
    "Violation",
    "ViolationExpectation",
    "WaitTimeout",
]
