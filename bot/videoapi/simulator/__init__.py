"""A local stand-in for the vendor, behaving as public evidence says the vendor behaves (see server.py)."""

from .dialects import CHUNKS_THROUGH_TASK_ID, chunks_through_task_id
from .media import simulated_image, simulated_video
from .reading import read_chat, read_create
from .scenario import Dialect, RecordedRequest, Scenario, SimTask, key_fingerprint
from .server import Simulator

__all__ = [
    "CHUNKS_THROUGH_TASK_ID",
    "Dialect",
    "RecordedRequest",
    "Scenario",
    "SimTask",
    "Simulator",
    "chunks_through_task_id",
    "key_fingerprint",
    "read_chat",
    "read_create",
    "simulated_image",
    "simulated_video",
]
