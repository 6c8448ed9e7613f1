"""The emulator as a Starlette ASGI application.

Routes:

* ``POST /`` (``GET /`` too): the RPC actions, chosen by the ``Action`` query parameter (or the
  ``x-acs-action`` header), parameters form-encoded in the body, the API key in the body as
  ``Authorization=Bearer <key>`` (an ``Authorization`` header is accepted as a fallback).
* ``PUT``/``GET``/``HEAD /files/{context_id}?acct=&path=&method=&exp=&sig=``: presigned
  transfers, streamed in both directions (see :mod:`agentbay_emulator.signing`); a GET honours
  one ``Range`` (see :mod:`agentbay_emulator.ranges`). Every answer about a stored file carries
  ``x-oss-hash-crc64ecma``: the CRC-64/XZ of the whole file, kept with it since its upload.
* ``GET /_emulator/health``: readiness probe.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import re
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.to_thread
import attrs
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .actions import ACTIONS, ActionEnv, run_action
from .faults import (
    THROTTLED_CODE,
    THROTTLED_MESSAGE,
    THROTTLED_STATUS,
    Fault,
    FaultInjector,
    FaultSpec,
    TransferFault,
)
from .paths import InvalidPathError, normalize_file_path
from .ranges import ByteRange, UnsatisfiableRange, if_range_holds, select_range
from .signing import Grant, Signer, Verdict, load_or_create_secret
from .store import ContextNotFoundError, Store, Upload, open_store
from .tokens import PageTokens
from .wire import (
    API_VERSION,
    ApiError,
    Params,
    error_body,
    new_request_id,
    parse_params,
    shown,
    success_body,
    unknown_action,
)

logger = logging.getLogger("agentbay_emulator")
access_logger = logging.getLogger("agentbay_emulator.access")
"""One INFO line per request: client, method, path (never the query), action, status, time."""

MAX_RPC_BODY = 1 << 20
CHUNK_SIZE = 1 << 20
_ACTION = re.compile(r"[A-Za-z]{1,64}")
CRC64_HEADER = "x-oss-hash-crc64ecma"  # OSS's: CRC-64/XZ of the whole object, unsigned decimal
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


@attrs.define
class Emulator:
    """The state behind one app: storage, signing, faults and settings."""

    store: Store
    signer: Signer
    tokens: PageTokens
    faults: FaultInjector
    url_ttl: int = 3600
    clear_delay: float = 1.0
    api_keys: frozenset[str] | None = None
    clock: Callable[[], float] = time.time
    stopping: bool = False
    transfers: set[asyncio.Task[Any]] = attrs.field(factory=set)

    def stop_transfers(self) -> None:
        """The server is stopping: end the transfers in flight now (their parts are dropped)
        and let any request cut short end quietly, without a traceback."""
        self.stopping = True
        for task in list(self.transfers):
            task.cancel()

    def account_of(self, key: str) -> str:
        """The account an API key stands for (keys themselves are never stored)."""
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def close(self) -> None:
        """Release the store."""
        self.store.close()


def create_app(
    data_dir: str | Path | None = None,
    *,
    url_ttl: int = 3600,
    clear_delay: float = 1.0,
    api_keys: Iterable[str] | None = None,
    faults: str | FaultSpec | None = None,
    clock: Callable[[], float] | None = None,
    store: Store | None = None,
) -> Starlette:
    """Build the emulator app over ``data_dir`` (a fresh temporary directory when None).

    ``api_keys`` restricts access to those keys (any non-empty key is its own account when
    None); ``faults`` is a spec like ``throttle=0.1,error=0.05,latency=20ms,seed=1``;
    ``clock`` (POSIX seconds) is for tests. The app's ``state.emulator`` is the
    :class:`Emulator`; the store is closed at lifespan shutdown.
    """
    if data_dir is None:
        data_dir = tempfile.mkdtemp(prefix="agentbay-emulator-")
    root = Path(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    if url_ttl < 1:
        raise ValueError("url_ttl must be at least 1 second")
    if clear_delay < 0:
        raise ValueError("clear_delay must not be negative")
    spec = FaultSpec.parse(faults) if isinstance(faults, str) else (faults or FaultSpec())
    secret = load_or_create_secret(root)
    emulator = Emulator(
        store=store if store is not None else open_store(root),
        signer=Signer(secret),
        tokens=PageTokens(secret),
        faults=FaultInjector(spec),
        url_ttl=url_ttl,
        clear_delay=clear_delay,
        api_keys=frozenset(api_keys) if api_keys is not None else None,
        clock=clock or time.time,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            emulator.close()

    app = Starlette(
        routes=[
            Route("/", _rpc, methods=["GET", "POST"]),
            Route("/files/{context_id}", _files, methods=["GET", "HEAD", "PUT"]),
            Route("/_emulator/health", _health, methods=["GET"]),
        ],
        lifespan=lifespan,
        middleware=[Middleware(_AccessLog)],
    )
    app.state.emulator = emulator
    return app


def _emulator(request: Request) -> Emulator:
    emulator: Emulator = request.app.state.emulator
    return emulator


async def _health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


# RPC


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        body, status_code=status, headers={"x-acs-request-id": body["RequestId"], **(headers or {})}
    )


def _throttled(request_id: str, wait: float | None) -> Response:
    """The POP gateway's flow-control answer; ``x-acs-retry-after`` (ms) when ``wait`` given."""
    error = ApiError(THROTTLED_CODE, THROTTLED_MESSAGE, status=THROTTLED_STATUS)
    headers = None if wait is None else {"x-acs-retry-after": str(max(1, math.ceil(wait * 1000)))}
    return _json(THROTTLED_STATUS, error_body(request_id, error), headers)


