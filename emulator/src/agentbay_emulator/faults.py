"""Fault injection and quotas for clients' resilience tests.

A spec such as ``throttle=0.1,error=0.05,latency=20ms,seed=7`` makes about 10 % of RPC requests
fail as the POP gateway throttles (HTTP 400 ``Throttling.User``), about 5 % with HTTP 500
``InternalError``, and every RPC request wait 20 ms first. The fault is drawn before the action
runs, so a faulted request changes nothing and retrying it is always safe.

Quotas limit the calls of each account as POP quotas do: ``quota=200`` admits 200 calls per
second per account, ``quota:GetContext=50/2s`` 50 ``GetContext`` calls per 2 s window; the
calls past a window's quota are answered like the throttling fault, with ``x-acs-retry-after``
(milliseconds to the next window) when ``quota_retry_after=1``.

Presigned transfers have faults of their own: ``transfer_error=0.1,transfer_cut=0.1,
transfer_latency=20ms`` answers about 10 % of them 503 ``ServiceUnavailable``, cuts the
connection of about 10 % part-way, and delays each by 20 ms. They are drawn from a sequence of
their own, so adding them never changes which RPC requests fail under the same seed.

Two faults corrupt bytes, so that clients' CRC-64 checks (``x-oss-hash-crc64ecma``) can be
tested end to end: ``transfer_corrupt=0.1`` inverts one byte of about 10 % of the bodies a GET
serves (the header keeps the stored file's value), ``put_corrupt=0.1`` stores about 10 % of
uploads with one byte inverted (the answer's header is the value of what was stored).
"""

from __future__ import annotations

import enum
import math
import random
import re
import threading
import time
from collections.abc import Callable

import attrs

# What the POP gateway answers when an account exceeds its flow control (HTTP 400).
THROTTLED_STATUS = 400
THROTTLED_CODE = "Throttling.User"
THROTTLED_MESSAGE = "Request was denied due to user flow control."

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)?\s*$")


class Fault(enum.Enum):
    """What happens to one request."""

    NONE = "none"
    THROTTLE = "throttle"
    ERROR = "error"


class TransferFault(enum.Enum):
    """What happens to one presigned transfer."""

    NONE = "none"
    ERROR = "error"
    CUT = "cut"
    CORRUPT = "corrupt"  # a GET's body is served with one byte inverted
    PUT_CORRUPT = "put_corrupt"  # a PUT's body is stored with one byte inverted


def _rate(key: str, value: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        raise ValueError(f"fault {key}: {value!r} is not a number") from None
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"fault {key}: {rate} is not between 0 and 1")
    return rate


def parse_duration(value: str) -> float:
    """Seconds in ``20ms``, ``0.5s`` or a bare number of milliseconds (``20``)."""
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 20ms or 0.5s)")
    number, unit = float(match.group(1)), match.group(2)
    return number if unit == "s" else number / 1000.0


@attrs.frozen
class Quota:
    """At most ``calls`` calls per ``window`` seconds for each account: of ``action``, or of
    every action when ``action`` is empty."""

    calls: int
    window: float = 1.0
    action: str = ""

    @classmethod
    def parse(cls, key: str, value: str) -> Quota:
        """Read ``quota=200`` or ``quota:GetContext=50/2s`` (``key``, ``value``)."""
        action = key.partition(":")[2].strip()
        count, _, window = value.partition("/")
        try:
            calls = int(count)
        except ValueError:
            raise ValueError(f"{key}: {count.strip()!r} is not a whole number of calls") from None
        window = window.strip()
        if not window:
            seconds = 1.0
        elif re.fullmatch(r"\d+(\.\d*)?", window):
            seconds = float(window)  # a bare number of seconds: quota=200/60
        else:
            seconds = parse_duration(window)
        if calls < 1 or seconds <= 0:
            raise ValueError(f"{key}: a quota needs at least 1 call per positive window")
        return cls(calls, seconds, action)


