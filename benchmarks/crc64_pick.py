"""How the CRC-64/XZ implementation was picked: throughput, GIL release and import time.

    python -m benchmarks.crc64_pick              # every candidate importable here
    python -m benchmarks.crc64_pick --only fastcrc

The candidates are measured where they are installed: ``crcmod-plus`` installs a module named
``crcmod``, the same name as ``crcmod``'s, so each candidate is best measured in a virtualenv
of its own (``python -m venv /tmp/v-anycrc && /tmp/v-anycrc/bin/pip install anycrc``, then run
this file with that interpreter from the checkout's root). docs/benchmarks.md keeps the figures.

For each candidate:

* the check value (``b"123456789"`` -> ``0x995DC9BBDF1939FA``) and chunked updates equal to one
  call over the whole (the incremental API continues from the previous value);
* throughput over 64 MiB in 1 MiB chunks (best of 7);
* the GIL: the longest the main thread waits while another thread CRCs 256 MiB in one call
  (close to the call's duration: the GIL is held; far below it: released);
* import time: the best of 5 fresh interpreters' ``-X importtime`` cumulative figure.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence

MiB = 1 << 20
CHECK = 0x995DC9BBDF1939FA
# (name, the import statement measured, a factory of step(data, previous) -> value, start value)
Step = Callable[[bytes | memoryview, int | None], int]


def _fastcrc() -> tuple[Step, int | None]:
    from fastcrc import crc64

    return (lambda data, prev: crc64.xz(data, initial=prev)), None


def _anycrc() -> tuple[Step, int | None]:
    import anycrc  # type: ignore[import-not-found]

    model = anycrc.Model("CRC64-XZ")
    return (lambda data, prev: int(model.calc(data, prev))), None


def _crcmod() -> tuple[Step, int | None]:
    import crcmod  # type: ignore[import-not-found]

    # crcmod's initCrc is the register XORed with xorOut: 0 starts CRC-64/XZ's all-ones register.
    fun = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, rev=True, xorOut=(1 << 64) - 1)
    return (lambda data, prev: int(fun(data, prev))), 0


CANDIDATES: dict[str, tuple[str, Callable[[], tuple[Step, int | None]]]] = {
    "fastcrc": ("from fastcrc import crc64", _fastcrc),
    "anycrc": ("import anycrc", _anycrc),
    "crcmod-plus": ("import crcmod", _crcmod),
}


def _run(step: Step, start: int | None, chunks: Sequence[bytes | memoryview]) -> int:
    value = start
    for chunk in chunks:
        value = step(chunk, value)
    assert value is not None
    return value


def _import_us(statement: str) -> int:
    best = 10**9
    for _ in range(5):
        err = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", statement],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        best = min(best, int(err.strip().splitlines()[-1].split("|")[1]))
    return best


def measure(name: str) -> str:
    """One candidate's line of figures."""
    statement, factory = CANDIDATES[name]
    step, start = factory()
    assert _run(step, start, [b"123456789"]) == CHECK
    assert _run(step, start, [b"1234", b"", b"56789"]) == CHECK
    blob = hashlib.shake_256(b"crc64").digest(MiB) * 64
    view = memoryview(blob)
    chunks = [view[i : i + MiB] for i in range(0, len(blob), MiB)]
    assert _run(step, start, chunks) == _run(step, start, [blob])
    best = float("inf")
    for _ in range(7):
        began = time.perf_counter()
        _run(step, start, chunks)
        best = min(best, time.perf_counter() - began)

    big = blob * 4
    began = time.perf_counter()
    _run(step, start, [big])
    one_call = time.perf_counter() - began
    worker = threading.Thread(target=_run, args=(step, start, [big]))
    last = time.perf_counter()
    stall = 0.0
    worker.start()
    while worker.is_alive():
        now = time.perf_counter()
        stall = max(stall, now - last)
        last = now
    worker.join()
    gil = "released" if stall < one_call / 2 else "held"
    return (
        f"{name}: {64 / best:,.0f} MiB/s (64 MiB in 1 MiB chunks, {best * 1000:.1f} ms); "
        f"256 MiB in one call {one_call * 1000:.0f} ms, main thread's longest wait beside it "
        f"{stall * 1000:.1f} ms (GIL {gil}); import {_import_us(statement) / 1000:.1f} ms"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Measure every candidate importable here (or those named with ``--only``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated candidate names")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(CANDIDATES)
    for name in names:
        try:
            print(measure(name), flush=True)
        except ImportError:
            print(f"{name}: not installed here", flush=True)


if __name__ == "__main__":
    main()
