"""The sync flavour's worker pool (agentbay._sync._io.map_bounded): as many calls at once as asked
for, and the caller's ``tick`` running while they do (progress reaches the caller's thread)."""

from __future__ import annotations

import threading
import time

from agentbay._sync._io import map_bounded


def test_as_many_calls_run_at_once_as_asked_for() -> None:
    barrier = threading.Barrier(40, timeout=10)  # passes only with 40 calls running together

    def meet(item: int) -> int:
        barrier.wait()
        return item * 2

    assert map_bounded(meet, range(40), 40) == [item * 2 for item in range(40)]


def test_tick_runs_in_the_callers_thread_while_a_call_runs() -> None:
    ticks: list[threading.Thread] = []
    map_bounded(time.sleep, [1.0], 4, tick=lambda: ticks.append(threading.current_thread()))
    assert len(ticks) >= 3  # every 0.1 s, not only once the call has ended
    assert set(ticks) == {threading.current_thread()}