@attrs.frozen
class FaultSpec:
    """Rates of faults (0..1), added latencies in seconds, quotas, and an optional seed.

    ``throttle``, ``error`` and ``latency`` apply to RPC requests, the ``transfer_`` ones to
    presigned transfers; ``quotas`` to each account's RPC calls, answered with
    ``x-acs-retry-after`` when ``quota_retry_after``.
    """

    throttle: float = 0.0
    error: float = 0.0
    latency: float = 0.0
    seed: int | None = None
    transfer_error: float = 0.0
    transfer_cut: float = 0.0
    transfer_latency: float = 0.0
    quotas: tuple[Quota, ...] = ()
    quota_retry_after: bool = False
    transfer_corrupt: float = 0.0
    put_corrupt: float = 0.0

    def __attrs_post_init__(self) -> None:
        """Check the rates."""
        rates = (*self._transfer_rates, self.throttle, self.error)
        if not all(0 <= rate <= 1 for rate in rates):
            raise ValueError("fault rates must be between 0 and 1")
        if self.throttle + self.error > 1:
            raise ValueError("throttle + error must not exceed 1")
        if self.transfer_error + self.transfer_cut > 1:
            raise ValueError("transfer_error + transfer_cut must not exceed 1")
        # One draw per transfer: error, cut, then a corruption of the transfer's kind.
        for corrupt in ("transfer_corrupt", "put_corrupt"):
            if self.transfer_error + self.transfer_cut + getattr(self, corrupt) > 1:
                raise ValueError(f"transfer_error + transfer_cut + {corrupt} must not exceed 1")
        if self.latency < 0 or self.transfer_latency < 0:
            raise ValueError("latency must not be negative")

    @classmethod
    def parse(cls, spec: str) -> FaultSpec:
        """Read ``throttle=0.1,error=0.05,latency=20ms,seed=1`` (any subset, any order).

        The transfer faults read the same way: ``transfer_error=0.1,transfer_cut=0.05,
        transfer_latency=20ms,transfer_corrupt=0.1,put_corrupt=0.1``; quotas as
        ``quota=200,quota:GetContext=50/2s,quota_retry_after=1``.
        """
        names = ["throttle", "error", "transfer_error", "transfer_cut"]
        rates = dict.fromkeys([*names, "transfer_corrupt", "put_corrupt"], 0.0)
        latencies = {"latency": 0.0, "transfer_latency": 0.0}
        seed: int | None = None
        quotas: list[Quota] = []
        retry_after = False
        for item in spec.split(","):
            if not item.strip():
                continue
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"fault spec item {item!r} is not key=value")
            if key.strip().lower().startswith("quota:") or key.strip().lower() == "quota":
                quotas.append(Quota.parse(key.strip(), value))
                continue
            key = key.strip().lower()
            if key == "quota_retry_after":
                if value.strip().lower() not in ("0", "1", "true", "false"):
                    raise ValueError(f"quota_retry_after: {value!r} is not 0 or 1")
                retry_after = value.strip().lower() in ("1", "true")
            elif key in rates:
                rates[key] = _rate(key, value.strip())
            elif key in latencies:
                latencies[key] = parse_duration(value)
            elif key == "seed":
                try:
                    seed = int(value)
                except ValueError:
                    raise ValueError(f"fault seed: {value!r} is not an integer") from None
            else:
                known = ", ".join([*rates, *latencies, "seed", "quota", "quota:<Action>"])
                raise ValueError(f"unknown fault {key!r} (known: {known})")
        return cls(
            **rates, **latencies, seed=seed, quotas=tuple(quotas), quota_retry_after=retry_after
        )

    @property
    def _transfer_rates(self) -> tuple[float, ...]:
        return (self.transfer_error, self.transfer_cut, self.transfer_corrupt, self.put_corrupt)

    @property
    def active(self) -> bool:
        """Whether this spec injects anything at all."""
        rates = (self.throttle, self.error, *self._transfer_rates)
        return any(rates) or self.latency > 0 or self.transfer_latency > 0 or bool(self.quotas)


class FaultInjector:
    """Draws the fault of each request from a spec; thread-safe and reproducible with a seed."""

    def __init__(self, spec: FaultSpec, clock: Callable[[], float] = time.monotonic) -> None:
        """Use ``spec``; its seed (if any) fixes the sequence of draws."""
        self.spec = spec
        self._clock = clock
        # (account, quota) -> (window number, calls admitted in it)
        self._used: dict[tuple[str, Quota], tuple[int, int]] = {}
        self._random = random.Random(spec.seed)
        # Transfers draw from a sequence of their own, so RPC faults stay as the seed made them.
        self._transfer_random = random.Random(
            None if spec.seed is None else f"transfer-{spec.seed}"
        )
        # Which byte a corruption inverts: a third sequence, so corrupting changes no later draw.
        self._offset_random = random.Random(None if spec.seed is None else f"offset-{spec.seed}")
        self._lock = threading.Lock()

    def draw(self) -> Fault:
        """The fault of the next request."""
        if not (self.spec.throttle or self.spec.error):
            return Fault.NONE
        with self._lock:
            value = self._random.random()
        if value < self.spec.throttle:
            return Fault.THROTTLE
        if value < self.spec.throttle + self.spec.error:
            return Fault.ERROR
        return Fault.NONE

    def draw_transfer(self, method: str = "GET") -> TransferFault:
        """The fault of the next presigned transfer (``method``: its ``PUT``, ``GET``, ``HEAD``).

        One draw per transfer, whatever its method, so a seed's sequence of errors and cuts is
        the same with or without the corruptions (which only a GET or a PUT can have).
        """
        spec = self.spec
        if not any(spec._transfer_rates):
            return TransferFault.NONE
        with self._lock:
            value = self._transfer_random.random()
        if value < spec.transfer_error:
            return TransferFault.ERROR
        value -= spec.transfer_error
        if value < spec.transfer_cut:
            return TransferFault.CUT
        value -= spec.transfer_cut
        if method == "GET" and value < spec.transfer_corrupt:
            return TransferFault.CORRUPT
        if method == "PUT" and value < spec.put_corrupt:
            return TransferFault.PUT_CORRUPT
        return TransferFault.NONE

    def admit(self, account: str, action: str) -> float | None:
        """Count a call of ``account`` to ``action`` against the quotas: None when admitted,
        else the seconds until the window that refused it ends (the call is not counted)."""
        quotas = [q for q in self.spec.quotas if q.action in ("", action)]
        if not quotas:
            return None
        with self._lock:
            now = self._clock()
            counts = []
            for quota in quotas:
                window = math.floor(now / quota.window)
                seen, used = self._used.get((account, quota), (window, 0))
                used = used if seen == window else 0
                if used >= quota.calls:
                    return (window + 1) * quota.window - now
                counts.append((quota, window, used))
            for quota, window, used in counts:
                self._used[(account, quota)] = (window, used + 1)
        return None

    def corrupt_offset(self, length: int) -> int:
        """Which of ``length`` (> 0) bytes a corrupted transfer inverts."""
        with self._lock:
            return self._offset_random.randrange(length)
