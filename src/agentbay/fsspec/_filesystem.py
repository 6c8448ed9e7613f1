"""AgentBayFileSystem: ``agentbay://<context name>/<path>`` for fsspec, over the SDK's public
async API (``AsyncAgentBay.context``)."""

from __future__ import annotations

import asyncio
import errno
import io
import json
import os
import re
import tempfile
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from fsspec.asyn import AsyncFileSystem, _run_coros_in_chunks, sync_wrapper
from fsspec.callbacks import DEFAULT_CALLBACK

from .. import (
    AgentBayError,
    AsyncAgentBay,
    Config,
    ContextFileEntry,
    Destination,
    OperationResult,
    ProgressCallback,
)
from ._storage import (
    TRANSIENT_STATUS,
    RangeAnswer,
    RangeReader,
    backoff,
    raise_failure,
    raise_sdk_error,
)

T = TypeVar("T")
Info = dict[str, Any]
PAGE_SIZE = 100  # the most a listing page holds
_XML_CODE = re.compile(rb"<Code>([^<]{1,100})</Code>")


def _storage_code(body: bytes) -> str | None:
    """The error code of a storage error body (JSON ``Code`` or XML ``<Code>``), if any."""
    try:
        decoded = json.loads(body)
    except ValueError:
        match = _XML_CODE.search(body[:4096])
        return match.group(1).decode("utf-8", "replace") if match else None
    code = decoded.get("Code") if isinstance(decoded, dict) else None
    return code if isinstance(code, str) else None


def _timestamp(text: str | None) -> float | None:
    """POSIX seconds of an ISO 8601 time such as ``2025-05-29T12:00:00Z`` (None if unreadable)."""
    if not text:
        return None
    value = text.strip().replace("Z", "+00:00")
    if "." in value:  # Python 3.10 reads only 3 or 6 fraction digits
        head, _, rest = value.partition(".")
        digits = re.match(r"\d*", rest)
        fraction = digits.group(0) if digits else ""
        value = head + "." + (fraction + "000000")[:6] + rest[len(fraction) :]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _progress(callback: Any) -> ProgressCallback:
    """The SDK's ``progress`` for an fsspec ``callback``: its size set once known, its value
    the bytes moved."""

    def progress(done: int, total: int | None) -> None:
        if total is not None:
            callback.set_size(total)
        callback.absolute_update(done)

    return progress


