"""Result and model types: attrs classes with the seed's constructors, shared by both flavours."""

import attrs

__all__ = [
    "ApiResponse",
    "ClearContextResult",
    "Context",
    "ContextFileEntry",
    "ContextFileListResult",
    "ContextListParams",
    "ContextListResult",
    "ContextResult",
    "FileUrlResult",
    "FolderTransferResult",
    "OperationResult",
]


@attrs.define
class ApiResponse:
    """Base of every result: the service's RequestId and, for a failure, why.

    ``code`` is the service's error code (``"InvalidContext.NotFound"``) or, when the service
    gave no answer, an SDK code (``"SDK.Timeout"``, ``"SDK.ConnectionFailed"``, ...);
    ``message`` the service's message; ``http_status_code`` the HTTP status (0 without one).
    """

    request_id: str = ""
    code: str = attrs.field(default="", kw_only=True)
    message: str = attrs.field(default="", kw_only=True)
    http_status_code: int = attrs.field(default=0, kw_only=True)

    def get_request_id(self) -> str:
        """The service's RequestId of the call (as the official SDK names it)."""
        return self.request_id


@attrs.define
class OperationResult(ApiResponse):
    """Outcome of an operation: ``success``, optional ``data`` and ``error_message``, and the
    structured ``code``, ``message`` and ``http_status_code`` of a failure.

    ``data`` is the byte count of a successful transfer (``upload_file``, ``download_file``),
    ``True`` for a successful action that answers no data (``update``, ``delete``,
    ``delete_file``), and None for a failure.
    """

    success: bool = False
    data: int | bool | None = None
    error_message: str = ""
    code: str = ""
    message: str = ""
    http_status_code: int = 0


@attrs.define
class FolderTransferResult(ApiResponse):
    """Outcome of ``upload_folder`` / ``download_folder``, every path a remote one.

    ``transferred``, ``skipped`` and ``deleted`` list the files moved, left alone and deleted
    (for a download, a deleted local file is named by its remote counterpart); ``failed`` maps
    a path that failed to why; ``bytes_transferred`` adds up the files moved. ``success`` is
    true when nothing failed; ``error_message`` then is empty, else it names the first failure.
    With ``dry_run=True`` the lists and ``bytes_transferred`` say what would be done.

    Example: ``FolderTransferResult(success=True, transferred=["/a/b.txt"], bytes_transferred=3)``
    """

    success: bool = False
    transferred: list[str] = attrs.Factory(list)
    skipped: list[str] = attrs.Factory(list)
    deleted: list[str] = attrs.Factory(list)
    failed: dict[str, str] = attrs.Factory(dict)
    bytes_transferred: int = 0
    error_message: str = ""


@attrs.define
class Context:
    """A persistent storage context, as the service describes it.

    Example: ``Context(id="ctx-1", name="my-context")``; ``name`` may be reassigned before
    ``update()``.
    """

    id: str
    name: str
    created_at: str | None = None
    last_used_at: str | None = None


@attrs.define
class ContextResult(ApiResponse):
    """Result of ``get``/``create``: the context and its id."""

    success: bool = False
    context_id: str = ""
    context: Context | None = None
    error_message: str = ""


def _contexts(value: list[Context] | None) -> list[Context]:
    return [] if value is None else value


@attrs.define
class ContextListResult(ApiResponse):
    """One page of contexts, with the token of the next page (``None`` on the last)."""

    success: bool = False
    contexts: list[Context] = attrs.field(default=None, converter=_contexts)
    next_token: str | None = None
    max_results: int | None = None
    total_count: int | None = None
    error_message: str = ""


@attrs.define
class ContextFileEntry:
    """A file or folder inside a context (``file_type`` tells which)."""

    file_id: str
    file_name: str
    file_path: str
    file_type: str | None = None
    gmt_create: str | None = None
    gmt_modified: str | None = None
    size: int | None = None
    status: str | None = None


@attrs.define
class FileUrlResult(ApiResponse):
    """A presigned URL (PUT to upload, GET to download) and its ``expire_time``."""

    success: bool = False
    url: str = ""
    expire_time: int | None = None
    error_message: str = ""


def _entries(value: list[ContextFileEntry] | None) -> list[ContextFileEntry]:
    return [] if value is None else value


@attrs.define
class ContextFileListResult(ApiResponse):
    """One page of the entries of a folder, ``count`` (the total number of entries) and, with
    token paging, the ``next_token`` of the next page (None on the last)."""

    success: bool = False
    entries: list[ContextFileEntry] = attrs.field(default=None, converter=_entries)
    count: int | None = None
    next_token: str | None = None
    error_message: str = ""


@attrs.define
class ClearContextResult(OperationResult):
    """Progress of a clearing task: ``status`` is the context's State (``"clearing"``, ...)."""

    # Redeclared so the positional order is the seed's: request_id, success, error_message, ...
    error_message: str = ""
    status: str | None = None
    context_id: str | None = None
    data: int | bool | None = attrs.field(default=None, kw_only=True)
    code: str = attrs.field(default="", kw_only=True)
    message: str = attrs.field(default="", kw_only=True)
    http_status_code: int = attrs.field(default=0, kw_only=True)


@attrs.define
class ContextListParams:
    """Paging parameters of ``list()``: page size (10 when None), page token, session filter."""

    max_results: int | None = None
    next_token: str | None = None
    session_id: str | None = None


for _model in (
    ApiResponse,
    OperationResult,
    Context,
    ContextResult,
    ContextListResult,
    ContextFileEntry,
    FileUrlResult,
    ContextFileListResult,
    ClearContextResult,
    ContextListParams,
):
    attrs.resolve_types(_model)  # real types in help() and signatures, not strings
del _model
