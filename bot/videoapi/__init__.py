"""The vendor's video API: streamed chat generations, task endpoints, Raw Data pages, typed errors, and a
local simulator. Knows nothing about Discord.
"""

from .client import ChatStream, OnRetry, VideoAPI
from .compose import Ask, ChatRequest, chat_request, task_body, task_prompt
from .credentials import key_for_this_call, paying_with
from .echo import Echo, read_echo
from .errors import (
    AuthenticationFailed,
    GenerationStopped,
    RateLimited,
    RequestRejected,
    ServiceUnavailable,
    StreamInterrupted,
    VideoAPIError,
)
from .failure_codes import KNOWN_CODES, Refusal, failure_code, refusal_of
from .sse import SSEDecoder, SSEEvent, SSEProtocolError
from .tasks import (
    NO_REASON,
    TaskEndpoint,
    TaskState,
    TaskStatus,
    full_task_id,
    normalize_status,
    parse_task,
    task_id_forms,
    task_path,
)
from .transcript import (
    Transcript,
    TranscriptParser,
    TranscriptState,
    parse_transcript,
)

__all__ = [
    "KNOWN_CODES",
    "NO_REASON",
    "Ask",
    "AuthenticationFailed",
    "ChatRequest",
    "ChatStream",
    "Echo",
    "GenerationStopped",
    "OnRetry",
    "RateLimited",
    "Refusal",
    "RequestRejected",
    "SSEDecoder",
    "SSEEvent",
    "SSEProtocolError",
    "ServiceUnavailable",
    "StreamInterrupted",
    "TaskEndpoint",
    "TaskState",
    "TaskStatus",
    "Transcript",
    "TranscriptParser",
    "TranscriptState",
    "VideoAPI",
    "VideoAPIError",
    "chat_request",
    "failure_code",
    "full_task_id",
    "key_for_this_call",
    "normalize_status",
    "parse_task",
    "parse_transcript",
    "paying_with",
    "read_echo",
    "refusal_of",
    "task_body",
    "task_id_forms",
    "task_path",
    "task_prompt",
]
