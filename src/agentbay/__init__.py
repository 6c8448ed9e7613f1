"""Typed async and sync Python SDK for AgentBay contexts.

Example::

    from agentbay import AgentBay

    with AgentBay(api_key="key") as agent_bay:
        result = agent_bay.context.get(name="my-context", create=True)
"""

from . import _annotations, _models
from ._async._client import AsyncAgentBay
from ._async.context import AsyncContextService
from ._config import Config
from ._errors import AgentBayError, ClearanceTimeoutError
from ._folders.progress import FolderProgressCallback
from ._local import BinaryReader, BinaryWriter, Destination, ProgressCallback, Source
from ._models import *  # noqa: F403  (the result and model types: _models.__all__)
from ._sync._client import AgentBay
from ._sync.context import ContextService
from ._version import __version__

__all__ = [
    "AgentBay",
    "AgentBayError",
    "AsyncAgentBay",
    "AsyncContextService",
    "BinaryReader",
    "BinaryWriter",
    "ClearanceTimeoutError",
    "Config",
    "ContextService",
    "Destination",
    "FolderProgressCallback",
    "ProgressCallback",
    "Source",
    "__version__",
]
__all__ += _models.__all__

# Public classes read as ``agentbay.X`` in help(), reprs and tracebacks, not as private modules,
# with their annotations resolved (not quoted strings).
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type):
        _annotations.resolve(_value)
        _value.__module__ = "agentbay"
del _name, _value
