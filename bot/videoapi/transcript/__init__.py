"""The status transcript resellers stream as chat-completion text: an incremental parser and its patterns."""

from .parser import (
    DEFAULT_FAILURE,
    UNSAFE_LINK_FAILURE,
    Transcript,
    TranscriptParser,
    TranscriptState,
    parse_transcript,
)
from .provenance import member_words

__all__ = [
    "DEFAULT_FAILURE",
    "UNSAFE_LINK_FAILURE",
    "Transcript",
    "TranscriptParser",
    "TranscriptState",
    "member_words",
    "parse_transcript",
]
