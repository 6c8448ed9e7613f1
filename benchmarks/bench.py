"""The benchmark table: the SDK, the raw HTTP clients it is measured against, the official SDK.

    python -m benchmarks.bench            # full run (about 6 minutes on 2 cores)
    python -m benchmarks.bench --quick    # CI smoke run (< 90 s); asserts nothing about time
    python -m benchmarks.bench --only A,C --repeat 5 --json rows.json

Scenarios (the letters are the SDK's performance goals; docs/benchmarks.md explains them):

* ``A``  async: 100 concurrent ``get()`` against a server that answers after 20 ms, warm pool.
  Ratio = throughput against raw aiohttp (goal >= 0.85).
* ``A0`` async sequential calls against a 0 ms server: per-call cost against raw aiohttp.
* ``B``  sync sequential calls, 0 ms server: per-call cost against a raw ``httpx.Client`` POST
  (goal <= 1.10), with the SDK's logging as shipped (logger ``agentbay``, no handler).
* ``C``  one sync client shared by 50 threads, 200 calls, 20 ms server. Ratio = throughput
  against a raw ``urllib3.PoolManager(maxsize=50)`` (goal >= 0.85).
* ``D``  ``upload_file`` / ``download_file`` of 1 GiB through the emulator's presigned URLs.
  Ratio = throughput against raw httpx streaming of the same flavour (goal >= 0.8); peak RSS
  growth is sampled (goal: flat, <= 32 MiB).
* ``E``  the emulator: GetContext throughput and p50/p99 latency at 1, 10 and 100 concurrent
  async clients.
* ``F``  folders: a tree of 1,000 files of 1-64 KiB in 50 folders, the emulator at
  ``latency=20ms,transfer_latency=20ms``. Ratio = ``upload_folder`` / ``download_folder``
  (concurrency 16) against a sequential ``upload_file`` / ``download_file`` loop of the async
  client over the same tree (goal >= 8); the second, unchanged run against the first; the
  longest a 5 ms asyncio ticker waited beside a 1 GiB upload (a file of data, in the page
  cache) and beside the folder upload (goal <= 25 ms).
* ``G``  ``agentbay://`` through fsspec (the ``fsspec`` extra, pandas and pyarrow; "n/a" rows
  without them): ``pd.read_parquet`` of a 256 MiB file against ``download_file`` plus a local
  ``pd.read_parquet`` (goal >= 0.9); ``fs.cat`` of 1,000 small files at the emulator's
  ``latency=20ms,transfer_latency=20ms`` against a sequential ``download_file`` loop, per file
  (the loop times 50 of them; goal >= 8); ``fs.find`` over 10,000 files in 100 folders
  against 1,000 in 10, per listing page (goal <= 1.25: linear in the pages).
* ``H``  a fleet under a quota: 4 processes, each one client running 100 concurrent ``get()``
  calls, 2,000 calls in all, one account, the emulator's quota at 200 calls/s, with and
  without ``x-acs-retry-after``. Ratio = the whole's time against the quota's own, 10 s
  (goals: <= 1.3 and 100 % succeeded with the header; <= 1.5 and >= 99.5 % without).
* ``K``  the emulator at scale: one page of 100 entries of a folder of 50,000 direct children
  against one of 1,000 (goal <= 2), and an unchanged ``upload_folder`` of the two flat folders
  (listing only; goal <= 60: linear). The files are written into the data directory and the
  emulator rebuilds its listing index at start (as it migrates an older data directory).
* ``L``  folders at scale: ``upload_folder``, the unchanged second run and ``download_folder``
  of 1,000 and 50,000 small files (``--scale-files``), flat (one folder) and deep (100 files a
  folder, ten folders a folder), the emulator without added latency (so it measures the SDK),
  each call in a client process of its own. Ratio = ms per file at 50,000 against 1,000 (goal
  <= 1.3); the time to the first progress report (goal <= 1 s), the longest wait of a 5 ms
  ticker (goal <= 25 ms) and the client's peak RSS growth (for an unchanged run, goal: the
  large one <= 2x the small one plus the largest folder's listing, flat; <= 1.5x, deep).
* ``I``  import time and RSS in fresh interpreters. Ratio = time against
  ``import httpx, attrs`` (goal <= 1.5, and <= 35 MB).

Every in-process number is the best of ``--repeat`` timed rounds after one untimed warm-up
round, the candidates of a scenario taking turns round by round. Each candidate's answer is
checked once per scenario outside the timed rounds (the SDK's ``result.success``, the raw
clients' body). The official ``wuying-agentbay-sdk`` runs in its own interpreter
(``AGENTBAY_OFFICIAL_PYTHON``, see :mod:`benchmarks.official`); its rows read "n/a (not
installed)" when the variable is unset, and so do the httpx2 rows when httpx2 is absent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.metadata
import io
import json
import logging
import math
import os
import platform
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import urllib3

from agentbay import AgentBay, AsyncAgentBay, Config
from benchmarks.lag import LAG_BUDGET, Lag, _lag_beside
from benchmarks.servers import RPC_BODY, ServerHandle, running_server, wait_ready

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "bench-key"
# Config's defaults but the endpoint: Config.from_env() would read AGENTBAY_* variables.
TIMEOUT_MS = 60_000
# What the raw clients send: the SDK's GetContext request, as the SDK builds it.
QUERY = (
    "/?Action=GetContext&Version=2025-05-06&Format=json"
    "&Timestamp=2025-05-29T12%3A00%3A00Z&SignatureNonce=6a1f0b6e4c1d4f7e9a552f7e"
)
FORM = b"AllowCreate=false&Authorization=Bearer%20bench-key&Name=n"
HEADERS = {
    "content-type": "application/x-www-form-urlencoded",
    "accept": "application/json",
    "x-acs-action": "GetContext",
    "x-acs-version": "2025-05-06",
    "user-agent": "agentbay-bench/2",
}
MIB = 1 << 20
FLAT_RSS = 32 * MIB
NOT_INSTALLED = "n/a (not installed)"
OFFICIAL_PYTHON_ENV = "AGENTBAY_OFFICIAL_PYTHON"


# ======================================================================================
# the table
# ======================================================================================


@dataclass
class Row:
    scenario: str
    candidate: str
    seconds: float | None  # the measured quantity: per batch, per call or per transfer
    shown: str  # ``seconds`` for people
    ratio: float | None = None
    goal: str = ""  # "baseline", ">=0.85 ok", ">=0.85 MISS" or ""
    note: str = ""

    @property
    def tail(self) -> tuple[str, str]:
        return self.goal, self.note


class Table:
    def __init__(self) -> None:
        self.rows: list[Row] = []

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(f"  {row.scenario:<10} {row.candidate:<50} {row.shown:>19}", file=sys.stderr)

    def render(self) -> str:
        header = ("scenario", "candidate", "time", "ratio", "goal", "note")
        lines = [
            (r.scenario, r.candidate, r.shown, "" if r.ratio is None else f"{r.ratio:.2f}", *r.tail)
            for r in self.rows
        ]
        widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
        fmt = "  ".join(f"{{:{'>' if i in (2, 3) else '<'}{w}}}" for i, w in enumerate(widths))
        out = [fmt.format(*header).rstrip(), "  ".join("-" * w for w in widths)]
        out.extend(fmt.format(*line).rstrip() for line in lines)
        return "\n".join(out)

    def goals(self) -> str:
        """One line per row that has a goal: met or missed."""
        return "\n".join(
            f"{'MISSED' if 'MISS' in r.goal else 'met   '}  {r.scenario} {r.candidate}: "
            f"{r.ratio:.2f} ({r.goal}){'; ' + r.note if r.note else ''}"
            for r in self.rows
            if r.goal not in ("", "baseline") and r.ratio is not None
        )


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} us"


def _goal(ratio: float, op: str, limit: float) -> str:
    ok = ratio >= limit if op == ">=" else ratio <= limit
    return f"{op}{limit:g} {'ok' if ok else 'MISS'}"


@dataclass
class Cand:
    """One row of a scenario: a name and, when its goal applies to it, the goal."""

    name: str
    goal: tuple[str, float] | None = None
    note: str = ""


# A candidate that raises is reported in its row's note, not fatal.
FAILURES: dict[str, str] = {}


def _rows(
    table: Table,
    scenario: str,
    cands: Sequence[Cand],
    results: dict[str, float],
    fmt: Callable[[float], str],
    *,
    cost: bool = False,
    notes: dict[str, str] | None = None,
) -> None:
    """Rows of ``cands`` (the first is the baseline); ratio base/value, or value/base if
    ``cost``. A candidate missing from ``results`` was not run (not installed)."""
    base = results.get(cands[0].name, math.nan)
    for cand in cands:
        note = (notes or {}).get(cand.name, cand.note)
        if cand.name not in results:
            table.add(Row(scenario, cand.name, None, NOT_INSTALLED, note=note))
            continue
        value = results[cand.name]
        if math.isnan(value) or math.isnan(base):
            failure = FAILURES.get(cand.name, "the baseline failed")
            table.add(Row(scenario, cand.name, None, "-", note=failure))
            continue
        ratio = value / base if cost else base / value
        goal = "baseline" if cand is cands[0] else ""
        if cand.goal is not None:
            goal = _goal(ratio, *cand.goal)
        table.add(Row(scenario, cand.name, value, fmt(value), ratio, goal, note))


def _record_failure(name: str, exc: BaseException) -> float:
    FAILURES.setdefault(name, f"error: {type(exc).__name__}: {exc}"[:100])
    return math.nan


def _best(names: Sequence[str], repeat: int, measure: Callable[[str], float]) -> dict[str, float]:
    """Best of ``repeat`` rounds of ``measure(name)`` after one warm-up round, interleaved."""
    best = dict.fromkeys(names, math.inf)
    for round_ in range(repeat + 1):
        for name in names:
            if math.isnan(best[name]):
                continue
            gc.collect()
            try:
                value = measure(name)
            except Exception as exc:
                best[name] = _record_failure(name, exc)
                continue
            if round_:
                best[name] = min(best[name], value)
    return best


async def _abest(
    names: Sequence[str], repeat: int, measure: Callable[[str], Awaitable[float]]
) -> dict[str, float]:
    """:func:`_best` for coroutines."""
    best = dict.fromkeys(names, math.inf)
    for round_ in range(repeat + 1):
        for name in names:
            if math.isnan(best[name]):
                continue
            gc.collect()
            try:
                value = await measure(name)
            except Exception as exc:
                best[name] = _record_failure(name, exc)
                continue
            if round_:
                best[name] = min(best[name], value)
    return best


@dataclass
class Settings:
    quick: bool
    repeat: int
    concurrency: int = 100
    threads: int = 50
    thread_calls: int = 200
    seq_calls: int = 2000
    latency_ms: float = 20.0
    transfer_bytes: int = 1024 * MIB
    emulator_calls: int = 3000
    import_runs: int = 5
    folder_files: int = 1000
    folder_dirs: int = 50
    listing_files: int = 50_000
    fleet_calls: int = 2000
    scale_files: tuple[int, int] = (1000, 50_000)
    scale_shapes: tuple[str, ...] = ("flat", "deep")


def _config(endpoint: str, **more: Any) -> Config:
    return Config(endpoint=endpoint, timeout_ms=TIMEOUT_MS, **more)


CRC_OFF = ", verify_crc=False"  # row D's candidates without the CRC-64 check
CRC_GOAL = 0.95  # the check costs at most 5 % of a transfer's throughput


def _check(ok: bool, what: object) -> None:
    """Fail the run (even under ``python -O``) when a call did not do what it should."""
    if not ok:
        raise AssertionError(what)


def _succeeded(result: object) -> bool:
    """A raw client's body is the RPC body; an SDK result says ``success``."""
    if isinstance(result, bytes):
        return result == RPC_BODY
    return bool(getattr(result, "success", False))


