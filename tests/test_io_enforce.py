"""``_async/_io.enforce``: a deadline is armed for the block it guards, and only for that block."""

from __future__ import annotations

from agentbay._async import _io
from agentbay._transports.timing import Deadline


async def test_progress_after_the_block_leaves_the_ended_block_alone() -> None:
    deadline = Deadline(total=None, stall=5.0)
    async with _io.enforce(deadline):
        deadline.progressed()  # inside: moves the block's cancellation
    deadline.progressed()  # a Deadline outlives its block: this must reach nothing
