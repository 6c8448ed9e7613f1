"""Typed async and sync Python SDK for AgentBay contexts.

Example::

    from agentbay import AgentBay

    with AgentBay(api_key="key") as agent_bay:
        result = agent_bay.context.get(name="my-context", create=True)
"""

from ._async._client import AsyncAgentBay
from ._async.context import AsyncContextService
from ._config import Config
from ._errors import AgentBayError, ClearanceTimeoutError
from ._local import BinaryReader, BinaryWriter
from ._models import (
    ApiResponse,
    ClearContextResult,
    Context,
    ContextFileEntry,
    ContextFileListResult,
    ContextListParams,
    ContextListResult,
    ContextResult,
    FileUrlResult,
    FolderTransferResult,
    OperationResult,
)
from ._sync._client import AgentBay
from ._sync.context import ContextService
from ._version import __version__

__all__ = [
    "AgentBay",
    "AgentBayError",
    "ApiResponse",
    "AsyncAgentBay",
    "AsyncContextService",
    "BinaryReader",
    "BinaryWriter",
    "ClearContextResult",
    "ClearanceTimeoutError",
    "Config",
    "Context",
    "ContextFileEntry",
    "ContextFileListResult",
    "ContextListParams",
    "ContextListResult",
    "ContextResult",
    "ContextService",
    "FileUrlResult",
    "FolderTransferResult",
    "OperationResult",
    "__version__",
]

# Public classes read as ``agentbay.X`` in help(), reprs and tracebacks, not as private modules.
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type):
        _value.__module__ = "agentbay"
del _name, _value