def _httpx2() -> Any | None:
    try:
        import httpx2
    except ImportError:
        return None
    return httpx2


# ======================================================================================
# the official SDK, in its own interpreter
# ======================================================================================


def _official_python() -> str | None:
    return os.environ.get(OFFICIAL_PYTHON_ENV) or None


def _official_env() -> dict[str, str]:
    """This environment less what would point the official SDK at this project."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AGENTBAY_", "PYTHON", "VIRTUAL_ENV"))
    }


def run_official(mode: str, endpoint: str, *counts: int) -> float:
    """Seconds measured by :mod:`benchmarks.official` in ``mode``; raise when it fails."""
    python = _official_python()
    assert python is not None
    with tempfile.TemporaryDirectory() as cwd, open(Path(cwd) / "stderr", "w+") as stderr:
        # cwd: no .env file of ours for the SDK to find. Its INFO log goes to a file.
        proc = subprocess.run(
            [python, str(ROOT / "benchmarks" / "official.py"), mode, endpoint]
            + [str(n) for n in counts],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=_official_env(),
            cwd=cwd,
            timeout=900,
            check=False,
        )
        if proc.returncode != 0:
            stderr.seek(0)
            lines = (stderr.read().strip().splitlines() or ["?"])[-1:]
            raise RuntimeError(f"exit {proc.returncode}: {lines[0][:80]}")
    return float(json.loads(proc.stdout.splitlines()[-1])["seconds"])


def _official_into(results: dict[str, float], name: str, *args: Any) -> None:
    """Add the official SDK's measurement to ``results`` when it is installed."""
    if _official_python() is None:
        return
    try:
        results[name] = run_official(*args)
    except Exception as exc:
        results[name] = _record_failure(name, exc)


OFFICIAL_NOTE = "separate interpreter; its INFO log to a file"
OFFICIAL_MISSING = f"set {OFFICIAL_PYTHON_ENV}"


def _official_cand(name: str) -> Cand:
    return Cand(name, note=OFFICIAL_NOTE if _official_python() else OFFICIAL_MISSING)


# ======================================================================================
# A and A0: async
# ======================================================================================


@dataclass
class AsyncCand(Cand):
    call: Callable[[], Awaitable[object]] | None = None
    close: Callable[[], Awaitable[None]] | None = None


def async_candidates(base: str, sdk_goal: tuple[str, float] | None) -> list[AsyncCand]:
    """The async rows against ``base``; call inside the running loop (aiohttp binds to it)."""
    import aiohttp

    url = base + QUERY
    session = aiohttp.ClientSession()

    async def raw_aiohttp() -> bytes:
        async with session.post(url, data=FORM, headers=HEADERS) as response:
            return await response.read()

    def httpx_like(client: Any) -> Callable[[], Awaitable[bytes]]:
        async def call() -> bytes:
            content: bytes = (await client.post(url, content=FORM, headers=HEADERS)).content
            return content

        return call

    hx = httpx.AsyncClient()
    sdk = AsyncAgentBay(API_KEY, _config(base))
    sdk_client = httpx.AsyncClient()
    sdk_hx = AsyncAgentBay(API_KEY, _config(base), http_client=sdk_client)
    cands = [
        AsyncCand("aiohttp raw (ClientSession)", call=raw_aiohttp, close=session.close),
        AsyncCand("httpx.AsyncClient default", call=httpx_like(hx), close=hx.aclose),
        AsyncCand(
            "agentbay AsyncAgentBay default (aiohttp)",
            sdk_goal,
            call=lambda: sdk.context.get(name="n"),
            close=sdk.aclose,
        ),
        AsyncCand(
            "agentbay AsyncAgentBay(http_client=httpx)",
            call=lambda: sdk_hx.context.get(name="n"),
            close=sdk_client.aclose,
        ),
    ]
    hx2 = _httpx2()
    name2 = "httpx2.AsyncClient default"
    if hx2 is None:
        cands.append(AsyncCand(name2))
    else:
        client2 = hx2.AsyncClient()
        cands.append(AsyncCand(name2, call=httpx_like(client2), close=client2.aclose))
    return cands


async def _check_async(cands: Sequence[AsyncCand]) -> None:
    for cand in cands:
        if cand.call is not None:
            result = await cand.call()
            _check(_succeeded(result), f"{cand.name}: {result!r}")


async def _concurrent(call: Callable[[], Awaitable[object]], n: int) -> float:
    started = time.perf_counter()
    results = await asyncio.gather(*(call() for _ in range(n)))
    elapsed = time.perf_counter() - started
    _check(all(_succeeded(r) for r in results), "a call failed")
    return elapsed


async def _sequential_async(call: Callable[[], Awaitable[object]], n: int) -> float:
    result: object = None
    started = time.perf_counter()
    for _ in range(n):
        result = await call()
    elapsed = time.perf_counter() - started
    _check(_succeeded(result), f"the last call failed: {result!r}")
    return elapsed / n