async def _read_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_RPC_BODY:
            raise ApiError("RequestEntityTooLarge", "The request body is too large.", status=413)
    return bytes(body)


def _base_url(request: Request) -> str:
    """Scheme and host the client used, so presigned URLs work through the same endpoint."""
    scheme = request.url.scheme
    host = request.headers.get("host", "")
    if "://" in host:  # some clients send the whole endpoint URL as Host
        parts = urlsplit(host)
        scheme, host = parts.scheme or scheme, parts.netloc
    if not _HOST.match(host):
        server = request.scope.get("server") or ("127.0.0.1", 80)
        address = f"[{server[0]}]" if ":" in str(server[0]) else str(server[0])
        host = f"{address}:{server[1]}"
    return f"{scheme}://{host}"


def _account(emulator: Emulator, request: Request, form: dict[str, str]) -> str:
    value = form.get("Authorization") or request.headers.get("authorization") or ""
    scheme, _, key = value.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise ApiError(
            "Unauthorized",
            "An API key is required: send Authorization=Bearer <key> in the form body.",
            status=401,
        )
    if emulator.api_keys is not None and key not in emulator.api_keys:
        raise ApiError("InvalidApiKey", "The API key is not valid.", status=401)
    return emulator.account_of(key)


async def _rpc(request: Request) -> Response:
    emulator = _emulator(request)
    request_id = new_request_id()
    try:
        raw = await _read_body(request)
        if emulator.faults.spec.latency:
            await anyio.sleep(emulator.faults.spec.latency)
        fault = emulator.faults.draw()  # before anything runs: a faulted request has no effect
        if fault is Fault.THROTTLE:
            return _throttled(request_id, None)
        if fault is Fault.ERROR:
            error = ApiError(
                "InternalError",
                "The request processing has failed due to some unknown error.",
                status=500,
            )
            return _json(500, error_body(request_id, error))
        query = parse_params(request.scope["query_string"])
        query.pop("Authorization", None)
        form = parse_params(raw)
        action = query.get("Action") or request.headers.get("x-acs-action") or ""
        if not action:
            raise ApiError(
                "MissingParameter", "The input parameter 'Action' is not supplied.", status=400
            )
        if action not in ACTIONS:
            raise unknown_action(action)
        version = query.get("Version") or request.headers.get("x-acs-version")
        if version and version != API_VERSION:
            raise ApiError(
                "InvalidVersion",
                f"Specified parameter Version {shown(version)} is not valid.",
                status=400,
            )
        env = ActionEnv(
            store=emulator.store,
            signer=emulator.signer,
            tokens=emulator.tokens,
            account=_account(emulator, request, form),
            now=emulator.clock(),
            base_url=_base_url(request),
            url_ttl=emulator.url_ttl,
            clear_delay=emulator.clear_delay,
        )
        wait = emulator.faults.admit(env.account, action)
        if wait is not None:
            return _throttled(request_id, wait if emulator.faults.spec.quota_retry_after else None)
        params = Params({**query, **form})
        fields = await anyio.to_thread.run_sync(run_action, action, env, params)
        return _json(200, success_body(request_id, **fields))
    except ApiError as failure:
        return _json(failure.status, error_body(request_id, failure))
    except ClientDisconnect:
        return Response(status_code=400)
    except Exception:
        logger.exception("request %s failed", request_id)
        crash = ApiError("InternalError", "The emulator failed unexpectedly.", status=500)
        return _json(500, error_body(request_id, crash))


