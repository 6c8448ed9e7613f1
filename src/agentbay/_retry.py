"""Retry policy: which failures are transient, how long to wait before the next attempt, and
how fast a client sends once the service has throttled it.

Pure (no I/O, no sleeping); shared by both flavours and every transport. The rules, as
docs/reliability.md tells them:

* an answer with a status in :data:`RETRYABLE_STATUSES`, or whose ``Code`` is a throttling
  code (``Throttling``, ``Throttling.<anything>``, ``ServiceUnavailable``) at any status, is
  retried, at most ``Config.max_retries`` times;
* the wait is the server's: ``x-acs-retry-after`` (milliseconds, the POP gateway's) or
  ``Retry-After`` (seconds), at most 60 s; else full jitter, longer after a throttling answer;
* after a first throttling answer, a client paces its own calls with an
  :class:`AdaptiveRate` (a token bucket whose rate follows CUBIC, as boto3's adaptive mode).
"""

from __future__ import annotations

import collections
import math
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._transports.timing import Deadline

# Statuses that mean "not processed, try again later" or a passing fault of a gateway.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Error codes the service sends for "slow down", whatever the HTTP status (the POP gateway
# answers flow control with HTTP 400 ``Throttling.User``); ``Throttling.*`` is matched too.
THROTTLING_CODES = frozenset({"Throttling", "ServiceUnavailable"})
RETRYABLE_CODES = THROTTLING_CODES
MAX_BACKOFF_S = 8.0
MAX_RETRY_AFTER_S = 60.0
# The longest a paced call sleeps before it looks again at its turn (the rate may have changed).
PACE_RECHECK_S = 0.25
# Full-jitter bases: a transient fault is retried soon, a throttling answer later.
BACKOFF_BASE_S = 0.1
THROTTLED_BACKOFF_BASE_S = 0.1


def is_throttling(code: str | None, status: int = 0) -> bool:
    """True when an answer says "slow down": a throttling ``code`` at any status, or HTTP 429.

    >>> is_throttling("Throttling.User"), is_throttling("ThrottlingX"), is_throttling(None, 429)
    (True, False, True)
    """
    if status == 429:
        return True
    if not code:
        return False
    return code in THROTTLING_CODES or code.startswith("Throttling.")


def is_retryable(status: int, code: str | None = None) -> bool:
    """True when an answer with ``status`` (and error ``code``) is worth another attempt."""
    return status in RETRYABLE_STATUSES or is_throttling(code)


def parse_retry_after(value: str | None) -> float | None:
    """A Retry-After header in seconds, clamped to [0, 60]; None when absent or unreadable.

    >>> parse_retry_after("1.5"), parse_retry_after("soon"), parse_retry_after("999")
    (1.5, None, 60.0)
    """
    if value is None:
        return None
    try:
        seconds = float(value)
    except (ValueError, TypeError):
        return None
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def retry_after_header(header: Callable[[str], str | None]) -> str | None:
    """The wait an answer asks for, in seconds as ``Retry-After`` gives it: the POP gateway's
    ``x-acs-retry-after`` (milliseconds) when readable, else ``Retry-After``.

    >>> retry_after_header({"x-acs-retry-after": "1500"}.get)
    '1.5'
    >>> retry_after_header({"x-acs-retry-after": "soon", "retry-after": "2"}.get)
    '2'
    """
    acs = header("x-acs-retry-after")
    if acs is not None:
        try:
            milliseconds = float(acs)
        except ValueError:
            pass
        else:
            if milliseconds == milliseconds:  # not NaN
                return repr(milliseconds / 1000)
    return header("retry-after")


def backoff_delay(attempt: int, retry_after: float | None, throttled: bool = False) -> float:
    """Seconds to wait before retry number ``attempt + 1``: the server's wait, else full
    jitter (on a longer base after a throttling answer)."""
    if retry_after is not None:
        return retry_after
    base = THROTTLED_BACKOFF_BASE_S if throttled else BACKOFF_BASE_S
    return random.uniform(0.0, min(MAX_BACKOFF_S, base * 2**attempt))


