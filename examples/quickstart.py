"""Quickstart: a context's whole life, against a local emulator this script starts itself.

    python -m pip install '.[emulator]' && python examples/quickstart.py

Set AGENTBAY_ENDPOINT and AGENTBAY_API_KEY to run it against another server instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Iterator

from agentbay import AgentBay, Config


@contextlib.contextmanager
def endpoint() -> Iterator[str]:
    """AGENTBAY_ENDPOINT if set, else a fresh emulator on a free port (clearing takes 0.5 s)."""
    if os.environ.get("AGENTBAY_ENDPOINT"):
        yield os.environ["AGENTBAY_ENDPOINT"]
        return
    from agentbay.emulator import running

    with running(clear_delay=0.5) as url:
        print(f"Started an AgentBay emulator at {url}")
        yield url


def main() -> None:
    """Create, upload, list, download, rename, clear and delete, printing each step."""
    payload = b"Hello from the quickstart!\n" * 1000
    with endpoint() as url:
        api_key = os.environ.get("AGENTBAY_API_KEY", "quickstart-key")
        with AgentBay(api_key, Config(endpoint=url, timeout_ms=10_000)) as agent_bay:
            created = agent_bay.context.create("quickstart")
            assert created.success and created.context, created.error_message
            context = created.context
            print(f"1. created context {context.name!r} ({context.id}) at {context.created_at}")

            upload = agent_bay.context.get_file_upload_url(context.id, "/notes/hello.txt")
            print(f"2. got a presigned upload URL, valid for {upload.expire_time} s")
            sent = agent_bay.context.upload_file(context.id, "/notes/hello.txt", payload)
            assert sent.success, sent.error_message
            print(f"   uploaded {sent.data} bytes through it")

            for entry in agent_bay.context.iter_files(context.id, "/notes"):
                print(f"3. listed {entry.file_path} ({entry.file_type}, {entry.size} bytes)")

            received = io.BytesIO()
            got = agent_bay.context.download_file(context.id, "/notes/hello.txt", received)
            assert got.success, got.error_message
            same = hashlib.sha256(received.getvalue()).digest() == hashlib.sha256(payload).digest()
            print(f"4. downloaded {got.data} bytes; checksum {'matches' if same else 'DIFFERS'}")
            assert same

            context.name = "quickstart-renamed"
            renamed = agent_bay.context.update(context)
            assert renamed.success, renamed.error_message
            fetched = agent_bay.context.get(context_id=context.id).context
            print(f"5. renamed it to {fetched.name if fetched else None!r}")

            started = agent_bay.context.clear_async(context.id)
            print(f"6. clearing: state is {started.status!r}", end="")
            print(f", then {agent_bay.context.get_clear_status(context.id).status!r}", end="")
            cleared = agent_bay.context.clear(context.id, timeout=30, poll_interval=0.2)
            left = agent_bay.context.list_files(context.id, "/").entries
            print(f", then {cleared.status!r}; {len(left)} files left")

            deleted = agent_bay.context.delete(context)
            assert deleted.success, deleted.error_message
            gone = not agent_bay.context.get(context_id=context.id).success
            print(f"7. deleted it; it is {'gone' if gone else 'STILL THERE'}")
            assert gone


if __name__ == "__main__":
    main()