# Presigned transfers


def _transfer_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    request_id = new_request_id()
    return _json(status, {"RequestId": request_id, "Code": code, "Message": message}, headers)


async def _files(request: Request) -> Response:
    emulator = _emulator(request)
    if emulator.faults.spec.transfer_latency:
        await anyio.sleep(emulator.faults.spec.transfer_latency)
    # Drawn before anything runs: no effect on the store (a PUT_CORRUPT one is the effect).
    fault = emulator.faults.draw_transfer(request.method)
    if fault is TransferFault.ERROR:
        return _transfer_error(
            503, "ServiceUnavailable", "The service is busy. Please try again later."
        )
    if fault is TransferFault.CUT and request.method == "PUT":
        return await _cut_upload(request)
    response = await _transfer(emulator, request, fault)
    if fault is TransferFault.CUT and not isinstance(response, _CutBody):
        return _DroppedConnection()  # no body to cut short: no answer at all
    return response


async def _transfer(emulator: Emulator, request: Request, fault: TransferFault) -> Response:
    query = request.query_params
    method = "GET" if request.method == "HEAD" else request.method
    account, raw_path = query.get("acct", ""), query.get("path", "")
    signed_method, signature = query.get("method", ""), query.get("sig", "")
    try:
        expires = int(query.get("exp", ""))
    except ValueError:
        return _transfer_error(403, "AccessDenied", "The URL is not a presigned URL.")
    if not (account and signature):
        return _transfer_error(403, "AccessDenied", "The URL is not a presigned URL.")
    try:
        path = normalize_file_path(raw_path)
    except InvalidPathError as exc:
        return _transfer_error(400, "InvalidObjectName", str(exc))
    if signed_method.upper() != method:
        return _transfer_error(
            403, "SignatureDoesNotMatch", f"The URL was signed for {signed_method}, not {method}."
        )
    context_id = request.path_params["context_id"]
    grant = Grant(account=account, context_id=context_id, path=path, method=method, expires=expires)
    verdict = emulator.signer.check(grant, signature, emulator.clock())
    if verdict is Verdict.BAD_SIGNATURE:
        return _transfer_error(
            403, "SignatureDoesNotMatch", "The request signature does not match."
        )
    if verdict is Verdict.EXPIRED:
        return _transfer_error(403, "AccessDenied", "Request has expired.")
    if method == "PUT":
        return await _upload(emulator, request, grant, fault is TransferFault.PUT_CORRUPT)
    return await _download(
        emulator,
        request,
        grant,
        cut=fault is TransferFault.CUT,
        corrupt=fault is TransferFault.CORRUPT,
    )


async def _download(
    emulator: Emulator, request: Request, grant: Grant, *, cut: bool, corrupt: bool = False
) -> Response:
    try:
        opened = await anyio.to_thread.run_sync(
            emulator.store.open_file, grant.account, grant.context_id, grant.path
        )
    except ContextNotFoundError:
        opened = None
    if opened is None:
        return _transfer_error(404, "NoSuchKey", "The specified key does not exist.")
    record, reader = opened
    headers = {"accept-ranges": "bytes", "last-modified": _http_date(record.modified)}
    if record.crc64 is not None:  # the whole file's, on a 206 too (as OSS answers)
        headers[CRC64_HEADER] = str(record.crc64)
    try:
        wanted = _requested_range(request, record.size, record.modified)
    except UnsatisfiableRange:
        reader.close()
        return _transfer_error(
            416,
            "InvalidRange",
            "The requested range is not satisfiable.",
            {"content-range": f"bytes */{record.size}", **headers},
        )
    status, start, length = (
        (200, 0, record.size) if wanted is None else (206, wanted.start, wanted.length)
    )
    headers["content-length"] = str(length)
    if wanted is not None:
        headers["content-range"] = wanted.content_range
    if request.method == "HEAD" or (cut and not length):
        reader.close()
        return Response(status_code=status, headers=headers, media_type="application/octet-stream")
    if cut:
        return _CutBody(reader, start, length, status, headers)
    flip_at = emulator.faults.corrupt_offset(length) if corrupt and length else None
    return StreamingResponse(
        _chunks(reader, start, length, flip_at),
        status_code=status,
        headers=headers,
        media_type="application/octet-stream",
    )