class Schedule:
    """When to try again: the one retry schedule of actions and transfers alike.

    At most ``max_retries`` retries, each after :func:`backoff_delay` (Retry-After honoured),
    and none whose wait would end at or past ``deadline``.

    Example::

        schedule = Schedule(max_retries=3, deadline=None)
        while True:
            reply = attempt()
            delay = schedule.next_delay(not reply.ok and reply.retryable, reply.retry_after)
            if delay is None:
                break
            sleep(delay)
    """

    def __init__(self, max_retries: int, deadline: Deadline | None = None) -> None:
        self._max_retries = max_retries
        self._deadline = deadline
        self.attempts = 0  # attempts ended so far

    def next_delay(
        self, retryable: bool, retry_after: float | None, throttled: bool = False
    ) -> float | None:
        """An attempt ended: seconds to wait before the next one, or None when there is to be
        none (it did not fail transiently, the retries are spent, or the wait would reach the
        deadline). A throttling answer backs off on a longer base."""
        self.attempts += 1
        retries = self.attempts - 1
        if not retryable or retries >= self._max_retries:
            return None
        delay = backoff_delay(retries, retry_after, throttled)
        if self._deadline is not None and self._deadline.remaining() <= delay:
            return None
        return delay


class AdaptiveRate:
    """How fast one client may send, learnt from throttling answers; thread-safe, pure.

    Off (no wait, one counter per call) until the first throttling answer. No call is then sent
    for ``HOLD`` seconds (or the server's wait), and from then on calls take numbered turns at
    :attr:`rate` per second: the rate starts at the calls this client got answered from a
    second before the first throttling answer to the end of that hold (its share of a
    one-second quota window), drops to ``BETA`` times itself
    at each later throttling answer and grows back along a CUBIC curve in between, at most
    twice the rate the client really sends. A quota refuses every call until its window ends,
    so after a drop, answers to calls sent within ``HOLD`` seconds (or the server's wait, if
    longer) say nothing new and are ignored; and a server's wait (``x-acs-retry-after``,
    ``Retry-After``) holds every turn until it has passed. A waiting turn is re-timed when the
    rate changes (callers sleep at most :data:`PACE_RECHECK_S` at a time).

    Example::

        turn = rate.take()
        while (wait := rate.delay(turn)) > 0:
            sleep(min(wait, PACE_RECHECK_S))
        ...  # send, then:
        rate.answered(sent_at, admitted=..., throttled=..., retry_after=reply.retry_after)
    """

    BETA = 0.7  # multiplicative decrease
    # CUBIC's C in calls/s per s**3: 2.5 s from a drop back to W_max = 100 calls/s (TCP's
    # C = 0.4, for packets, would take 4.2 s; the same C for every client keeps them fair).
    SCALE = 2.0
    MIN_RATE = 0.5  # calls/s
    HOLD = 1.0  # s after a drop during which throttling answers are not news
    OVERLOAD = 0.2  # the share of throttling answers in the last second that slows down

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.enabled = False
        self.rate = 0.0  # calls/s while enabled
        self._turn_at = (0.0, 0.0)  # (turn, time): the turn that is due at that time
        self._next_turn = 0.0
        self._max_rate = 0.0  # CUBIC's W_max
        self._k = 0.0  # CUBIC's K: seconds from a drop back to W_max
        self._dropped_at = 0.0
        self._hold_until = -math.inf
        self._calibrating_until: float | None = None
        self._first_throttle = 0.0
        self._answered: collections.deque[float] = collections.deque(maxlen=100_000)
        self._recent: collections.deque[tuple[float, bool, bool]] = collections.deque()
        self._recent_admitted = self._recent_throttled = 0

    def _position(self, now: float) -> float:
        turn, at = self._turn_at
        return turn + (now - at) * self.rate

    def _set_rate(self, rate: float, now: float) -> None:
        turn, at = self._turn_at
        self._turn_at = (self._position(now), now) if now > at else (turn, at)
        self.rate = max(rate, self.MIN_RATE)

    def take(self) -> float | None:
        """A turn for one call about to be sent (None, at once, while pacing is off)."""
        if not self.enabled:
            return None
        with self._lock:
            now = self._clock()
            self._calibrated(now)
            turn = max(self._next_turn, self._position(now))
            self._next_turn = turn + 1.0
            return turn

    def delay(self, turn: float | None) -> float:
        """Seconds until ``turn`` is due (0 when it is, or for no turn)."""
        if turn is None:
            return 0.0
        with self._lock:
            now = self._clock()
            self._calibrated(now)
            return max(0.0, (turn - self._position(now)) / self.rate)

    def answered(
        self, sent_at: float, *, admitted: bool, throttled: bool, retry_after: float | None = None
    ) -> None:
        """Learn from the answer to a call sent at ``sent_at`` (a reading of the clock).
        ``admitted``: the service took the call, whatever it answered (a success, or a refusal
        of its own such as NotFound: anything but throttling and answers that are not the
        service's). A client whose calls fail that way still grows back after a drop."""
        with self._lock:
            now = self._clock()
            self._count(now, admitted, throttled)
            if self._calibrating_until is not None:
                self._answered.append(now)
            if throttled:
                self._throttled(now, sent_at, retry_after)
            elif admitted and self.enabled and self._calibrated(now):
                grown = self.SCALE * (now - self._dropped_at - self._k) ** 3 + self._max_rate
                grown = min(grown, 2 * max(len(self._recent), 1))  # answers/s: the rate sent
                self._set_rate(grown, now)

    def _count(self, now: float, admitted: bool, throttled: bool) -> None:
        """Keep the answers of the last second and how many were admitted, or throttled."""
        recent = self._recent
        recent.append((now, admitted, throttled))
        self._recent_admitted += admitted
        self._recent_throttled += throttled
        while recent[0][0] < now - 1.0:
            _, was_admitted, was_throttled = recent.popleft()
            self._recent_admitted -= was_admitted
            self._recent_throttled -= was_throttled

    def _overloaded(self) -> bool:
        """Whether throttling answers were clearly (by one standard error) over ``OVERLOAD``
        of the last second's answers: a quota overrun, which slowing down cures. Fewer look
        like the noise of a service that throttles at random, which it would not cure."""
        answers, throttled = len(self._recent), self._recent_throttled
        if throttled < 5:
            return False
        share = throttled / answers
        return share - math.sqrt(share * (1 - share) / answers) >= self.OVERLOAD

    def _calibrated(self, now: float) -> bool:
        """Whether the first hold has passed; when it just has, set the rate from it."""
        if self._calibrating_until is None:
            return True
        if now < self._calibrating_until:
            return False
        # The calls this client tried in the second before the first throttling answer and
        # during the hold: it may send BETA times as fast (boto3 starts so; counting tries, not
        # successes, gives every client of a fleet the same start, however lucky it was).
        since, self._calibrating_until = self._first_throttle - 1.0, None
        while self._answered and self._answered[0] < since:
            self._answered.popleft()
        span = max(now - (self._answered[0] if self._answered else since), 1e-3)
        self._max_rate = max(len(self._answered) / span, self.MIN_RATE)
        self._grow_from(self._max_rate * self.BETA, now)
        self._answered.clear()
        return True

    def _grow_from(self, rate: float, now: float) -> None:
        """Set the rate to ``rate``, from which it grows back to ``_max_rate`` in ``_k`` s."""
        self._set_rate(rate, now)
        self._k = (max(self._max_rate - self.rate, 0.0) / self.SCALE) ** (1 / 3)
        self._dropped_at = now

    def _throttled(self, now: float, sent_at: float, retry_after: float | None) -> None:
        if not self.enabled and not self._overloaded():
            return
        if not self.enabled:
            # No call is sent for a hold (or the server's wait), when the rate is set from the
            # calls answered meanwhile: their number is this client's share of the quota.
            self.enabled, self._first_throttle = True, now
            self._answered.extend(answer[0] for answer in self._recent)
            self._hold_until = now + max(self.HOLD, retry_after or 0.0)
            self._calibrating_until = self._hold_until
            self.rate = max(float(len(self._recent)), self.MIN_RATE)
            self._turn_at = (self._next_turn, self._hold_until)
            return
        if not self._calibrated(now):
            return
        if sent_at >= self._hold_until and self._overloaded():
            # W_max: the rate that was throttled, or the rate the service admitted in the last
            # second if lower (the client's share of the quota).
            self._max_rate = min(self.rate, max(float(self._recent_admitted), self.MIN_RATE))
            self._grow_from(self._max_rate * self.BETA, now)
            self._hold_until = now + max(self.HOLD, retry_after or 0.0)
        if retry_after:  # no turn before the server's wait has passed
            resume = now + retry_after
            turn, at = self._turn_at
            if resume > at:
                self._turn_at = (self._position(now) if now > at else turn, resume)
