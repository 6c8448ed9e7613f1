"""AsyncContextService: the seed's context methods (each a check, one action and a parse),
auto-paging iterators, streamed file transfers and folder transfers.

The service is handed its channel and region by the client; the transfers and the paginator
are handed the channel and small callables (a presigned URL, a page of a listing), never the
service itself."""

import functools
import os
import warnings
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from .. import _checks, _local, _results
from .._errors import AgentBayError, ClearanceTimeoutError
from .._folders import FolderProgressCallback
from .._models import (
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
from .._transports.timing import Deadline
from . import _file_transfer, _folder_transfer
from ._file_transfer import FileJob, UrlFor
from ._folder_transfer import Options, Remote
from ._io import sleep
from ._paging import pages, walk

if TYPE_CHECKING:
    from ._client import AsyncAgentBay


def _check_context(context: object) -> Context:
    if not isinstance(context, Context):
        raise AgentBayError(f"context must be a Context, got {type(context).__name__}")
    _checks.check_text("context.id", context.id)
    return context


LIST_CONCURRENCY = 16
"""How many pages ``iter_files(recursive=True)`` fetches at once (sibling folders at once),
as many as a folder transfer's default ``concurrency``."""


def _optional_text(name: str, value: str | None) -> str | None:
    return _checks.check_encodable(name, value) if value else None


def _status_params(context_id: str) -> dict[str, object]:
    return {"ContextId": _checks.check_text("context_id", context_id), "AllowCreate": False}


class AsyncContextService:
    """Manage persistent contexts: create, find, list, rename, clear and delete them, and reach
    their files through presigned URLs.

    Example::

        result = await agent_bay.context.get(name="my-context", create=True)
        print(result.context_id)
    """

    def __init__(self, agent_bay: "AsyncAgentBay") -> None:
        self.agent_bay = agent_bay
        # What the service uses, handed over by the client: its one way to AgentBay (actions
        # and transfers) and the region sent when creating contexts.
        self._channel = agent_bay.channel
        self._region_id = agent_bay.region_id

    async def list(self, params: ContextListParams | None = None) -> ContextListResult:
        """List one page of contexts (10 per page unless ``params.max_results`` says otherwise).

        Example::

            page = await agent_bay.context.list(ContextListParams(max_results=20))
            more = await agent_bay.context.list(ContextListParams(next_token=page.next_token))
        """
        params = params if params is not None else ContextListParams()
        max_results = 10 if params.max_results is None else params.max_results
        reply = await self._channel.call(
            "ListContexts",
            {
                "MaxResults": _checks.check_positive("max_results", max_results),
                "NextToken": _optional_text("next_token", params.next_token),
                "SessionId": _optional_text("session_id", params.session_id),
            },
        )
        return _results.context_list_result(reply)

    async def get(
        self, name: str | None = None, create: bool = False, context_id: str | None = None
    ) -> ContextResult:
        """Get a context by name or by id; with ``create=True``, create the named one if missing.

        Raises :class:`AgentBayError`, before sending anything, when neither ``name`` nor
        ``context_id`` is given or when ``create=True`` comes with ``context_id``.

        Example::

            result = await agent_bay.context.get(name="my-context", create=True)
        """
        params = _checks.get_context_params(name, create, context_id, self._region_id)
        return _results.context_result(await self._channel.call("GetContext", params))

    async def create(self, name: str) -> ContextResult:
        """Create a context named ``name`` (or get it if it exists): ``get(name, create=True)``.

        Example::

            result = await agent_bay.context.create("my-new-context")
        """
        return await self.get(name=name, create=True)

    async def update(self, context: Context) -> OperationResult:
        """Rename ``context`` to its current ``name`` (ModifyContext).

        Raises :class:`AgentBayError` when the service could not be reached; a refusal by the
        service (say, a taken name) is a failed result.

        Example::

            result = await agent_bay.context.get(name="old-name")
            result.context.name = "new-name"
            await agent_bay.context.update(result.context)
        """
        context = _check_context(context)
        params = {"Id": context.id, "Name": _checks.check_text("context.name", context.name)}
        reply = await self._channel.call("ModifyContext", params)
        _results.raise_for(reply, f"update context {context.id}", api_errors=False)
        return _results.operation_result(reply)

    async def delete(self, context: Context) -> OperationResult:
        """Delete ``context`` and its files (DeleteContext).

        Raises :class:`AgentBayError` when the service could not be reached.

        Example::

            await agent_bay.context.delete(result.context)
        """
        context = _check_context(context)
        reply = await self._channel.call("DeleteContext", {"Id": context.id})
        _results.raise_for(reply, f"delete context {context.id}", api_errors=False)
        return _results.operation_result(reply)

    async def get_file_download_url(self, context_id: str, file_path: str) -> FileUrlResult:
        """A presigned URL to GET ``file_path`` of the context.

        Example::

            url = (await agent_bay.context.get_file_download_url(ctx_id, "/data/a.txt")).url
        """
        return await self._file_url("GetContextFileDownloadUrl", context_id, file_path)

    async def get_file_upload_url(self, context_id: str, file_path: str) -> FileUrlResult:
        """A presigned URL to PUT ``file_path`` of the context.

        Example::

            url = (await agent_bay.context.get_file_upload_url(ctx_id, "/data/a.txt")).url
        """
        return await self._file_url("GetContextFileUploadUrl", context_id, file_path)

    async def _file_url(self, action: str, context_id: str, file_path: str) -> FileUrlResult:
        params = {
            "ContextId": _checks.check_text("context_id", context_id),
            "FilePath": _checks.check_text("file_path", file_path),
        }
        return _results.file_url_result(await self._channel.call(action, params))

    async def delete_file(self, context_id: str, file_path: str) -> OperationResult:
        """Delete ``file_path`` from the context.

        Example::

            await agent_bay.context.delete_file(ctx_id, "/data/a.txt")
        """
        params = {
            "ContextId": _checks.check_text("context_id", context_id),
            "FilePath": _checks.check_text("file_path", file_path),
        }
        return _results.operation_result(await self._channel.call("DeleteContextFile", params))

    async def list_files(
        self,
        context_id: str,
        parent_folder_path: str,
        page_number: int = 1,
        page_size: int = 50,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> ContextFileListResult:
        """List one page of the files and folders directly under ``parent_folder_path``.

        Pages by number (``page_number``, ``page_size``), or by token when ``max_results`` or
        ``next_token`` is given: then the result's ``next_token`` leads to the next page.

        Example::

            files = await agent_bay.context.list_files(ctx_id, "/")
            print(f"Found {len(files.entries)} of {files.count} entries")
            page = await agent_bay.context.list_files(ctx_id, "/", max_results=100)
            more = await agent_bay.context.list_files(ctx_id, "/", next_token=page.next_token)
        """
        params: dict[str, object] = {
            "ContextId": _checks.check_text("context_id", context_id),
            "ParentFolderPath": _checks.check_text("parent_folder_path", parent_folder_path),
        }
        if max_results is not None or next_token is not None:
            if max_results is not None:
                params["MaxResults"] = _checks.check_positive("max_results", max_results)
            params["NextToken"] = _optional_text("next_token", next_token)
        else:
            params["PageNumber"] = _checks.check_positive("page_number", page_number)
            params["PageSize"] = _checks.check_positive("page_size", page_size)
        return _results.file_list_result(await self._channel.call("DescribeContextFiles", params))

    async def clear_async(self, context_id: str) -> ClearContextResult:
        """Start clearing the context's data and return at once, with status ``"clearing"``.

        Raises :class:`AgentBayError` when the service refuses (say, an unknown id) or cannot
        be reached.

        Example::

            await agent_bay.context.clear_async(ctx_id)
        """
        return await self._start_clear(context_id, None)

    async def _start_clear(self, context_id: str, deadline: Deadline | None) -> ClearContextResult:
        params = {"Id": _checks.check_text("context_id", context_id)}
        reply = await self._channel.call("ClearContext", params, deadline)
        _results.raise_for(reply, f"start clearing context {context_id}")
        return _results.clear_started_result(reply, context_id)

    async def start_clear(self, context_id: str) -> ClearContextResult:
        """Deprecated alias of :meth:`clear_async`."""
        warnings.warn(
            "start_clear() is deprecated; use clear_async()", DeprecationWarning, stacklevel=2
        )
        return await self.clear_async(context_id)

    async def get_clear_status(self, context_id: str) -> ClearContextResult:
        """The context's State as a clearing status (``"clearing"``, ``"available"``, ...).

        Example::

            print((await agent_bay.context.get_clear_status(ctx_id)).status)
        """
        reply = await self._channel.call("GetContext", _status_params(context_id))
        return _results.clear_status_result(reply)

    async def clear(
        self, context_id: str, timeout: int = 60, poll_interval: float = 2.0
    ) -> ClearContextResult:
        """Clear the context's data and wait, polling every ``poll_interval`` s, until it reads
        ``"available"``. Transient polling failures are retried until ``timeout``.

        Raises :class:`ClearanceTimeoutError` after ``timeout`` seconds, and
        :class:`AgentBayError` when starting or polling fails.

        Example::

            result = await agent_bay.context.clear(ctx_id, timeout=60)
        """
        wait = _checks.check_duration("timeout", timeout)
        interval = _checks.check_duration("poll_interval", poll_interval)
        deadline = Deadline(total=wait)
        timed_out = ClearanceTimeoutError(
            f"Context {context_id} was still clearing after {wait:g} s"
        )
        try:
            started = await self._start_clear(context_id, deadline)
        except AgentBayError as exc:
            if exc.code == "SDK.Timeout" and deadline.remaining() <= 0.01:
                raise timed_out from None
            raise
        timed_out.request_id = started.request_id
        while True:
            remaining = deadline.remaining()
            if remaining <= 0:
                raise timed_out
            await sleep(min(interval, remaining))
            # The poll that ends the last stretch comes at the deadline: it gets one poll
            # interval (at most 1 s) of its own, else it could never be sent.
            grace = Deadline(total=min(interval, 1.0))
            within = deadline if deadline.remaining() > 0 else grace
            reply = await self._channel.call("GetContext", _status_params(context_id), within)
            status = _results.clear_status_result(reply)
            if not status.success and not reply.retryable:
                raise AgentBayError(
                    f"Failed to read the clearing status of {context_id}: {status.error_message}",
                    code=status.code or None,
                    request_id=status.request_id,
                    http_status_code=status.http_status_code,
                )
            if status.status == "available":
                return ClearContextResult(
                    request_id=started.request_id,
                    success=True,
                    status=status.status,
                    context_id=context_id,
                )

    async def iter_contexts(
        self, page_size: int = 50, session_id: str | None = None
    ) -> AsyncIterator[Context]:
        """Every context, fetched ``page_size`` at a time by following ``next_token``.

        Raises :class:`AgentBayError` for a bad ``page_size`` (before sending anything) and for
        a page that fails (with the service's ``code``).

        Example::

            async for context in agent_bay.context.iter_contexts(page_size=100):
                print(context.id, context.name)
        """
        size = _checks.check_positive("page_size", page_size)

        async def page(token: str | None) -> ContextListResult:
            return await self.list(ContextListParams(size, token, session_id))

        async for listed in pages(page, "list contexts"):
            for context in listed.contexts:
                yield context

    async def iter_files(
        self,
        context_id: str,
        parent_folder_path: str,
        page_size: int = 100,
        *,
        recursive: bool = False,
    ) -> AsyncIterator[ContextFileEntry]:
        """Every entry directly under ``parent_folder_path``, fetched page by page (by token,
        ``page_size`` entries a page: 100, the service's most, by default); with
        ``recursive=True``, every file below it instead, each folder listed once, up to
        :data:`LIST_CONCURRENCY` pages at a time (sibling folders at once).

        The order is the listing's: page by page as they arrive, a folder's entries in the
        order the service lists them; with ``recursive=True`` the files of different folders
        may interleave (sort them if the order matters). Raises :class:`AgentBayError` for bad
        arguments (before sending anything), for a page that fails (with the service's
        ``code``) and for a page the service repeats.

        Example::

            async for entry in agent_bay.context.iter_files(ctx_id, "/data", recursive=True):
                print(entry.file_path, entry.size)
        """
        size = _checks.check_positive("page_size", page_size)
        _checks.check_text("parent_folder_path", parent_folder_path)

        async def page(folder: str, token: str | None) -> ContextFileListResult:
            return await self._file_page(context_id, folder, size, token)

        if recursive:
            async for entry in walk(page, parent_folder_path, LIST_CONCURRENCY):
                yield entry
            return
        async for listed in pages(functools.partial(page, parent_folder_path), "list files"):
            for entry in listed.entries:
                yield entry

    async def _file_page(
        self, context_id: str, folder: str, size: int, token: str | None
    ) -> ContextFileListResult:
        """One page of ``folder``'s entries, by token."""
        return await self.list_files(context_id, folder, max_results=size, next_token=token)

    def _remote(self) -> Remote:
        """What a folder transfer uses of this service, as callables."""
        return Remote(self._file_page, self.upload_file, self.download_file, self.delete_file)

    def _file_job(
        self,
        url_for: UrlFor,
        context_id: str,
        file_path: str,
        progress: _local.ProgressCallback | None,
        timeout: float | None,
    ) -> FileJob:
        """A transfer's job, once its arguments are checked (raises before anything is sent)."""
        _checks.check_text("context_id", context_id)
        _checks.check_text("file_path", file_path)
        _local.check_progress(progress)
        total = None if timeout is None else _checks.check_duration("timeout", timeout)
        return FileJob(self._channel, url_for, context_id, file_path, total)

    async def upload_file(
        self,
        context_id: str,
        file_path: str,
        source: _local.Source,
        *,
        progress: _local.ProgressCallback | None = None,
        timeout: float | None = None,
    ) -> OperationResult:
        """Upload ``source`` to ``file_path`` of the context, streamed in 1 MiB chunks.

        ``source`` is a path, bytes, or a binary file object (read from its current position).
        ``progress(bytes_done, total)`` is called as bytes move (``total`` None when unknown),
        from ``(0, total)`` again when an attempt is retried; an exception it raises stops the
        transfer and propagates. A transient failure (a connection refused, reset or cut, a
        stall, storage answering 408, 429 or 5xx) is retried with a fresh URL, up to
        ``Config.max_retries`` times with backoff, if the source can be read again from its
        start (a path, bytes, a seekable file; not a pipe). Each step must progress within the
        client's ``timeout_ms``; ``timeout`` (seconds) bounds the whole transfer, retries and
        waits included. Raises :class:`AgentBayError` for bad arguments or an unreadable file,
        before sending; every later failure is a failed result. On success ``data`` is the byte
        count.

        Example::

            result = await agent_bay.context.upload_file(ctx_id, "/data/a.bin", "a.bin")
        """
        job = self._file_job(self.get_file_upload_url, context_id, file_path, progress, timeout)
        return await _file_transfer.upload(job, source, progress)

    async def download_file(
        self,
        context_id: str,
        file_path: str,
        destination: _local.Destination,
        *,
        progress: _local.ProgressCallback | None = None,
        timeout: float | None = None,
    ) -> OperationResult:
        """Download ``file_path`` of the context to ``destination``, streamed in 1 MiB chunks.

        ``destination`` is a path (written to a temporary file in its folder and renamed into
        place only on success) or a writable binary file object. ``progress(bytes_done, total)``
        is called as bytes move; an exception it raises stops the transfer and propagates.
        Transient failures are retried as by :meth:`upload_file`, each retry resuming from the
        bytes already received (``Range: bytes=N-``) when storage allows it, else starting over
        (and reporting from 0 again). Each step must progress within the client's
        ``timeout_ms``; ``timeout`` (seconds) bounds the whole transfer. Raises
        :class:`AgentBayError` for bad arguments or an unwritable folder, before sending; every
        later failure is a failed result, and leaves a destination path untouched. On success
        ``data`` is the byte count.

        Example::

            result = await agent_bay.context.download_file(ctx_id, "/data/a.bin", "a.bin")
            if not result.success:
                print(result.code, result.error_message)
        """
        job = self._file_job(self.get_file_download_url, context_id, file_path, progress, timeout)
        return await _file_transfer.download(job, destination, progress)

    async def upload_folder(
        self,
        context_id: str,
        local_folder: str | os.PathLike[str],
        remote_folder: str,
        *,
        concurrency: int = 16,
        only_changed: bool = True,
        delete_extra: bool = False,
        dry_run: bool = False,
        allow_empty_source: bool = False,
        progress: FolderProgressCallback | None = None,
    ) -> FolderTransferResult:
        """Upload the regular files below ``local_folder`` to ``remote_folder`` of the context,
        ``concurrency`` files at a time, each as :meth:`upload_file` (retries included).

        With ``only_changed``, a file is sent only when the remote copy is missing, differs
        in size, or is older than the local file (by more than 2 s). ``delete_extra`` deletes
        remote files below ``remote_folder`` that the local folder lacks, but nothing when the
        local folder holds no file at all (that refusal is named in ``failed``, under
        ``remote_folder``) unless ``allow_empty_source``; ``dry_run`` only reports what would
        be done. Symbolic links below the folder are not followed.
        ``progress(done_bytes, total_bytes, done_files, total_files)`` is called in the
        caller's thread (or on its event loop); its numbers never go down, and ``done_files``
        counts the files that landed (not the failed ones). A file that fails is named in
        ``failed``; the others go on. Raises :class:`AgentBayError` for bad arguments or a
        local folder that cannot be read, before sending.

        Example::

            result = await agent_bay.context.upload_folder(ctx_id, "photos", "/photos")
            print(len(result.transferred), "sent,", len(result.skipped), "unchanged")
        """
        options = Options.checked(
            concurrency, only_changed, delete_extra, dry_run, allow_empty_source
        )
        return await _folder_transfer.upload_folder(
            self._remote(), context_id, local_folder, remote_folder, options, progress
        )

    async def download_folder(
        self,
        context_id: str,
        remote_folder: str,
        local_folder: str | os.PathLike[str],
        *,
        concurrency: int = 16,
        only_changed: bool = True,
        delete_extra: bool = False,
        dry_run: bool = False,
        allow_empty_source: bool = False,
        progress: FolderProgressCallback | None = None,
    ) -> FolderTransferResult:
        """Download every file below ``remote_folder`` of the context into ``local_folder``
        (created if missing), ``concurrency`` files at a time, each as :meth:`download_file`.

        With ``only_changed``, a file is fetched only when the local copy is missing, differs
        in size, or is older than the remote one (by more than 2 s); each downloaded file gets
        the remote modification time. ``delete_extra`` deletes local files the remote folder
        lacks (``deleted`` names them by their remote path), but nothing when the remote
        folder is empty or missing (named in ``failed``) unless ``allow_empty_source``;
        ``dry_run`` only reports. Nothing is ever written outside ``local_folder``: a listed
        path that would leave it, or is not a valid local name, is refused and named in
        ``failed``. ``progress`` as for
        :meth:`upload_folder`. Raises :class:`AgentBayError` for bad arguments or a local
        folder that cannot be created, before sending.

        Example::

            result = await agent_bay.context.download_folder(ctx_id, "/photos", "photos")
            print(result.success, result.bytes_transferred)
        """
        options = Options.checked(
            concurrency, only_changed, delete_extra, dry_run, allow_empty_source
        )
        return await _folder_transfer.download_folder(
            self._remote(), context_id, remote_folder, local_folder, options, progress
        )