class _Meta(type(AsyncFileSystem)):  # type: ignore[misc]
    """fsspec's instance cache keys instances by their arguments' text: two clients of the same
    endpoint would read alike, so a filesystem made from a ``client`` is never shared."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("client") is not None:
            kwargs.setdefault("skip_instance_cache", True)
        return super().__call__(*args, **kwargs)


class AgentBayFileSystem(AsyncFileSystem, metaclass=_Meta):  # type: ignore[misc]
    """fsspec filesystem over AgentBay contexts: ``agentbay://<context name>/<path>``.

    The top level lists the contexts (as directories); below a context, folders exist only as
    prefixes of files. Options are the client's (``api_key``, ``endpoint``, ``region_id``,
    ``timeout_ms``, ``max_retries``, ``max_connections``, with the same environment fallbacks)
    or ``client``, an existing :class:`~agentbay.AsyncAgentBay` or :class:`~agentbay.AgentBay`
    whose key and configuration are used. fsspec's own options apply too:
    ``use_listings_cache``, ``listings_expiry_time``, ``batch_size``, ``asynchronous``.

    Example::

        fs = AgentBayFileSystem(api_key="key", endpoint="http://127.0.0.1:8765")
        fs.pipe("reports/2025/q1.csv", b"a,b\\n1,2\\n")
        print(fs.ls("reports/2025"))
    """

    protocol = ("agentbay",)
    root_marker = ""

    def __init__(
        self,
        api_key: str | None = None,
        endpoint: str | None = None,
        region_id: str | None = None,
        timeout_ms: int | None = None,
        max_retries: int | None = None,
        max_connections: int | None = None,
        client: Any = None,
        *,
        asynchronous: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("skip_instance_cache", None)
        super().__init__(asynchronous=asynchronous, loop=loop, batch_size=batch_size, **kwargs)
        given: AsyncAgentBay | None = None
        if client is not None:
            if not hasattr(client, "api_key") or not isinstance(
                getattr(client, "config", None), Config
            ):
                raise TypeError(
                    f"client must be an AsyncAgentBay or AgentBay, got {type(client).__name__}"
                )
            self._api_key: str = client.api_key
            self._config: Config = client.config
            if isinstance(client, AsyncAgentBay) and asynchronous:
                given = client  # used on the caller's loop; a sync filesystem runs on its own
        else:
            base = Config.from_env()
            options: dict[str, Any] = {
                "endpoint": endpoint if endpoint is not None else base.endpoint,
                "timeout_ms": timeout_ms if timeout_ms is not None else base.timeout_ms,
                "region_id": region_id if region_id is not None else base.region_id,
            }
            if max_retries is not None:
                options["max_retries"] = max_retries
            if max_connections is not None:
                options["max_connections"] = max_connections
            self._config = Config(**options)
            given = AsyncAgentBay(api_key=api_key or "", cfg=self._config)  # checks the key
            self._api_key = given.api_key
        # One client per event loop: a connection pool belongs to the loop that made it.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncAgentBay] = (
            weakref.WeakKeyDictionary()
        )
        self._spare: AsyncAgentBay | None = given
        # A Config may leave timeout_ms to the client's default (60 s).
        timeout_s = (self._config.timeout_ms or 60_000) / 1000
        self._ranges = RangeReader(timeout_s, self._config.max_connections)
        self._context_ids: dict[str, str] = {}
        self._pending: dict[tuple[int, str], asyncio.Future[Any]] = {}
        self._generation = 0

    # -- pickling: what a dask worker needs to make the same filesystem ----------------------

    def __reduce__(self) -> tuple[Any, ...]:
        options = dict(self.storage_options)
        if options.pop("client", None) is not None:
            config = self._config
            options.update(
                api_key=self._api_key,
                endpoint=config.endpoint,
                timeout_ms=config.timeout_ms,
                region_id=config.region_id,
                max_retries=config.max_retries,
                max_connections=config.max_connections,
            )
        from fsspec.spec import make_instance

        return make_instance, (type(self), self.storage_args, options)

    # -- paths ----------------------------------------------------------------------------

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        text = str(os.fspath(path)) if not isinstance(path, str) else path
        if text.startswith("agentbay://"):
            text = text[len("agentbay://") :]
        elif text.startswith("agentbay::"):
            text = text[len("agentbay::") :]
        return re.sub("/{2,}", "/", text).strip("/")

    def unstrip_protocol(self, name: str) -> str:
        """``agentbay://`` + ``name``."""
        return name if name.startswith("agentbay://") else "agentbay://" + name

    @staticmethod
    def _split(path: str) -> tuple[str, str]:
        """``("ctx", "/a/b.csv")`` for ``ctx/a/b.csv``; the file path is ``""`` for a context."""
        context, _, key = path.partition("/")
        return context, ("/" + key if key else "")

    # -- clients, contexts ------------------------------------------------------------------

    def _client(self) -> AsyncAgentBay:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            if self._spare is not None:
                client, self._spare = self._spare, None
            else:
                client = AsyncAgentBay(api_key=self._api_key, cfg=self._config)
            self._clients[loop] = client
        return client

    async def _once(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        """Run ``make()`` once for concurrent callers asking for the same ``key`` on this loop."""
        loop = asyncio.get_running_loop()
        slot = (id(loop), key)
        future = self._pending.get(slot)
        if future is None or future.get_loop() is not loop:
            future = asyncio.ensure_future(make())
            self._pending[slot] = future

            def forget(done: asyncio.Future[Any]) -> None:
                if self._pending.get(slot) is done:
                    del self._pending[slot]

            future.add_done_callback(forget)
        result: T = await asyncio.shield(future)
        return result

    async def _context_id(self, name: str) -> str:
        """The id of the context named ``name``; FileNotFoundError when there is none."""
        if not name:
            raise FileNotFoundError(errno.ENOENT, "A path needs a context name", name)
        known = self._context_ids.get(name)
        if known is not None:
            return known

        async def look_up() -> str:
            result = await self._client().context.get(name=name)
            if not result.success:
                if result.code == "InvalidContext.NotFound":
                    raise FileNotFoundError(
                        errno.ENOENT,
                        f"No context named {name!r} (fs.mkdir({name!r}) creates it)",
                        name,
                    )
                raise_failure(
                    "Cannot find context",
                    name,
                    result.code,
                    result.http_status_code,
                    result.error_message,
                )
            self._context_ids[name] = result.context_id
            return result.context_id

        return await self._once("context:" + name, look_up)

    def _forget_context(self, name: str, code: str | None) -> None:
        if code == "InvalidContext.NotFound":
            self._context_ids.pop(name, None)

    # -- listings -----------------------------------------------------------------------------

    def _entry(self, context: str, entry: ContextFileEntry) -> Info:
        is_folder = entry.file_type == "folder"
        return {
            "name": context + "/" + entry.file_path.strip("/"),
            "size": 0 if is_folder else (entry.size or 0),
            "type": "directory" if is_folder else "file",
            "mtime": _timestamp(entry.gmt_modified),
            "created": _timestamp(entry.gmt_create),
        }

    async def _list_now(self, path: str) -> list[Info]:
        client = self._client()
        generation = self._generation
        entries: list[Info] = []
        if not path:
            try:
                async for found in client.context.iter_contexts(page_size=PAGE_SIZE):
                    self._context_ids[found.name] = found.id
                    entries.append(
                        {
                            "name": found.name,
                            "size": 0,
                            "type": "directory",
                            "context_id": found.id,
                            "mtime": _timestamp(found.last_used_at or found.created_at),
                            "created": _timestamp(found.created_at),
                        }
                    )
            except AgentBayError as exc:
                raise_sdk_error("Cannot list", "agentbay://", exc)
        else:
            context, key = self._split(path)
            context_id = await self._context_id(context)
            try:
                async for entry in client.context.iter_files(
                    context_id, key or "/", page_size=PAGE_SIZE
                ):
                    entries.append(self._entry(context, entry))
            except AgentBayError as exc:
                self._forget_context(context, exc.code)
                raise_sdk_error("Cannot list", path, exc)
        if generation == self._generation:  # nothing was written meanwhile
            self.dircache[path] = entries
        return entries

    async def _listing(self, path: str, refresh: bool = False) -> list[Info]:
        """The entries directly under ``path`` (empty for a folder that does not exist)."""
        if not refresh:
            try:
                cached: list[Info] = self.dircache[path]
                return cached
            except KeyError:
                pass
        return await self._once(f"list:{self._generation}:{path}", lambda: self._list_now(path))

    async def _ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        path = self._strip_protocol(path)
        refresh = bool(kwargs.get("refresh", False))
        entries = await self._listing(path, refresh)
        if not entries and path:
            _, key = self._split(path)
            if key:  # an empty listing: a file, or nothing at all
                info = await self._info(path, refresh=refresh)
                entries = [info] if info["type"] == "file" else []
        return entries if detail else [entry["name"] for entry in entries]

    async def _info(self, path: str, **kwargs: Any) -> Info:
        path = self._strip_protocol(path)
        refresh = bool(kwargs.get("refresh", False))
        if not path:
            return {"name": "", "size": 0, "type": "directory"}
        context, key = self._split(path)
        if not key:
            for entry in await self._listing("", refresh):
                if entry["name"] == context:
                    return dict(entry)
            context_id = await self._context_id(context)
            return {"name": context, "size": 0, "type": "directory", "context_id": context_id}
        for entry in await self._listing(self._parent(path), refresh):
            if entry["name"] == path:
                return dict(entry)
        raise FileNotFoundError(errno.ENOENT, "No such file or folder", path)

    async def _modified(self, path: str) -> datetime:
        """When ``path`` was last modified, as the listing says (a UTC ``datetime``).

        Example: ``fs.modified("ctx/a.csv")`` (DuckDB asks for it)."""
        mtime = (await self._info(path)).get("mtime")
        if mtime is None:
            raise OSError(errno.EIO, "The service gave no modification time", path)
        return datetime.fromtimestamp(mtime, tz=timezone.utc)

    modified = sync_wrapper(_modified)

    async def _created(self, path: str) -> datetime:
        """When ``path`` was created, as the listing says (a UTC ``datetime``)."""
        created = (await self._info(path)).get("created")
        if created is None:
            raise OSError(errno.EIO, "The service gave no creation time", path)
        return datetime.fromtimestamp(created, tz=timezone.utc)

    created = sync_wrapper(_created)

    async def _find(
        self, path: str, maxdepth: int | None = None, withdirs: bool = False, **kwargs: Any
    ) -> Any:
        """Every file below ``path`` (and folder, ``withdirs``), listing one level of folders at
        a time, concurrently: as many calls as listing pages, ``batch_size`` at once."""
        path = self._strip_protocol(path)
        detail = kwargs.pop("detail", False)
        kwargs.pop("prefix", None)
        refresh = bool(kwargs.get("refresh", False))
        if maxdepth is not None and maxdepth < 1:
            raise ValueError("maxdepth must be at least 1")
        found: dict[str, Info] = {}
        if withdirs and path:
            with_root = await self._info(path)
            if with_root["type"] == "directory":
                found[path] = with_root
        level, depth = [path], 0
        while level:

            async def listing(folder: str) -> list[Info]:
                try:
                    return await self._listing(folder, refresh)
                except FileNotFoundError:
                    return []

            pages = await _run_coros_in_chunks(
                [listing(folder) for folder in level],
                batch_size=self.batch_size or 64,
                nofiles=True,
            )
            depth += 1
            level = []
            for entries in pages:
                for entry in entries:
                    if entry["type"] == "directory":
                        if withdirs:
                            found[entry["name"]] = entry
                        level.append(entry["name"])
                    else:
                        found[entry["name"]] = entry
            if maxdepth is not None and depth >= maxdepth:
                break
        if not found and path:
            try:
                info = await self._info(path, refresh=refresh)
            except FileNotFoundError:
                info = None
            if info is not None and info["type"] == "file":
                found[path] = info
        names = sorted(found)
        return {name: found[name] for name in names} if detail else names

    # -- cache -----------------------------------------------------------------------------

    def invalidate_cache(self, path: str | None = None) -> None:
        """Forget cached listings: of ``path`` and every folder above it, or all (None)."""
        self._generation += 1
        if path is None:
            self.dircache.clear()
            self._context_ids.clear()
        else:
            path = self._strip_protocol(path)
            while True:
                self.dircache.pop(path, None)
                if not path:
                    break
                path = self._parent(path)
        super().invalidate_cache(path)

    # -- reading -----------------------------------------------------------------------------

    async def _download_url(self, path: str) -> str:
        context, key = self._split(path)
        context_id = await self._context_id(context)
        result = await self._client().context.get_file_download_url(context_id, key)
        if not result.success:
            self._forget_context(context, result.code)
            raise_failure(
                "Cannot read", path, result.code, result.http_status_code, result.error_message
            )
        return result.url

    async def _get_range(
        self, path: str, byte_range: str, url: list[str], limit: int | None = None
    ) -> RangeAnswer:
        """GET ``byte_range`` of ``path`` (at most ``limit`` bytes), retrying transient
        failures with a fresh URL; ``url`` holds the URL to reuse (a file keeps one for all
        its reads)."""
        retries = self._config.max_retries
        attempt = 0
        renewed = False
        while True:
            if not url:
                url.append(await self._download_url(path))
                renewed = True
            try:
                answer = await self._ranges.get(url[0], byte_range, limit)
            except (aiohttp_errors(), asyncio.TimeoutError) as exc:
                failure = f"network error ({type(exc).__name__})"
                status, code = 0, None
            else:
                if answer.status in (200, 206, 416):
                    return answer
                status, code = answer.status, _storage_code(answer.body)
                failure = f"storage answered HTTP {status}"
                if status == 403 and not renewed:  # a kept URL may have expired
                    url.clear()
                    continue
                if status not in TRANSIENT_STATUS:
                    if status == 404:
                        await self._not_a_folder(path)
                    raise_failure("Cannot read", path, code, status, failure)
            url.clear()
            if attempt >= retries:
                suffix = f" (after {attempt + 1} attempts)" if attempt else ""
                raise_failure("Cannot read", path, code, status, failure + suffix)
            attempt += 1
            await asyncio.sleep(backoff(attempt))

    async def _not_a_folder(self, path: str) -> None:
        """Raise IsADirectoryError when ``path`` is a folder or a context."""
        try:
            info = await self._info(path)
        except FileNotFoundError:
            return
        if info["type"] == "directory":
            raise IsADirectoryError(errno.EISDIR, "Is a folder", path)

    async def _read(self, path: str, start: int | None, end: int | None, url: list[str]) -> bytes:
        """Bytes ``start:end`` of ``path`` (Python slice rules; None: from the start, to the
        end; a negative ``start`` with no ``end``: the last bytes)."""
        _, key = self._split(path)
        if not key:
            raise IsADirectoryError(errno.EISDIR, "A context is a folder", path)
        if (start is not None and start < 0 and end is not None) or (end is not None and end < 0):
            size = (await self._info(path))["size"]
            start = None if start is None else (start + size if start < 0 else start)
            end = end + size if end < 0 else end
            start = max(start or 0, 0)
        if start is not None and start < 0:
            answer = await self._get_range(path, f"bytes={start}", url)
            if answer.status == 416:
                return b""
            return answer.body[start:] if answer.status == 200 else answer.body
        first = start or 0
        if end is not None and end <= first:
            return b""
        byte_range = f"bytes={first}-" + ("" if end is None else str(end - 1))
        # A 206 holds end - first bytes; a 200 (the range ignored) the file from 0: read no
        # more than up to ``end`` either way.
        answer = await self._get_range(path, byte_range, url, end)
        if answer.status == 416:
            return b""
        if answer.status == 200:  # storage ignored the range: cut it here
            return answer.body[first:end]
        return answer.body if end is None else answer.body[: end - first]

    async def _cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        path = self._strip_protocol(path)
        context, key = self._split(path)
        if not key:
            await self._context_id(context)
            raise IsADirectoryError(errno.EISDIR, "A context is a folder", path)
        if start or end is not None:
            return await self._read(path, start, end, [])
        context_id = await self._context_id(context)
        buffer = io.BytesIO()
        await self._download("Cannot read", path, context_id, key, buffer)
        return buffer.getvalue()

    async def _cat_ranges(
        self,
        paths: list[str],
        starts: Any,
        ends: Any,
        max_gap: int | None = None,
        batch_size: int | None = None,
        on_error: str = "return",
        **kwargs: Any,
    ) -> list[Any]:
        """Byte ranges of files, concurrently: one presigned URL per file, then one GET per
        range (fsspec's default would ask for a URL per range)."""
        if max_gap is not None:
            raise NotImplementedError("max_gap")
        if not isinstance(paths, list):
            raise TypeError("paths must be a list")
        starts = starts if isinstance(starts, list) else [starts] * len(paths)
        ends = ends if isinstance(ends, list) else [ends] * len(paths)
        if len(starts) != len(paths) or len(ends) != len(paths):
            raise ValueError("paths, starts and ends must have one length")
        names = [self._strip_protocol(p) for p in paths]
        unique = sorted(set(names))
        urls: dict[str, list[str]] = {name: [] for name in unique}

        async def fetch_url(name: str) -> None:
            if self._split(name)[1]:
                urls[name].append(await self._download_url(name))

        await _run_coros_in_chunks(
            [fetch_url(name) for name in unique],
            batch_size=batch_size or self.batch_size,
            nofiles=True,
            return_exceptions=True,  # a failing file fails its ranges, below
        )
        out: list[Any] = await _run_coros_in_chunks(
            [
                self._read(name, start, end, urls[name])
                for name, start, end in zip(names, starts, ends, strict=True)
            ],
            batch_size=batch_size or self.batch_size,
            nofiles=True,
            return_exceptions=True,
        )
        if on_error != "return":
            for item in out:
                if isinstance(item, BaseException):
                    raise item
        return out

    async def _sdk(self, what: str, path: str, call: Awaitable[T]) -> T:
        """Await an SDK call, its AgentBayError (bad arguments) raised as Python's."""
        try:
            return await call
        except AgentBayError as exc:
            raise_sdk_error(what, path, exc)

    async def _download(
        self,
        what: str,
        path: str,
        context_id: str,
        key: str,
        destination: Destination,
        progress: ProgressCallback | None = None,
    ) -> None:
        """Download ``key`` of the context to ``destination``; a failure raised as Python's,
        IsADirectoryError when ``path`` is a folder."""
        result = await self._sdk(
            what,
            path,
            self._client().context.download_file(context_id, key, destination, progress=progress),
        )
        if not result.success:
            if result.http_status_code == 404:
                await self._not_a_folder(path)
            self._fail(what, path, result)

    def _fail(self, what: str, path: str, result: OperationResult) -> None:
        self._forget_context(self._split(path)[0], result.code)
        raise_failure(what, path, result.code, result.http_status_code, result.error_message)

    async def _get_file(
        self, rpath: str, lpath: str, callback: Any = DEFAULT_CALLBACK, **kwargs: Any
    ) -> None:
        rpath = self._strip_protocol(rpath)
        if os.path.isdir(lpath) and await self._isdir(rpath):
            return
        context, key = self._split(rpath)
        if not key:
            await self._context_id(context)
            os.makedirs(lpath, exist_ok=True)
            return
        context_id = await self._context_id(context)

        try:
            await self._download(
                "Cannot download", rpath, context_id, key, lpath, _progress(callback)
            )
        except IsADirectoryError:
            os.makedirs(lpath, exist_ok=True)

    # -- writing -----------------------------------------------------------------------------

    async def _check_absent(self, path: str) -> None:
        """FileExistsError when ``path`` exists now (asked afresh, not from the cache)."""
        try:
            await self._info(path, refresh=True)
        except FileNotFoundError:
            return
        raise FileExistsError(errno.EEXIST, "File exists", path)

    async def _upload(self, path: str, source: Any, callback: Any = DEFAULT_CALLBACK) -> None:
        """One whole PUT of ``source`` (bytes, a path or a seekable binary file) to ``path``."""
        context, key = self._split(path)
        if not key:
            raise IsADirectoryError(errno.EISDIR, "A context is a folder", path)
        context_id = await self._context_id(context)

        try:
            result = await self._sdk(
                "Cannot write",
                path,
                self._client().context.upload_file(
                    context_id, key, source, progress=_progress(callback)
                ),
            )
        finally:
            self.invalidate_cache(path)
        if not result.success:
            self._fail("Cannot write", path, result)

    async def _pipe_file(
        self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any
    ) -> None:
        path = self._strip_protocol(path)
        if mode == "create":
            await self._check_absent(path)
        await self._upload(path, bytes(value))

    async def _put_file(
        self,
        lpath: str,
        rpath: str,
        callback: Any = DEFAULT_CALLBACK,
        mode: str = "overwrite",
        **kwargs: Any,
    ) -> None:
        rpath = self._strip_protocol(rpath)
        if os.path.isdir(lpath):
            await self._context_id(self._split(rpath)[0])
            return  # no empty folders in the store: a folder exists through its files
        if mode == "create":
            await self._check_absent(rpath)
        await self._upload(rpath, os.fspath(lpath), callback)

    async def _cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy by downloading to a temporary file and uploading it (no server-side copy)."""
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        context, key = self._split(path1)
        if not key:
            await self._context_id(context)
            return
        context_id = await self._context_id(context)
        with tempfile.TemporaryFile() as spool:
            try:
                await self._download("Cannot copy", path1, context_id, key, spool)
            except IsADirectoryError:
                return  # a folder: its files are copied one by one
            spool.seek(0)
            await self._upload(path2, spool)

    # -- folders and contexts ----------------------------------------------------------------

    async def _mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Create a context (``mkdir("ctx")``); below one, folders need no creating."""
        path = self._strip_protocol(path)
        context, key = self._split(path)
        if not context:
            raise FileExistsError(errno.EEXIST, "The top level exists", path)
        try:
            await self._context_id(context)
        except FileNotFoundError:
            if key and not create_parents:
                raise
            await self._create_context(context)
            return
        if not key:
            raise FileExistsError(errno.EEXIST, "The context exists", path)

    async def _create_context(self, name: str) -> None:
        result = await self._sdk("Cannot create", name, self._client().context.create(name))
        if not result.success:
            raise_failure(
                "Cannot create context",
                name,
                result.code,
                result.http_status_code,
                result.error_message,
            )
        self._context_ids[name] = result.context_id
        self.invalidate_cache("")

    async def _makedirs(self, path: str, exist_ok: bool = False) -> None:
        path = self._strip_protocol(path)
        context = self._split(path)[0]
        if not exist_ok and await self._exists(path):
            raise FileExistsError(errno.EEXIST, "File exists", path)
        if context:
            try:
                await self._context_id(context)
            except FileNotFoundError:
                await self._create_context(context)

    async def _rmdir(self, path: str) -> None:
        """Delete an empty context (``rmdir("ctx")``); a folder needs no removing once empty."""
        path = self._strip_protocol(path)
        context, key = self._split(path)
        context_id = await self._context_id(context)
        if await self._listing(path, refresh=True):
            raise OSError(errno.ENOTEMPTY, "Folder not empty", path)
        if key:
            return
        client = self._client()
        found = await self._sdk("Cannot delete", path, client.context.get(context_id=context_id))
        if not found.success or found.context is None:
            raise_failure(
                "Cannot delete context",
                path,
                found.code,
                found.http_status_code,
                found.error_message,
            )
        await self._sdk("Cannot delete context", path, client.context.delete(found.context))
        self._context_ids.pop(context, None)
        self.invalidate_cache(path)

    rmdir = sync_wrapper(_rmdir)

    async def _delete(self, path: str) -> None:
        context, key = self._split(path)
        context_id = await self._context_id(context)
        try:
            result = await self._sdk(
                "Cannot delete", path, self._client().context.delete_file(context_id, key)
            )
        finally:
            self.invalidate_cache(path)
        if not result.success:
            self._fail("Cannot delete", path, result)

    async def _rm_file(self, path: str, **kwargs: Any) -> None:
        """Delete one file; a folder raises IsADirectoryError (the service would delete all of
        it)."""
        path = self._strip_protocol(path)
        info = await self._info(path, refresh=True)
        if info["type"] == "directory":
            raise IsADirectoryError(errno.EISDIR, "Is a folder (rm(path, recursive=True))", path)
        await self._delete(path)

    async def _rm(
        self,
        path: Any,
        recursive: bool = False,
        batch_size: int | None = None,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Delete files: with ``recursive``, every file below the folders named. Contexts are
        never deleted here (``rmdir`` deletes an empty one), only emptied."""
        literal = {self._strip_protocol(p) for p in ([path] if isinstance(path, str) else path)}
        if "" in literal:
            raise ValueError("rm of the top level is refused: name a context, or paths in one")
        paths = await self._expand_path(path, recursive=recursive, maxdepth=maxdepth)
        infos = await asyncio.gather(*(self._maybe_info(p) for p in paths))
        files = []
        for name, info in zip(paths, infos, strict=True):
            if info is None:
                continue
            if info["type"] == "directory":
                if name in literal and not recursive:
                    raise IsADirectoryError(errno.EISDIR, "Is a folder (recursive=True)", name)
                continue
            files.append(name)
        await _run_coros_in_chunks(
            [self._delete(name) for name in files],
            batch_size=batch_size or self.batch_size,
            nofiles=True,
        )

    async def _maybe_info(self, path: str) -> Info | None:
        try:
            return await self._info(path)
        except FileNotFoundError:
            return None

    # -- signing, opening ----------------------------------------------------------------------

    async def _sign(self, path: str, expiration: int = 100, **kwargs: Any) -> str:
        path = self._strip_protocol(path)
        return await self._download_url(path)

    def sign(self, path: str, expiration: int = 100, **kwargs: Any) -> str:
        """A presigned URL to GET ``path``, valid for as long as the service grants
        (``expiration`` is not the service's to choose: the URL's own expiry stands)."""
        result: str = sync_wrapper(self._sign, obj=self)(path, expiration, **kwargs)
        return result

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        from ._files import AgentBayFile

        _check_mode(mode)
        if mode == "xb" and self.exists(path, refresh=True):
            raise FileExistsError(errno.EEXIST, "File exists", path)
        if mode == "rb" and kwargs.get("size") is None:
            info = self.info(path)
            if info["type"] == "directory":
                raise IsADirectoryError(errno.EISDIR, "Is a folder", path)
            kwargs["size"] = info["size"]
        return AgentBayFile(
            self,
            path,
            mode,
            read=self._read,
            upload=self._upload,
            block_size=block_size,
            autocommit=autocommit,
            cache_options=cache_options,
            **kwargs,
        )

    async def open_async(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        """An async file: ``await f.read(n)`` / ``await f.write(b)``; ``async with``."""
        from ._files import AgentBayAsyncFile

        path = self._strip_protocol(path)
        if "b" not in mode or kwargs.get("compression"):
            raise ValueError("open_async takes binary modes only")
        _check_mode(mode)
        size = None
        if mode == "rb":
            info = await self._info(path)
            if info["type"] == "directory":
                raise IsADirectoryError(errno.EISDIR, "Is a folder", path)
            size = info["size"]
        elif mode == "xb":
            await self._check_absent(path)
        return AgentBayAsyncFile(
            self, path, mode, read=self._read, upload=self._upload, size=size, **kwargs
        )

    async def aclose(self) -> None:
        """Close the connection pools of the running loop (optional: dropped ones are
        released quietly)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()
        await self._ranges.aclose()


def _check_mode(mode: str) -> None:
    if mode == "ab":
        raise NotImplementedError(
            "Append ('ab') is not supported: the store takes whole files only; read the "
            "file, then write it whole"
        )
    if mode not in ("rb", "wb", "xb"):
        raise ValueError(f"Unsupported mode {mode!r}: use 'rb', 'wb' or 'xb'")


def aiohttp_errors() -> type[Exception]:
    import aiohttp

    return aiohttp.ClientError