def scenario_async(table: Table, cfg: Settings, server: ServerHandle) -> None:
    """A: 100 concurrent calls @ 20 ms; A0: sequential calls @ 0 ms."""

    async def measure(
        base: str, goal: tuple[str, float] | None, timed: Callable[[AsyncCand], Awaitable[float]]
    ) -> tuple[list[AsyncCand], dict[str, float]]:
        cands = async_candidates(base, goal)
        try:
            await _check_async(cands)
            by_name = {c.name: c for c in cands if c.call is not None}
            return cands, await _abest(list(by_name), cfg.repeat, lambda n: timed(by_name[n]))
        finally:
            for cand in cands:
                if cand.close is not None:
                    await cand.close()

    def concurrent(cand: AsyncCand) -> Awaitable[float]:
        assert cand.call is not None
        return _concurrent(cand.call, cfg.concurrency)

    calls = cfg.seq_calls // 2

    def sequential(cand: AsyncCand) -> Awaitable[float]:
        assert cand.call is not None
        return _sequential_async(cand.call, calls)

    slow, fast = server.url(cfg.latency_ms), server.url(0.0)
    cands, conc = asyncio.run(measure(slow, (">=", 0.85), concurrent))
    official = "official wuying-agentbay-sdk AsyncAgentBay"
    _official_into(conc, official, "concurrent", slow, cfg.concurrency, cfg.repeat)
    _rows(table, "A", [*cands, _official_cand(official)], conc, _ms)

    cpu_before = server.cpu_seconds()
    cands, seq = asyncio.run(measure(fast, None, sequential))
    cpu_per_call = (server.cpu_seconds() - cpu_before) / (calls * (cfg.repeat + 1) * len(seq))
    cands[0].note = f"server CPU {cpu_per_call * 1e6:.0f} us/call"
    _rows(table, "A0", cands, seq, _us, cost=True)


# ======================================================================================
# B and C: sync
# ======================================================================================


@dataclass
class SyncCand(Cand):
    call: Callable[[], object] | None = None
    close: Callable[[], None] | None = None


def sync_candidates(base: str, threads: int | None) -> list[SyncCand]:
    """B's rows (``threads`` None: raw httpx first) or C's (raw urllib3 first)."""
    url = base + QUERY

    def httpx_like(client: Any) -> Callable[[], bytes]:
        def call() -> bytes:
            content: bytes = client.post(url, content=FORM, headers=HEADERS).content
            return content

        return call

    pool = urllib3.PoolManager(maxsize=threads or 1)
    hx = httpx.Client()
    sdk = AgentBay(API_KEY, _config(base))
    sdk_client = httpx.Client()
    sdk_hx = AgentBay(API_KEY, _config(base), http_client=sdk_client)
    goal = (">=", 0.85) if threads else ("<=", 1.10)
    raw_httpx = SyncCand(
        "httpx.Client raw POST" if threads is None else "httpx.Client default",
        call=httpx_like(hx),
        close=hx.close,
    )
    raw_urllib3 = SyncCand(
        f"urllib3 raw PoolManager({f'maxsize={threads}' if threads else ''}).request",
        call=lambda: pool.request("POST", url, body=FORM, headers=HEADERS).data,
        close=pool.clear,
    )
    cands = [raw_httpx, raw_urllib3] if threads is None else [raw_urllib3, raw_httpx]
    cands += [
        SyncCand(
            "agentbay AgentBay default (urllib3)",
            goal,
            "" if threads else "logger 'agentbay' as shipped (no handler, WARNING)",
            call=lambda: sdk.context.get(name="n"),
            close=sdk.close,
        ),
        SyncCand(
            "agentbay AgentBay(http_client=httpx)",
            call=lambda: sdk_hx.context.get(name="n"),
            close=sdk_client.close,
        ),
    ]
    hx2 = _httpx2()
    name2 = "httpx2.Client default"
    if hx2 is None:
        cands.append(SyncCand(name2))
    else:
        client2 = hx2.Client()
        cands.append(SyncCand(name2, call=httpx_like(client2), close=client2.close))
    return cands


def _measure_sync(
    cands: Sequence[SyncCand], repeat: int, timed: Callable[[SyncCand], float]
) -> dict[str, float]:
    try:
        for cand in cands:
            if cand.call is not None:
                result = cand.call()
                _check(_succeeded(result), f"{cand.name}: {result!r}")
        by_name = {c.name: c for c in cands if c.call is not None}
        return _best(list(by_name), repeat, lambda n: timed(by_name[n]))
    finally:
        for cand in cands:
            if cand.close is not None:
                cand.close()


def scenario_sync_sequential(table: Table, cfg: Settings, server: ServerHandle) -> None:
    """B: per-call cost of sequential sync calls @ 0 ms, against a raw httpx.Client POST."""
    logger = logging.getLogger("agentbay")
    shipped = not logger.handlers and logger.getEffectiveLevel() == logging.WARNING
    _check(shipped, "the logger 'agentbay' is not as shipped")
    base = server.url(0.0)
    n = cfg.seq_calls

    def sequential(cand: SyncCand) -> float:
        call = cand.call
        assert call is not None
        result: object = None
        started = time.perf_counter()
        for _ in range(n):
            result = call()
        elapsed = time.perf_counter() - started
        _check(_succeeded(result), f"the last call failed: {result!r}")
        return elapsed / n

    cands = sync_candidates(base, None)
    res = _measure_sync(cands, cfg.repeat, sequential)
    official = "official wuying-agentbay-sdk AgentBay"
    _official_into(res, official, "sequential", base, n, cfg.repeat)
    _rows(table, "B", [*cands, _official_cand(official)], res, _us, cost=True)


def scenario_threads(table: Table, cfg: Settings, server: ServerHandle) -> None:
    """C: one sync client shared by 50 threads, 200 calls @ 20 ms."""
    base = server.url(cfg.latency_ms)
    cands = sync_candidates(base, cfg.threads)
    with ThreadPoolExecutor(cfg.threads) as pool:

        def threaded(cand: SyncCand) -> float:
            call = cand.call
            assert call is not None
            started = time.perf_counter()
            results = list(pool.map(lambda _: call(), range(cfg.thread_calls)))
            elapsed = time.perf_counter() - started
            _check(all(_succeeded(r) for r in results), "a call failed")
            return elapsed

        res = _measure_sync(cands, cfg.repeat, threaded)
    official = "official wuying-agentbay-sdk AgentBay"
    _official_into(res, official, "threads", base, cfg.threads, cfg.thread_calls, cfg.repeat)
    _rows(table, "C", [*cands, _official_cand(official)], res, _ms)


# ======================================================================================
# the emulator (D and E)
# ======================================================================================


@contextlib.contextmanager
def running_emulator(faults: str | None = None, data_dir: Path | None = None) -> Iterator[str]:
    """The emulator (``python -m agentbay_emulator``) in a subprocess of its own, on a free
    port with a temporary data directory or ``data_dir`` (and ``faults``, a ``--faults``
    spec); yields its endpoint URL."""
    with contextlib.ExitStack() as stack:
        data = str(data_dir) if data_dir else stack.enter_context(_temporary_dir())
        cmd = [sys.executable, "-m", "agentbay_emulator", "--port", "0", "--data-dir", data]
        cmd += [] if faults is None else ["--faults", faults]
        proc = subprocess.Popen([*cmd, "--log-level", "warning"], stdout=subprocess.PIPE)
        try:
            line = wait_ready(proc, b"AgentBay emulator listening on ", 30.0).decode()
            match = re.search(r"http://\S+", line)
            assert match is not None, line
            yield match.group(0)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            assert proc.stdout is not None
            proc.stdout.close()


@contextlib.contextmanager
def _temporary_dir() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="agentbay-bench-") as data:
        yield data