def _requested_range(request: Request, size: int, modified: float) -> ByteRange | None:
    """The range a GET asks for, None for the whole body (raises UnsatisfiableRange)."""
    header = request.headers.get("range")
    if request.method != "GET" or header is None:
        return None
    if not if_range_holds(request.headers.get("if-range"), modified):
        return None
    return select_range(header, size)


async def _chunks(
    reader: BinaryIO, start: int, length: int, flip_at: int | None = None
) -> AsyncIterator[bytes]:
    """``length`` bytes from ``start``; the byte at ``flip_at`` of them inverted, if given."""
    try:
        await anyio.to_thread.run_sync(reader.seek, start)
        sent = 0
        while sent < length:
            chunk = await anyio.to_thread.run_sync(reader.read, min(CHUNK_SIZE, length - sent))
            if not chunk:
                break
            if flip_at is not None and sent <= flip_at < sent + len(chunk):
                chunk = _flipped(chunk, flip_at - sent)
            sent += len(chunk)
            yield chunk
    finally:
        reader.close()


def _flipped(chunk: bytes, index: int) -> bytes:
    """``chunk`` with the byte at ``index`` inverted (the transfer_corrupt/put_corrupt faults)."""
    changed = bytearray(chunk)
    changed[index] ^= 0xFF
    return bytes(changed)


def _http_date(seconds: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(seconds))


async def _upload(
    emulator: Emulator, request: Request, grant: Grant, corrupt: bool = False
) -> Response:
    try:
        upload: Upload = await anyio.to_thread.run_sync(
            emulator.store.begin_upload, grant.account, grant.context_id, grant.path
        )
    except ContextNotFoundError:
        return _transfer_error(404, "NoSuchBucket", "The context of this URL no longer exists.")
    digest = hashlib.md5(usedforsecurity=False)
    buffer = bytearray()
    received = 0
    flip_at: int | None = None
    if corrupt:  # put_corrupt: one byte of the body stored inverted (the first when chunked)
        announced = request.headers.get("content-length", "")
        size = int(announced) if announced.isdigit() else 0
        flip_at = emulator.faults.corrupt_offset(size) if size else 0
    try:
        async for chunk in request.stream():
            if flip_at is not None and received <= flip_at < received + len(chunk):
                chunk = _flipped(chunk, flip_at - received)
            digest.update(chunk)
            buffer += chunk
            received += len(chunk)
            if len(buffer) >= CHUNK_SIZE:
                data, buffer = bytes(buffer), bytearray()
                await anyio.to_thread.run_sync(upload.write, data)
        expected = request.headers.get("content-length")
        if expected is not None and expected.isdigit() and int(expected) != received:
            raise ClientDisconnect()
        if buffer:
            await anyio.to_thread.run_sync(upload.write, bytes(buffer))
        record = await anyio.to_thread.run_sync(upload.commit, emulator.clock())
    except ClientDisconnect:
        await anyio.to_thread.run_sync(upload.abort)
        return _transfer_error(400, "IncompleteBody", "The upload was interrupted.")
    except ContextNotFoundError:
        await anyio.to_thread.run_sync(upload.abort)
        return _transfer_error(404, "NoSuchBucket", "The context of this URL no longer exists.")
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(upload.abort)
        raise
    headers = {"etag": f'"{digest.hexdigest()}"'}
    if record.crc64 is not None:  # of what was stored: a put_corrupt upload's differs
        headers[CRC64_HEADER] = str(record.crc64)
    return Response(status_code=200, headers=headers)


