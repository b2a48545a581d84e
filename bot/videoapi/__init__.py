"""The vendor's video API: streamed chat generations, task endpoints, typed errors, a local simulator.

Knows nothing about Discord.
"""

from .client import ChatStream, OnRetry, VideoAPI
from .errors import (
    AuthenticationFailed,
    RateLimited,
    RequestRejected,
    ServiceUnavailable,
    StreamInterrupted,
    VideoAPIError,
)
from .sse import SSEDecoder, SSEEvent, SSEProtocolError
from .tasks import TaskState, TaskStatus, full_task_id, normalize_status, parse_task, task_query_path
from .transcript import (
    Transcript,
    TranscriptParser,
    TranscriptState,
    parse_transcript,
)

__all__ = [
    "AuthenticationFailed",
    "ChatStream",
    "OnRetry",
    "RateLimited",
    "RequestRejected",
    "SSEDecoder",
    "SSEEvent",
    "SSEProtocolError",
    "ServiceUnavailable",
    "StreamInterrupted",
    "TaskState",
    "TaskStatus",
    "Transcript",
    "TranscriptParser",
    "TranscriptState",
    "VideoAPI",
    "VideoAPIError",
    "full_task_id",
    "normalize_status",
    "parse_task",
    "parse_transcript",
    "task_query_path",
]