def scenario_emulator(table: Table, cfg: Settings, endpoint: str) -> None:
    """E: GetContext throughput and latency at 1, 10 and 100 concurrent async clients."""
    calls = cfg.emulator_calls

    async def level(clients: int) -> tuple[float, list[float]]:
        bays = [AsyncAgentBay(API_KEY, _config(endpoint)) for _ in range(clients)]
        try:
            created = await bays[0].context.get(name="bench-e", create=True)
            _check(created.success, created)
            # Warm-up: each client opens its connection.
            await asyncio.gather(*(bay.context.get(name="bench-e") for bay in bays))
            latencies: list[float] = []
            failures = 0

            async def client(bay: AsyncAgentBay, n: int) -> None:
                nonlocal failures
                for _ in range(n):
                    started = time.perf_counter()
                    result = await bay.context.get(name="bench-e")
                    latencies.append(time.perf_counter() - started)
                    failures += not result.success

            share = max(calls // clients, 1)
            started = time.perf_counter()
            await asyncio.gather(*(client(bay, share) for bay in bays))
            elapsed = time.perf_counter() - started
            _check(failures == 0, f"{failures} of {len(latencies)} calls failed")
            return elapsed, sorted(latencies)
        finally:
            for bay in bays:
                await bay.aclose()

    for clients in (1, 10, 100):
        elapsed, latencies = asyncio.run(level(clients))
        n = len(latencies)
        p50, p99 = latencies[n // 2], latencies[min(n - 1, math.ceil(n * 0.99) - 1)]
        table.add(
            Row(
                "E",
                f"GetContext, {clients} async client{'s' if clients > 1 else ''}",
                elapsed / n,
                f"{n / elapsed:.0f} calls/s",
                note=f"p50 {_ms(p50)}, p99 {_ms(p99)} ({n} calls)",
            )
        )


def _fill_flat_folders(data: Path, folders: dict[str, Path]) -> str:
    """A context ``bench-k`` whose folders (``/name``) hold what the local folders hold, every
    file newer than its local copy (so an upload_folder finds nothing to do); its id.

    The rows go into the data directory in one transaction, fast where 50,000 uploads would
    take minutes, with the index left to the migration that rebuilds it at the next start."""
    with running_emulator(data_dir=data) as endpoint, AgentBay(API_KEY, _config(endpoint)) as sdk:
        created = sdk.context.get(name="bench-k", create=True)
        _check(created.success, created)
        cid = created.context_id
    newer = time.time() + 60
    rows = [
        (cid, f"/{name}/{file.name}", f"file-{index:08d}", "0" * 32, file.stat().st_size)
        for name, local in folders.items()
        for index, file in enumerate(sorted(local.iterdir()))
    ]
    with contextlib.closing(sqlite3.connect(data / "meta.sqlite3")) as db, db:
        db.executemany(
            "INSERT INTO files (context_id, path, file_id, blob, size, created, modified)"
            f" VALUES (?, ?, ?, ?, ?, {newer}, {newer})",
            rows,
        )
        db.execute("PRAGMA user_version = 0")  # the next start rebuilds the listing index
    return cid


def scenario_listing(table: Table, cfg: Settings) -> None:
    """K: one listing page and an unchanged upload_folder, a folder of 1,000 files against one
    of ``cfg.listing_files`` (50,000), all direct children."""
    small, large = 1000, cfg.listing_files
    with tempfile.TemporaryDirectory(prefix="agentbay-bench-k-") as tmp:
        trees = {f"flat{n}": Path(tmp) / f"flat{n}" for n in (small, large)}
        for n, tree in zip((small, large), trees.values(), strict=True):
            tree.mkdir()
            for index in range(n):
                (tree / f"f{index:06d}.txt").write_bytes(b"%d\n" % index)
        data = Path(tmp) / "data"
        cid = _fill_flat_folders(data, trees)
        with running_emulator(data_dir=data) as endpoint:

            async def page(n: int) -> float:
                async with AsyncAgentBay(API_KEY, _config(endpoint)) as sdk:
                    first = await sdk.context.list_files(cid, f"/flat{n}", max_results=100)
                    _check(first.success and len(first.entries) == 100, first)
                    token = first.next_token
                    calls = 50 if cfg.quick else 200
                    started = time.perf_counter()
                    for _ in range(calls):
                        listed = await sdk.context.list_files(
                            cid, f"/flat{n}", max_results=100, next_token=token
                        )
                        _check(listed.success and len(listed.entries) == 100, listed)
                    return (time.perf_counter() - started) / calls

            async def unchanged(n: int) -> float:
                async with AsyncAgentBay(API_KEY, _config(endpoint)) as sdk:
                    started = time.perf_counter()
                    result = await sdk.context.upload_folder(cid, trees[f"flat{n}"], f"/flat{n}")
                    elapsed = time.perf_counter() - started
                    _check(result.success and not result.transferred, result.failed)
                    return elapsed

            page_names = {f"page of 100, folder of {n:,} files": n for n in (small, large)}
            pages = _best(list(page_names), cfg.repeat, lambda c: asyncio.run(page(page_names[c])))
            cands = [Cand(name) for name in page_names]
            cands[1].goal = ("<=", 2.0)
            _rows(table, "K", cands, pages, _ms, cost=True)
            up_names = {f"unchanged upload_folder, {n:,} files": n for n in (small, large)}
            ups = _best(list(up_names), cfg.repeat, lambda c: asyncio.run(unchanged(up_names[c])))
            cands = [Cand(name) for name in up_names]
            cands[1].goal = ("<=", 60.0 * large / 50_000)
            _rows(table, "K", cands, ups, _ms, cost=True)


# ======================================================================================
# a fleet under a quota (H)
# ======================================================================================

FLEET_QUOTA = 200  # calls per second per account
FLEET_PROCESSES = 4
FLEET_CONCURRENCY = 100


async def _fleet_worker(endpoint: str, calls: int, concurrency: int) -> dict[str, Any]:
    """One process of the fleet: one client with default settings, ``calls`` ``get()`` calls
    ``concurrency`` at a time, once a line on stdin says go."""
    async with AsyncAgentBay(API_KEY, Config(endpoint=endpoint)) as bay:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        began = time.time()
        left = calls
        failures: Counter[str] = Counter()

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                result = await bay.context.get(name="bench-h")
                if not result.success:
                    failures[result.error_message[:60]] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return {"began": began, "ended": time.time(), "failures": dict(failures)}


def fleet_worker_main(argv: Sequence[str]) -> int:
    """``python -m benchmarks.bench --fleet-worker ENDPOINT CALLS CONCURRENCY``."""
    endpoint, calls, concurrency = argv
    outcome = asyncio.run(_fleet_worker(endpoint, int(calls), int(concurrency)))
    print(json.dumps(outcome))
    return 0


def run_fleet(endpoint: str, processes: int, calls: int, concurrency: int) -> dict[str, Any]:
    """Run the fleet once, every process started together once all are ready; the whole's
    seconds, the calls that failed and why."""
    share = calls // processes
    cmd = [sys.executable, "-m", "benchmarks.bench", "--fleet-worker", endpoint]
    procs = [
        subprocess.Popen(
            [*cmd, str(share), str(concurrency)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        for _ in range(processes)
    ]
    try:
        for proc in procs:
            wait_ready(proc, b"ready", 60.0)
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
        outcomes = []
        for proc in procs:
            out, _ = proc.communicate(timeout=300)
            _check(proc.returncode == 0, f"a fleet process failed ({proc.returncode})")
            outcomes.append(json.loads(out.decode().strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    failures: Counter[str] = Counter()
    for outcome in outcomes:
        failures.update(outcome["failures"])
    began = min(o["began"] for o in outcomes)
    return {
        "seconds": max(o["ended"] for o in outcomes) - began,
        "late": max(o["began"] for o in outcomes) - began,
        "failed": sum(failures.values()),
        "why": failures.most_common(2),
    }


def scenario_fleet(table: Table, cfg: Settings) -> None:
    """H: 4 processes, each one client running 100 concurrent ``get()`` calls, 2,000 calls in
    all, one account, the emulator's quota at 200 calls/s: with and without
    ``x-acs-retry-after``. Ratio = the whole's time against the quota's own (calls / quota)."""
    calls = cfg.fleet_calls
    ideal = calls / FLEET_QUOTA
    for header, goal, least in ((True, 1.3, 1.0), (False, 1.5, 0.995)):
        faults = f"quota={FLEET_QUOTA}" + (",quota_retry_after=1" if header else "")
        with running_emulator(faults) as endpoint:

            async def create() -> None:
                async with AsyncAgentBay(API_KEY, Config(endpoint=endpoint)) as bay:
                    _check((await bay.context.get(name="bench-h", create=True)).success, "H")
                await asyncio.sleep(1.0)  # a fresh quota window

            asyncio.run(create())
            run = run_fleet(endpoint, FLEET_PROCESSES, calls, FLEET_CONCURRENCY)
        share = 1 - run["failed"] / calls
        ratio = run["seconds"] / ideal
        verdict = _goal(ratio, "<=", goal)
        if share < least:
            verdict = verdict.replace(" ok", " MISS")
        note = f"{share:.2%} succeeded (goal >= {least:.1%}); {calls / run['seconds']:.0f} calls/s"
        if run["failed"]:
            note += f"; {run['why']}"
        name = "x-acs-retry-after sent" if header else "no retry header"
        table.add(
            Row(
                "H",
                f"fleet, {FLEET_PROCESSES}x{FLEET_CONCURRENCY} concurrent, quota "
                f"{FLEET_QUOTA}/s, {name}",
                run["seconds"],
                f"{run['seconds']:.1f} s",
                ratio,
                verdict,
                note,
            )
        )


class RssSampler:
    """Samples this process's RSS in a thread; ``peak_growth`` is in bytes."""

    def __init__(self, interval: float = 0.005) -> None:
        self._interval = interval
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self.start_rss = self._rss()
        self.peak = self.start_rss
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self._page

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def peak_growth(self) -> int:
        return self.peak - self.start_rss


class Discard:
    """A download destination that counts and drops the bytes (no disk in the way)."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def _file_chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as file:
        while chunk := file.read(MIB):
            yield chunk


async def _afile_chunks(path: str) -> AsyncIterator[bytes]:
    for chunk in _file_chunks(path):
        yield chunk


def scenario_transfers(table: Table, cfg: Settings, endpoint: str) -> None:
    """D: upload_file / download_file through presigned URLs, against raw httpx streaming."""
    size = cfg.transfer_bytes
    # Transfers are short and loopback throughput swings with background load: best of >= 5.
    repeat = cfg.repeat if cfg.quick else max(cfg.repeat, 5)
    rss: dict[str, int] = {}
    timeout = httpx.Timeout(120.0)  # the emulator fsyncs 1 GiB before it answers a PUT

    with tempfile.TemporaryDirectory(prefix="agentbay-bench-") as tmp:
        source = os.path.join(tmp, "source.bin")
        with open(source, "wb") as file:
            file.truncate(size)  # sparse: reading it costs no disk

        def expect(what: str, ok: bool, done: int) -> None:
            _check(ok and done == size, f"{what}: {done} of {size} bytes")

        # ---- sync
        sdk = AgentBay(API_KEY, _config(endpoint))
        ctx = sdk.context.get(name="bench-d-sync", create=True)
        _check(ctx.success, ctx)
        cid = ctx.context_id
        seeded = sdk.context.upload_file(cid, "/get.bin", source)
        _check(seeded.success and seeded.data == size, seeded)
        put_url = sdk.context.get_file_upload_url(cid, "/raw.bin").url
        get_url = sdk.context.get_file_download_url(cid, "/get.bin").url
        hx = httpx.Client(timeout=timeout)

        def raw_put() -> None:
            length = {"content-length": str(size)}
            response = hx.put(put_url, content=_file_chunks(source), headers=length)
            expect(f"raw PUT: HTTP {response.status_code}", response.status_code == 200, size)

        def raw_get() -> None:
            done = 0
            with hx.stream("GET", get_url) as response:
                for chunk in response.iter_bytes():
                    done += len(chunk)
            expect(f"raw GET: HTTP {response.status_code}", response.status_code == 200, done)

        unchecked = AgentBay(API_KEY, _config(endpoint, verify_crc=False))

        def sdk_put(bay: AgentBay = sdk) -> None:
            result = bay.context.upload_file(cid, "/sdk.bin", source)
            expect(f"upload_file: {result.error_message}", result.success, result.data)

        def sdk_get(bay: AgentBay = sdk) -> None:
            sink = Discard()
            result = bay.context.download_file(cid, "/get.bin", sink)
            expect(f"download_file: {result.error_message}", result.success, sink.size)

        sync_ops: dict[str, Callable[[], None]] = {
            "sync PUT httpx.Client (raw, streamed)": raw_put,
            "sync PUT agentbay upload_file (urllib3)": sdk_put,
            f"sync PUT agentbay upload_file (urllib3){CRC_OFF}": lambda: sdk_put(unchecked),
            "sync GET httpx.Client.stream (raw)": raw_get,
            "sync GET agentbay download_file (urllib3)": sdk_get,
            f"sync GET agentbay download_file (urllib3){CRC_OFF}": lambda: sdk_get(unchecked),
        }

        def measure_sync(name: str) -> float:
            with RssSampler() as sampler:
                started = time.perf_counter()
                sync_ops[name]()
                elapsed = time.perf_counter() - started
            rss[name] = max(rss.get(name, 0), sampler.peak_growth)
            return elapsed

        try:
            sync_res = _best(list(sync_ops), repeat, measure_sync)
        finally:
            hx.close()
            sdk.close()
            unchecked.close()

        # ---- async
        async def run_async() -> dict[str, float]:
            sdk = AsyncAgentBay(API_KEY, _config(endpoint))
            ctx = await sdk.context.get(name="bench-d-async", create=True)
            _check(ctx.success, ctx)
            cid = ctx.context_id
            seeded = await sdk.context.upload_file(cid, "/get.bin", source)
            _check(seeded.success and seeded.data == size, seeded)
            put_url = (await sdk.context.get_file_upload_url(cid, "/raw.bin")).url
            get_url = (await sdk.context.get_file_download_url(cid, "/get.bin")).url
            hx = httpx.AsyncClient(timeout=timeout)

            async def raw_put() -> None:
                length = {"content-length": str(size)}
                response = await hx.put(put_url, content=_afile_chunks(source), headers=length)
                expect(f"raw PUT: HTTP {response.status_code}", response.status_code == 200, size)

            async def raw_get() -> None:
                done = 0
                async with hx.stream("GET", get_url) as response:
                    async for chunk in response.aiter_bytes():
                        done += len(chunk)
                expect(f"raw GET: HTTP {response.status_code}", response.status_code == 200, done)

            unchecked = AsyncAgentBay(API_KEY, _config(endpoint, verify_crc=False))

            async def sdk_put(bay: AsyncAgentBay = sdk) -> None:
                result = await bay.context.upload_file(cid, "/sdk.bin", source)
                expect(f"upload_file: {result.error_message}", result.success, result.data)

            async def sdk_get(bay: AsyncAgentBay = sdk) -> None:
                sink = Discard()
                result = await bay.context.download_file(cid, "/get.bin", sink)
                expect(f"download_file: {result.error_message}", result.success, sink.size)

            ops: dict[str, Callable[[], Awaitable[None]]] = {
                "async PUT httpx.AsyncClient (raw, streamed)": raw_put,
                "async PUT agentbay upload_file (aiohttp)": sdk_put,
                f"async PUT agentbay upload_file (aiohttp){CRC_OFF}": lambda: sdk_put(unchecked),
                "async GET httpx.AsyncClient.stream (raw)": raw_get,
                "async GET agentbay download_file (aiohttp)": sdk_get,
                f"async GET agentbay download_file (aiohttp){CRC_OFF}": lambda: sdk_get(unchecked),
            }

            async def measure(name: str) -> float:
                with RssSampler() as sampler:
                    started = time.perf_counter()
                    await ops[name]()
                    elapsed = time.perf_counter() - started
                rss[name] = max(rss.get(name, 0), sampler.peak_growth)
                return elapsed

            try:
                return await _abest(list(ops), repeat, measure)
            finally:
                await hx.aclose()
                await sdk.aclose()
                await unchecked.aclose()

        async_res = asyncio.run(run_async())

    label = f"D {size / MIB:g} MiB"
    for res in (sync_res, async_res):
        for verb in ("PUT", "GET"):
            part = {k: v for k, v in res.items() if f" {verb} " in k}
            names = list(part)
            cands = [Cand(names[0]), *(Cand(n, (">=", 0.8)) for n in names[1:])]
            notes = {}
            for name, seconds in part.items():
                growth = rss.get(name, 0)
                flat = "" if growth <= FLAT_RSS else " NOT FLAT"
                notes[name] = (
                    f"{size / MIB / seconds:.0f} MiB/s, peak RSS +{growth / MIB:.1f} MiB{flat}"
                    if not math.isnan(seconds)
                    else ""
                )
            _rows(table, label, cands, part, lambda s: f"{s:.3f} s", notes=notes)
            # The CRC-64 check's cost: checked against unchecked, in the same run (goal >= 0.95).
            checked = [n for n in names[1:] if not n.endswith(CRC_OFF)]
            for name in checked:
                crc = [Cand(name + CRC_OFF), Cand(name, (">=", CRC_GOAL))]
                _rows(table, f"{label} CRC", crc, part, lambda s: f"{s:.3f} s")


# ======================================================================================
# F: folders
# ======================================================================================

FOLDER_FAULTS = "latency=20ms,transfer_latency=20ms"
FOLDER_CONCURRENCY = 16


RAW_PUT = "ticker beside raw aiohttp PUT of that file, read in a thread"
RAW_SPARSE = "ticker beside raw aiohttp PUT of a new sparse file, read in a thread"
ALONE = "ticker alone"


async def _raw_put(url: str, path: Path) -> int:
    """PUT the file at ``path`` with a raw ``aiohttp.ClientSession``, reading each 1 MiB off the
    loop as the SDK does (``asyncio.to_thread``); the status."""
    import aiohttp

    size = path.stat().st_size

    async def body() -> AsyncIterator[bytes]:
        with open(path, "rb") as file:
            while chunk := await asyncio.to_thread(file.read, MIB):
                yield chunk

    async with (
        aiohttp.ClientSession() as session,
        session.put(url, data=body(), headers={"content-length": str(size)}) as response,
    ):
        return response.status


def _write_big(path: Path, size: int) -> None:
    """``size`` bytes of data (one random MiB over and over) at ``path``, as a program that has
    just made a big file leaves it: written, in the page cache."""
    block = random.Random(20251207).randbytes(MIB)
    with open(path, "wb") as file:
        for _ in range(size // MIB):
            file.write(block)


def _write_tree(root: Path, files: int, folders: int) -> list[str]:
    """``files`` files of 1-64 KiB (reproducible bytes) spread over ``folders`` folders; their
    relative paths."""
    rng = random.Random(20250529)
    relatives = []
    for index in range(files):
        relative = f"d{index % folders:02d}/f{index:04d}.bin"
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(rng.randint(1024, 64 * 1024)))
        relatives.append(relative)
    return sorted(relatives)


@contextlib.contextmanager
def _actions_of(sdk: AsyncAgentBay) -> Iterator[list[str]]:
    """The actions ``sdk`` sends inside the block (to show that a second run only lists)."""
    actions: list[str] = []
    channel = sdk._channel
    original = channel.call

    def counting(action: str, *args: Any) -> Any:
        actions.append(action)
        return original(action, *args)

    channel.call = counting
    try:
        yield actions
    finally:
        del channel.call


def scenario_folders(table: Table, cfg: Settings, endpoint: str) -> None:
    """F: folder transfers against a sequential loop of file transfers, second runs, loop lag."""
    n = cfg.folder_files
    times: dict[str, float] = {}
    lags: dict[str, Lag] = {}
    notes: dict[str, str] = {}
    seq_up, seq_down = (
        "sequential upload_file loop (async)",
        "sequential download_file loop (async)",
    )
    up, down = "async upload_folder", "async download_folder"
    sync_up, sync_down = "sync upload_folder (threads)", "sync download_folder (threads)"

    with tempfile.TemporaryDirectory(prefix="agentbay-bench-f-") as tmp:
        tree = Path(tmp) / "tree"
        relatives = _write_tree(tree, n, cfg.folder_dirs)
        total = sum((tree / r).stat().st_size for r in relatives)
        big, sparse = Path(tmp) / "big.bin", Path(tmp) / "sparse.bin"

        def timed(name: str, started: float, result: Any, moved: int) -> None:
            times[name] = time.perf_counter() - started
            _check(result.success and len(result.transferred) == moved, (name, result.failed))

        async def run_async() -> None:
            sdk = AsyncAgentBay(API_KEY, _config(endpoint))
            try:
                cid = (await sdk.context.get(name="bench-f", create=True)).context_id
                started = time.perf_counter()
                for relative in relatives:
                    done = await sdk.context.upload_file(cid, f"/seq/{relative}", tree / relative)
                    _check(done.success, done)
                times[seq_up] = time.perf_counter() - started
                copy = Path(tmp) / "seq"
                for folder in {r.split("/")[0] for r in relatives}:
                    (copy / folder).mkdir(parents=True)
                started = time.perf_counter()
                for relative in relatives:
                    done = await sdk.context.download_file(cid, f"/seq/{relative}", copy / relative)
                    _check(done.success, done)
                times[seq_down] = time.perf_counter() - started
                mirror = Path(tmp) / "mirror"

                for name, again, call in (
                    (up, f"{up}, again", lambda: sdk.context.upload_folder(cid, tree, "/f")),
                    (
                        down,
                        f"{down}, again",
                        lambda: sdk.context.download_folder(cid, "/f", mirror),
                    ),
                ):
                    started = time.perf_counter()
                    timed(name, started, await call(), n)
                    with _actions_of(sdk) as actions:
                        started = time.perf_counter()
                        timed(again, started, await call(), 0)
                    notes[again] = f"{len(actions)} calls, all {set(actions) or '-'}; nothing moved"

                _write_big(big, cfg.transfer_bytes)
                gc.collect()
                started = time.perf_counter()
                result, lag = await _lag_beside(sdk.context.upload_file(cid, "/big.bin", big))
                _check(result.success, result)
                lags[f"ticker beside a {cfg.transfer_bytes // MIB} MiB upload_file"] = lag
                gc.collect()
                result, lag = await _lag_beside(sdk.context.upload_folder(cid, tree, "/lag"))
                _check(result.success and len(result.transferred) == n, result.failed)
                lags[f"ticker beside upload_folder of {n} files"] = lag
                # The machine's own noise: the ticker alone, as long as both uploads took; beside
                # raw aiohttp sending the same file; and beside raw aiohttp sending a sparse file
                # just made, whose first read has the kernel fill pages with zeros.
                _, lags[ALONE] = await _lag_beside(asyncio.sleep(time.perf_counter() - started))
                with open(sparse, "wb") as file:
                    file.truncate(cfg.transfer_bytes)
                for name, path in ((RAW_PUT, big), (RAW_SPARSE, sparse)):
                    url = (await sdk.context.get_file_upload_url(cid, "/raw.bin")).url
                    gc.collect()
                    status, lags[name] = await _lag_beside(_raw_put(url, path))
                    _check(status == 200, f"{name}: HTTP {status}")
            finally:
                await sdk.aclose()

        asyncio.run(run_async())
        with AgentBay(API_KEY, _config(endpoint)) as sync_sdk:
            cid = sync_sdk.context.get(name="bench-f", create=True).context_id
            started = time.perf_counter()
            timed(sync_up, started, sync_sdk.context.upload_folder(cid, tree, "/sync"), n)
            started = time.perf_counter()
            result = sync_sdk.context.download_folder(cid, "/sync", Path(tmp) / "sync")
            timed(sync_down, started, result, n)

    label = f"F {n} files"
    rate = {
        name: f"{n / times[name]:.0f} files/s, {total / MIB / times[name]:.1f} MiB/s"
        for name in (seq_up, seq_down, up, down, sync_up, sync_down)
    }
    goal = (">=", 8.0)
    for base, fast, threaded in ((seq_up, up, sync_up), (seq_down, down, sync_down)):
        cands = [Cand(base), Cand(fast, goal), Cand(threaded, goal, "against the async loop")]
        part = {name: times[name] for name in (base, fast, threaded)}
        fmt = lambda seconds: f"{seconds:.2f} s"  # noqa: E731
        _rows(
            table,
            label,
            cands,
            part,
            fmt,
            notes={**rate, threaded: rate[threaded] + "; against the async loop"},
        )
        again = f"{fast}, again"
        ratio = times[again] / times[fast]
        table.add(Row(label, again, times[again], _ms(times[again]), ratio, "", notes[again]))
    for name, lag in lags.items():
        note = f"longest loop step {lag.step * 1000:.1f} ms of CPU"
        goal_text = ""
        if name in (ALONE, RAW_PUT, RAW_SPARSE):
            note += "; the machine's own noise" + ("" if name == ALONE else ", no SDK")
        else:
            goal_text = f"<=25 ms {'ok' if lag.wait <= LAG_BUDGET else 'MISS'}"
        ratio = lag.wait / LAG_BUDGET
        table.add(Row("F lag", name, lag.wait, _ms(lag.wait), ratio, goal_text, note))


# ======================================================================================
# L: folders at scale
# ======================================================================================

SCALE_OPS = (
    ("up", "upload_folder"),
    ("again", "upload_folder, unchanged"),
    ("down", "download_folder"),
)


def _write_scale_tree(root: Path, files: int, deep: bool) -> None:
    """``files`` files of 100 bytes: all in ``root`` (flat), or 100 a folder, the folders
    numbered in base 10 one digit a level (``1/2/f12345.txt``), ten folders a folder (deep)."""
    width = len(str(max(0, (files - 1) // 100)))
    data = b"x" * 100
    for index in range(files):
        folder = "/".join(f"{index // 100:0{width}d}") if deep else ""
        path = root / folder / f"f{index:06d}.txt"
        if index % 100 == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _scale_calls(endpoint: str, calls: list[tuple[str, Path, str]]) -> list[dict[str, float]]:
    """The numbers of ``calls`` (``(op, local, remote)``), all in one client process."""
    code = "import sys; from benchmarks.lag import scale_child; scale_child(*sys.argv[1:])"
    args = [str(part) for call in calls for part in call]
    out = subprocess.run(
        [sys.executable, "-c", code, endpoint, *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return [dict(json.loads(line)) for line in out.stdout.strip().splitlines()[-len(calls) :]]


def scenario_scale(table: Table, cfg: Settings) -> None:
    """L: folder transfers at two sizes, flat and deep, per file and per call."""
    small, large = cfg.scale_files
    measured: dict[tuple[str, int, str], dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="agentbay-bench-l-") as tmp, running_emulator() as url:
        for shape in cfg.scale_shapes:
            for size in (small, large):
                tree = Path(tmp) / f"{shape}-{size}"
                _write_scale_tree(tree, size, shape == "deep")
                remote, copy = f"/{shape}-{size}", Path(tmp) / f"{shape}-{size}-copy"
                calls = [(op, copy if op == "down" else tree, remote) for op, _ in SCALE_OPS]
                if cfg.quick:  # one client process for the three calls: quicker, RSS rough
                    results = _scale_calls(url, calls)
                else:  # a process per call: each its own peak RSS
                    results = [_scale_calls(url, [call])[0] for call in calls]
                for (op, _, _), numbers in zip(calls, results, strict=True):
                    measured[shape, size, op] = numbers
                    print(f"    L {shape} {size} {op}: {numbers}", file=sys.stderr)
                shutil.rmtree(tree)
                shutil.rmtree(Path(tmp) / f"{shape}-{size}-copy")
    label = f"L {large:,}/{small:,}"
    for shape in cfg.scale_shapes:
        for op, name in SCALE_OPS:
            low, high = measured[shape, small, op], measured[shape, large, op]
            per_low, per_high = low["seconds"] / small, high["seconds"] / large
            ratio = per_high / per_low
            first = max(low["first"], high["first"])
            wait = max(low["wait"], high["wait"])
            step = max(low["step"], high["step"])
            collection = max(low["gc"], high["gc"])
            note = (
                f"{per_low * 1e3:.2f} -> {per_high * 1e3:.2f} ms/file; first report "
                f"{first * 1e3:.0f} ms ({'ok' if first <= 1.0 else 'MISS'} <=1 s); ticker "
                f"{wait * 1e3:.0f} ms ({'ok' if wait <= LAG_BUDGET else 'MISS'} <=25 ms; "
                f"longest loop step {step * 1e3:.1f} ms of CPU, longest garbage collection "
                f"{collection * 1e3:.1f} ms); peak RSS "
                f"+{low['rss'] / MIB:.1f} -> +{high['rss'] / MIB:.1f} MiB, of which the "
                f"result's lists of paths +{low['result'] / MIB:.1f} -> "
                f"+{high['result'] / MIB:.1f} MiB"
            )
            row = Row(label, f"{shape} {name}", per_high, _ms(per_high) + "/file", ratio)
            row.goal, row.note = _goal(ratio, "<=", 1.3), note
            table.add(row)


# ======================================================================================
# I: imports
# ======================================================================================

IMPORT_PROBE = """
import sys, time
t0 = time.perf_counter()
{stmt}
t1 = time.perf_counter()
with open("/proc/self/status") as f:
    rss = [line for line in f if line.startswith("VmRSS:")][0].split()[1]
loaded = [m for m in ("httpx", "aiohttp", "urllib3") if m in sys.modules]
print(t1 - t0, int(rss) * 1024, ",".join(loaded) or "-")
"""
_CLIENT = "agentbay.{}('k', agentbay.Config(endpoint='http://127.0.0.1:9', timeout_ms=1000))"
IMPORTS: list[tuple[str, str, bool]] = [  # name, statement, goal applies
    ("python -c pass (interpreter only)", "pass", False),
    ("import httpx, attrs", "import httpx, attrs", False),
    ("import aiohttp", "import aiohttp", False),
    ("import agentbay", "import agentbay", True),
    ("import agentbay; AgentBay(...)", "import agentbay; " + _CLIENT.format("AgentBay"), False),
    (
        "import agentbay; AsyncAgentBay(...)",
        "import agentbay; " + _CLIENT.format("AsyncAgentBay"),
        False,
    ),
]
OFFICIAL_IMPORT = "official wuying-agentbay-sdk: import agentbay"


def measure_import(stmt: str, runs: int, python: str = sys.executable) -> tuple[float, int, str]:
    """Best time and RSS of ``stmt`` in ``runs`` fresh interpreters, after an untimed one, and
    what it loaded. Python may write bytecode (``PYTHONDONTWRITEBYTECODE`` is dropped): an
    installed package has its ``.pyc`` files, and an editable one must not pay for compiling."""
    official = python != sys.executable
    env = _official_env() if official else dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    best_t, best_rss, loaded = math.inf, 1 << 62, ""
    for run in range(runs + 1):
        with tempfile.TemporaryDirectory() as cwd:
            proc = subprocess.run(
                [python, "-c", IMPORT_PROBE.format(stmt=stmt)],
                capture_output=True,
                text=True,
                cwd=cwd if official else ROOT,
                env=env,
                check=False,
            )
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]
            raise RuntimeError(last[:80])
        seconds, rss, loaded = proc.stdout.split()
        if run:
            best_t, best_rss = min(best_t, float(seconds)), min(best_rss, int(rss))
    return best_t, best_rss, loaded


def scenario_imports(table: Table, cfg: Settings) -> None:
    """I: import time and RSS in fresh interpreters, best of N."""
    results: dict[str, float] = {}
    notes: dict[str, str] = {}
    cands: list[Cand] = []
    memory: dict[str, int] = {}
    jobs = [(name, stmt, sys.executable) for name, stmt, _ in IMPORTS]
    official = _official_python()
    if official is not None:
        jobs.append((OFFICIAL_IMPORT, "import agentbay", official))
    for name, stmt, python in jobs:
        try:
            seconds, rss, loaded = measure_import(stmt, cfg.import_runs, python)
        except Exception as exc:
            results[name] = _record_failure(name, exc)
            continue
        results[name], memory[name] = seconds, rss
        notes[name] = f"RSS {rss / MIB:.1f} MB; loads {loaded}"
    for name, _, with_goal in IMPORTS:
        cands.append(Cand(name, ("<=", 1.5) if with_goal else None))
    cands.insert(0, cands.pop(1))  # the baseline first
    cands.append(_official_cand(OFFICIAL_IMPORT))
    if OFFICIAL_IMPORT in notes:
        notes[OFFICIAL_IMPORT] += f"; {OFFICIAL_NOTE.split(';')[0]}"
    else:
        notes[OFFICIAL_IMPORT] = cands[-1].note
    _rows(table, "I", cands, results, _ms, cost=True, notes=notes)
    for row in table.rows:
        if row.scenario == "I" and row.goal.startswith("<="):
            within = memory.get(row.candidate, 0) <= 35 * MIB
            row.goal += ", <=35 MB " + ("ok" if within else "MISS")


# ======================================================================================
# G: agentbay:// through fsspec
# ======================================================================================


def _fsspec_missing() -> str | None:
    """The first of fsspec, pandas, pyarrow that is not installed (None when all are)."""
    import importlib.util

    return next(
        (m for m in ("fsspec", "pandas", "pyarrow") if not importlib.util.find_spec(m)), None
    )


def scenario_fsspec(table: Table, cfg: Settings) -> None:
    """G: pd.read_parquet over agentbay://, fs.cat of many small files, fs.find's pages."""
    missing = _fsspec_missing()
    names = ["download_file + local pd.read_parquet", "pd.read_parquet(agentbay://)"]
    names += ["sequential download_file loop, per file", "fs.cat of many files, per file"]
    names += ["fs.find, 1/10 of the files, per page", "fs.find, all the files, per page"]
    if missing is not None:
        for name in names:
            table.add(Row("G", name, None, NOT_INSTALLED, note=f"needs {missing}"))
        return
    import numpy as np
    import pandas as pd

    from agentbay.fsspec import AgentBayFileSystem

    def filesystem(endpoint: str) -> Any:
        return AgentBayFileSystem(
            api_key=API_KEY, endpoint=endpoint, timeout_ms=TIMEOUT_MS, skip_instance_cache=True
        )

    # ---- parquet: 256 MiB of incompressible numbers, uncompressed
    size = (4 if cfg.quick else 256) * MIB
    results: dict[str, float] = {}
    with running_emulator() as endpoint, tempfile.TemporaryDirectory() as tmp:
        source, local = os.path.join(tmp, "big.parquet"), os.path.join(tmp, "copy.parquet")
        rows = size // 32
        rng = np.random.default_rng(7)
        frame = pd.DataFrame({f"c{i}": rng.integers(0, 2**62, rows) for i in range(4)})
        frame.to_parquet(source, compression=None)
        fs = filesystem(endpoint)
        fs.mkdir("bench-g")
        fs.put_file(source, "bench-g/big.parquet")
        options = {"api_key": API_KEY, "endpoint": endpoint, "timeout_ms": TIMEOUT_MS}
        sdk = AgentBay(API_KEY, _config(endpoint))
        cid = sdk.context.get(name="bench-g").context_id

        def via_download() -> int:
            _check(sdk.context.download_file(cid, "/big.parquet", local).success, "download")
            return len(pd.read_parquet(local))

        def via_fsspec() -> int:
            return len(pd.read_parquet("agentbay://bench-g/big.parquet", storage_options=options))

        measures = {names[0]: via_download, names[1]: via_fsspec}
        for name, measure in measures.items():
            _check(measure() == rows, name)

        def timed(name: str) -> float:
            started = time.perf_counter()
            measures[name]()
            return time.perf_counter() - started

        results = _best(names[:2], cfg.repeat, timed)
        sdk.close()
    mb = size / MIB
    note = f"{mb:.0f} MiB, {rows:,} rows x 4 int64 columns, uncompressed"
    cands = [Cand(names[0], note=note), Cand(names[1], (">=", 0.9), note=note)]
    _rows(table, "G", cands, results, lambda t: f"{mb / t:.0f} MiB/s")

    # ---- cat and find, every call and transfer 20 ms away
    files = 40 if cfg.quick else 1000
    loop_files = 10 if cfg.quick else 50
    with running_emulator(FOLDER_FAULTS) as endpoint:
        fs = filesystem(endpoint)
        fs.mkdir("bench-g")
        paths = [f"bench-g/small/{i:04}.bin" for i in range(files)]
        fs.pipe({path: os.urandom(1024) for path in paths})
        sdk = AgentBay(API_KEY, _config(endpoint))
        cid = sdk.context.get(name="bench-g").context_id

        def sequential() -> float:
            started = time.perf_counter()
            for path in paths[:loop_files]:
                sink = io.BytesIO()
                _check(sdk.context.download_file(cid, path[len("bench-g") :], sink).success, path)
            return (time.perf_counter() - started) / loop_files

        def concurrent() -> float:
            started = time.perf_counter()
            got = fs.cat(paths)
            elapsed = time.perf_counter() - started
            _check(len(got) == files and all(len(v) == 1024 for v in got.values()), "cat")
            return elapsed / files

        per_file = {names[2]: sequential, names[3]: concurrent}
        results = _best(names[2:4], cfg.repeat, lambda name: per_file[name]())
        note = f"{files:,} files of 1 KiB (the loop: {loop_files})"
        cands = [Cand(names[2], note=note), Cand(names[3], (">=", 8.0), note=note)]
        _rows(table, "G", cands, results, _ms)

        # find: 100 files a folder, so every listing page holds the same 100 entries
        total = 200 if cfg.quick else 10_000
        small = total // 10
        fs.pipe({f"bench-g/tree/d{i // 100:03}/{i:05}": b"" for i in range(total)})
        fs.pipe({f"bench-g/part/d{i // 100:03}/{i:05}": b"" for i in range(small)})
        pages = {names[4]: 1 + math.ceil(small / 100), names[5]: 1 + math.ceil(total / 100)}
        roots = {names[4]: "bench-g/part", names[5]: "bench-g/tree"}
        counts = {names[4]: small, names[5]: total}

        def find(name: str) -> float:
            fs.invalidate_cache()
            started = time.perf_counter()
            found = fs.find(roots[name])
            elapsed = time.perf_counter() - started
            _check(len(found) == counts[name], f"find found {len(found)}")
            return elapsed / pages[name]

        results = _best(names[4:6], cfg.repeat, find)
        sdk.close()
    notes = {name: f"{counts[name]:,} files, {pages[name]} pages" for name in names[4:6]}
    cands = [Cand(names[4]), Cand(names[5], ("<=", 1.25))]
    _rows(table, "G", cands, results, _ms, cost=True, notes=notes)


# ======================================================================================
# main
# ======================================================================================


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def machine() -> str:
    """CPU, cores, Python and library versions, for the table's header."""
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    libs = ["agentbay-contexts", "aiohttp", "urllib3", "httpx", "attrs", "uvloop", "httpx2"]
    versions = ", ".join(f"{lib} {_version(lib)}" for lib in libs)
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({sys.implementation.name}); {versions}"
    )


SCENARIOS = ("A", "B", "C", "D", "E", "F", "G", "H", "I", "K", "L")


def main(argv: Sequence[str] | None = None) -> int:
    args_given = list(sys.argv[1:] if argv is None else argv)
    if args_given[:1] == ["--fleet-worker"]:
        return fleet_worker_main(args_given[1:])
    parser = argparse.ArgumentParser(description="The SDK's benchmark table.")
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI (< 90 s)")
    parser.add_argument("--repeat", type=int, default=None, help="timed rounds (best of N)")
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help="comma list of A-I,K,L (A includes A0)"
    )
    parser.add_argument("--scale-files", type=int, default=None, help="the large size of L (50000)")
    parser.add_argument(
        "--scale-shapes", default=None, help="the tree shapes of L, comma list (flat,deep)"
    )
    parser.add_argument("--transfer-mib", type=int, default=None, help="size of D (1024)")
    parser.add_argument("--json", dest="json_path", default=None, help="also write rows here")
    args = parser.parse_args(argv)

    cfg = Settings(quick=args.quick, repeat=args.repeat or (1 if args.quick else 3))
    if args.quick:
        cfg.seq_calls = 200
        cfg.transfer_bytes = 8 * MIB
        cfg.emulator_calls = 300
        cfg.import_runs = 2
        cfg.folder_files = 40
        cfg.folder_dirs = 4
        cfg.listing_files = 5000
        cfg.fleet_calls = 400
        cfg.scale_files = (20, 100)
    if args.transfer_mib is not None:
        cfg.transfer_bytes = args.transfer_mib * MIB
    if args.scale_files is not None:
        cfg.scale_files = (cfg.scale_files[0], args.scale_files)
    if args.scale_shapes is not None:
        shapes = tuple(shape.strip() for shape in args.scale_shapes.split(",") if shape.strip())
        if not shapes or set(shapes) - {"flat", "deep"}:
            parser.error(f"--scale-shapes takes flat and/or deep, got {args.scale_shapes!r}")
        cfg.scale_shapes = shapes
    wanted = {s.strip().upper() for s in args.only.split(",") if s.strip()}
    if wanted - set(SCENARIOS):
        parser.error(f"unknown scenarios: {sorted(wanted - set(SCENARIOS))}")

    table = Table()
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    header = machine()
    print(header, file=sys.stderr)
    server_line = ""
    if wanted & {"A", "B", "C"}:
        with running_server((cfg.latency_ms, 0.0)) as server:
            server_line = f"fixed-latency server: benchmarks.servers on {server.loop}"
            print(server_line, file=sys.stderr)
            if "A" in wanted:
                scenario_async(table, cfg, server)
            if "B" in wanted:
                scenario_sync_sequential(table, cfg, server)
            if "C" in wanted:
                scenario_threads(table, cfg, server)
    if wanted & {"D", "E"}:
        with running_emulator() as endpoint:
            if "E" in wanted:
                scenario_emulator(table, cfg, endpoint)
            if "D" in wanted:
                scenario_transfers(table, cfg, endpoint)
    if "F" in wanted:
        with running_emulator(FOLDER_FAULTS) as endpoint:
            scenario_folders(table, cfg, endpoint)
    if "K" in wanted:
        scenario_listing(table, cfg)
    if "L" in wanted:
        scenario_scale(table, cfg)
    if "G" in wanted:
        scenario_fsspec(table, cfg)
    if "H" in wanted:
        scenario_fleet(table, cfg)
    if "I" in wanted:
        scenario_imports(table, cfg)

    print(header)
    if server_line:
        print(server_line + " (separate process); emulator: separate process")
    print(table.render())
    goals = table.goals()
    if goals:
        print("\ngoals:\n" + goals)
    busy = "; other processes were busy, numbers may be noisy" if load_start > 0.5 else ""
    print(
        f"\n(total {time.perf_counter() - started:.1f} s, repeat {cfg.repeat}; 1-min load "
        f"average before the run {load_start:.2f}{busy})"
    )
    if args.json_path:
        with open(args.json_path, "w") as f:
            json.dump([asdict(r) for r in table.rows], f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