# Cut transfers (the transfer_cut fault)


async def _cut_upload(request: Request) -> Response:
    """Read at least half of an upload's body (its first chunk if chunked), then hang up."""
    announced = request.headers.get("content-length", "")
    wanted = int(announced) // 2 if announced.isdigit() else 1
    received = 0
    with contextlib.suppress(ClientDisconnect):
        async for chunk in request.stream():
            received += len(chunk)
            if received >= wanted:
                break
    return _DroppedConnection()


class _DroppedConnection(Response):
    """Closes the client's connection without answering."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _hang_up(receive)


class _CutBody(Response):
    """Sends the status, the headers and the first half of a body, then hangs up."""

    def __init__(
        self, reader: BinaryIO, start: int, length: int, status: int, headers: dict[str, str]
    ) -> None:
        super().__init__(status_code=status, headers=headers, media_type="application/octet-stream")
        self.reader, self.start, self.length = reader, start, length

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        try:
            async for chunk in _chunks(self.reader, self.start, self.length // 2):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            self.reader.close()
        await _hang_up(receive)


async def _hang_up(receive: Receive) -> None:
    """Close the connection of the current request, answered or not.

    ASGI has no way to do it, so this reaches for the connection of the ASGI server in use
    (uvicorn: its ``receive`` is a method of an object with the asyncio ``transport``). Under
    a server that hides it, the request fails with :class:`TransferCut` instead.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.BaseTransport):
        raise TransferCut("transfer cut by fault injection")
    transport.close()
    with anyio.move_on_after(5):  # uvicorn notices the closed connection on the next turn
        while (await receive())["type"] != "http.disconnect":
            pass


class TransferCut(Exception):
    """A transfer cut by fault injection, where the connection could not be closed."""


# The access log, and requests cut short by a stop


class _AccessLog:
    """Logs one line per request with the path only (a presigned query never shows), and ends
    quietly a request the stopping server cancels (503 if nothing was sent yet)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Any]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        emulator: Emulator | None = getattr(scope["app"].state, "emulator", None)
        task = asyncio.current_task()
        transfers = emulator.transfers if emulator is not None else set()
        if task is not None and scope["path"] != "/":  # a transfer: a stop cancels it at once
            transfers.add(task)
        try:
            await self.app(scope, receive, sending)
        except asyncio.CancelledError:
            if emulator is None or not emulator.stopping:
                raise
            elapsed = time.perf_counter() - started
            line = _access_line(scope, status, elapsed)
            logger.warning("%s aborted: the emulator is stopping", line)  # the request's one line
            if not status:
                error = ApiError("ServiceUnavailable", "The emulator is stopping.", status=503)
                await _json(503, error_body(new_request_id(), error))(scope, receive, send)
            else:  # cut short: drop the connection (the client sees it broken)
                await _drop_connection(receive)
            return
        finally:
            if task is not None:
                transfers.discard(task)
        if access_logger.isEnabledFor(logging.INFO):
            access_logger.info(_access_line(scope, status, time.perf_counter() - started))


async def _drop_connection(receive: Receive) -> None:
    """Abort the connection of a request cut short by a stop (unsent data is discarded), and
    let the server see it closed; a no-op under a server that hides its connections."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.BaseTransport):
        return
    if isinstance(transport, asyncio.WriteTransport):
        transport.abort()
    else:
        transport.close()
    with contextlib.suppress(asyncio.CancelledError), anyio.move_on_after(1):
        while (await receive())["type"] != "http.disconnect":
            pass


def _access_line(scope: Scope, status: int, seconds: float) -> str:
    """``127.0.0.1 POST / GetContext 200 1.2ms``: the path and the action, never the query."""
    client = scope.get("client") or ("-", 0)
    action = ""
    if scope["path"] == "/":
        query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("Action", [])
        headers = [
            value.decode("latin-1") for name, value in scope["headers"] if name == b"x-acs-action"
        ]
        named = [value for value in query + headers if _ACTION.fullmatch(value)]
        action = " " + (named[0] if named else "-")
    elapsed = f"{seconds * 1e3:.1f}ms" if seconds < 10 else f"{seconds:.1f}s"
    return f"{client[0]} {scope['method']} {scope['path']}{action} {status or '-'} {elapsed}"
