"""``agentbay://`` for fsspec: pandas, pyarrow, DuckDB, dask and every library that takes a URL
and ``storage_options`` reach AgentBay contexts through :class:`AgentBayFileSystem`.

Needs the ``fsspec`` extra (``pip install 'agentbay-contexts[fsspec]'``); ``import agentbay``
does not import this module. fsspec finds the filesystem through its ``fsspec.specs`` entry
point, so ``fsspec.open("agentbay://ctx/a.csv")`` works once the package is installed.

Example::

    import pandas as pd

    df = pd.read_csv("agentbay://my-context/data/a.csv", storage_options={"api_key": "key"})
"""

from ._files import AgentBayAsyncFile, AgentBayFile
from ._filesystem import AgentBayFileSystem

__all__ = ["AgentBayAsyncFile", "AgentBayFile", "AgentBayFileSystem"]
