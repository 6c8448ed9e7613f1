"""Fault injection for clients' resilience tests.

A spec such as ``throttle=0.1,error=0.05,latency=20ms,seed=7`` makes about 10 % of RPC requests
fail with HTTP 503 ``Throttling``, about 5 % with HTTP 500 ``InternalError``, and every RPC
request wait 20 ms first. The fault is drawn before the action runs, so a faulted request
changes nothing and retrying it is always safe. Presigned file transfers are never faulted.
"""

from __future__ import annotations

import enum
import random
import re
import threading

import attrs

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)?\s*$")


class Fault(enum.Enum):
    """What happens to one request."""

    NONE = "none"
    THROTTLE = "throttle"
    ERROR = "error"


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
class FaultSpec:
    """Rates of throttling and errors (0..1), added latency in seconds, and an optional seed."""

    throttle: float = 0.0
    error: float = 0.0
    latency: float = 0.0
    seed: int | None = None

    def __attrs_post_init__(self) -> None:
        """Check the rates."""
        if not (0 <= self.throttle <= 1 and 0 <= self.error <= 1):
            raise ValueError("fault rates must be between 0 and 1")
        if self.throttle + self.error > 1:
            raise ValueError("throttle + error must not exceed 1")
        if self.latency < 0:
            raise ValueError("latency must not be negative")

    @classmethod
    def parse(cls, spec: str) -> FaultSpec:
        """Read ``throttle=0.1,error=0.05,latency=20ms,seed=1`` (any subset, any order)."""
        rates = {"throttle": 0.0, "error": 0.0}
        latency = 0.0
        seed: int | None = None
        for item in spec.split(","):
            if not item.strip():
                continue
            key, sep, value = item.partition("=")
            key = key.strip().lower()
            if not sep:
                raise ValueError(f"fault spec item {item!r} is not key=value")
            if key in rates:
                rates[key] = _rate(key, value.strip())
            elif key == "latency":
                latency = parse_duration(value)
            elif key == "seed":
                try:
                    seed = int(value)
                except ValueError:
                    raise ValueError(f"fault seed: {value!r} is not an integer") from None
            else:
                raise ValueError(f"unknown fault {key!r} (known: throttle, error, latency, seed)")
        return cls(throttle=rates["throttle"], error=rates["error"], latency=latency, seed=seed)

    @property
    def active(self) -> bool:
        """Whether this spec injects anything at all."""
        return bool(self.throttle or self.error or self.latency)


class FaultInjector:
    """Draws the fault of each request from a spec; thread-safe and reproducible with a seed."""

    def __init__(self, spec: FaultSpec) -> None:
        """Use ``spec``; its seed (if any) fixes the sequence of draws."""
        self.spec = spec
        self._random = random.Random(spec.seed)
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
