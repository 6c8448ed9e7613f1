"""The ``agentbay`` command line: contexts and their files, on the sync client.

Needs the ``cli`` extra (``pip install 'agentbay-contexts[cli]'``). Example::

    agentbay --endpoint http://127.0.0.1:8765 context create demo
    agentbay file put demo ./report.pdf /docs/report.pdf
    agentbay --json context list
"""

from __future__ import annotations

import json
import os
import posixpath
import sys
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any, TextIO

try:
    import click
except ImportError:  # pragma: no cover - depends on the installed extras
    raise SystemExit(
        "The agentbay command needs click: pip install 'agentbay-contexts[cli]'"
    ) from None
import attrs

from ._config import Config
from ._errors import AgentBayError
from ._models import Context, ContextFileEntry, OperationResult
from ._sync._client import AgentBay
from ._version import __version__

BAR_WIDTH = 30
REDRAW_S = 0.1


class _State:
    """The global options, and the client built from them on first use."""

    def __init__(self, endpoint: str | None, api_key: str, as_json: bool) -> None:
        self.endpoint = endpoint
        self.api_key = api_key
        self.as_json = as_json
        self._agent_bay: AgentBay | None = None

    def agent_bay(self) -> AgentBay:
        """The client, closed when the command ends."""
        if self._agent_bay is None:
            cfg = Config.from_env()
            if self.endpoint:
                cfg = attrs.evolve(cfg, endpoint=self.endpoint)
            self._agent_bay = AgentBay(api_key=self.api_key, cfg=cfg)
            click.get_current_context().call_on_close(self._agent_bay.close)
        return self._agent_bay

    def show(self, payload: Any, text: str, *, err: bool = False) -> None:
        """Print ``payload`` as JSON with ``--json``, else ``text``."""
        click.echo(json.dumps(payload, indent=2) if self.as_json else text, err=err)


def _redact(message: str, state: object) -> str:
    keys = {os.environ.get("AGENTBAY_API_KEY", ""), getattr(state, "api_key", "")}
    for key in filter(None, keys):
        message = message.replace(key, "***")
    return message


class _Group(click.Group):
    """The root group: an :class:`AgentBayError` anywhere becomes one ``Error:`` line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AgentBayError as exc:
            raise click.ClickException(_redact(str(exc), ctx.obj)) from None


def _check(result: OperationResult, doing: str) -> None:
    if not result.success:
        raise AgentBayError(f"{doing}: {result.error_message}")


def _resolve(agent_bay: AgentBay, ref: str) -> Context:
    """The context ``ref`` names: an id when it starts with ``ctx-`` and exists, else a name."""
    result = agent_bay.context.get(context_id=ref) if ref.startswith("ctx-") else None
    if result is None or not result.success:
        result = agent_bay.context.get(name=ref)
    if not result.success or result.context is None:
        raise AgentBayError(f"Cannot find context {ref!r}: {result.error_message}")
    return result.context


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(headers), *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def _fields(context: Context) -> str:
    return "\n".join(
        f"{key + ':':<14}{value or '-'}" for key, value in attrs.asdict(context).items()
    )


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    value, units = count / 1024, ["KiB", "MiB", "GiB", "TiB"]
    while value >= 1024 and len(units) > 1:
        value, units = value / 1024, units[1:]
    return f"{value:.1f} {units[0]}"


class ProgressBar:
    """A one-line transfer progress on ``stream`` (stderr), drawn only on a terminal.

    Example::

        with ProgressBar("put a.bin") as bar:
            agent_bay.context.upload_file(ctx_id, "/a.bin", "a.bin", progress=bar)
    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._enabled = self._stream.isatty()
        self._last: tuple[int, int | None] | None = None
        self._drawn_at = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        """Take a progress report; redraw at most every 0.1 s."""
        self._last = (done, total)
        if self._enabled and time.monotonic() - self._drawn_at >= REDRAW_S:
            self._draw()

    def _draw(self) -> None:
        if self._last is None:
            return
        done, total = self._last
        line = f"{self._label} {_size(done)}"
        if total:
            filled = BAR_WIDTH * done // total
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            line = f"{self._label} [{bar}] {100 * done // total:3d}% {_size(done)}/{_size(total)}"
        self._stream.write("\r" + line)
        self._stream.flush()
        self._drawn_at = time.monotonic()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._enabled and self._last is not None:
            self._draw()
            self._stream.write("\n")


# --------------------------------------------------------------------------- commands


@click.group(cls=_Group)
@click.option(
    "--endpoint",
    metavar="URL",
    help="A host (HTTPS) or a full URL. Default: $AGENTBAY_ENDPOINT, else the cloud service.",
)
@click.option("--api-key", metavar="KEY", default="", help="Default: $AGENTBAY_API_KEY.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")
@click.version_option(__version__, prog_name="agentbay")
@click.pass_context
def cli(ctx: click.Context, endpoint: str | None, api_key: str, as_json: bool) -> None:
    """Manage AgentBay contexts and their files."""
    ctx.obj = _State(endpoint, api_key, as_json)


@cli.group()
def context() -> None:
    """Create, list, rename, clear and delete contexts (NAME: a name or a ctx- id)."""


@context.command("list")
@click.pass_obj
def context_list(state: _State) -> None:
    """List every context."""
    contexts = list(state.agent_bay().context.iter_contexts(page_size=100))
    rows = [(c.id, c.name, c.created_at or "-", c.last_used_at or "-") for c in contexts]
    text = _table(("ID", "NAME", "CREATED", "LAST USED"), rows) if rows else "No contexts."
    state.show([attrs.asdict(c) for c in contexts], text)


@context.command("get")
@click.argument("name")
@click.pass_obj
def context_get(state: _State, name: str) -> None:
    """Show one context."""
    found = _resolve(state.agent_bay(), name)
    state.show(attrs.asdict(found), _fields(found))


@context.command("create")
@click.argument("name")
@click.pass_obj
def context_create(state: _State, name: str) -> None:
    """Create a context named NAME (or show it if it exists)."""
    result = state.agent_bay().context.create(name)
    if not result.success or result.context is None:
        raise AgentBayError(f"Cannot create context {name!r}: {result.error_message}")
    state.show(attrs.asdict(result.context), _fields(result.context))


@context.command("rename")
@click.argument("name")
@click.argument("new_name")
@click.pass_obj
def context_rename(state: _State, name: str, new_name: str) -> None:
    """Rename a context to NEW_NAME."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, name)
    old_name, found.name = found.name, new_name
    _check(agent_bay.context.update(found), f"Cannot rename context {name!r}")
    state.show(attrs.asdict(found), f"Renamed {found.id} from {old_name!r} to {new_name!r}")


@context.command("delete")
@click.argument("name")
@click.pass_obj
def context_delete(state: _State, name: str) -> None:
    """Delete a context and all its files."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, name)
    _check(agent_bay.context.delete(found), f"Cannot delete context {name!r}")
    payload = {"id": found.id, "name": found.name, "deleted": True}
    state.show(payload, f"Deleted {found.id} ({found.name})")


@context.command("clear")
@click.argument("name")
@click.option("--timeout", default=60, show_default=True, help="Seconds to wait for the wipe.")
@click.pass_obj
def context_clear(state: _State, name: str, timeout: int) -> None:
    """Delete every file of a context and wait until it is available again."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, name)
    result = agent_bay.context.clear(found.id, timeout=timeout, poll_interval=0.5)
    payload = {"id": found.id, "name": found.name, "status": result.status}
    state.show(payload, f"Cleared {found.id} ({found.name})")


@cli.group("file")
def file_group() -> None:
    """List, upload, download and delete the files of a context (CONTEXT: a name or an id)."""


@file_group.command("ls")
@click.argument("context_ref", metavar="CONTEXT")
@click.argument("folder", default="/")
@click.pass_obj
def file_ls(state: _State, context_ref: str, folder: str) -> None:
    """List the files and folders directly under FOLDER (default /)."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    entries = list(agent_bay.context.iter_files(found.id, folder, page_size=100))
    text = _table(("TYPE", "SIZE", "MODIFIED", "PATH"), [_file_row(e) for e in entries])
    state.show([attrs.asdict(e) for e in entries], text if entries else "No files.")


def _file_row(entry: ContextFileEntry) -> tuple[str, str, str, str]:
    size = "-" if entry.size is None else str(entry.size)
    return entry.file_type or "-", size, entry.gmt_modified or "-", entry.file_path


@file_group.command("put")
@click.argument("context_ref", metavar="CONTEXT")
@click.argument("local", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("remote")
@click.pass_obj
def file_put(state: _State, context_ref: str, local: str, remote: str) -> None:
    """Upload the file LOCAL ('-' for stdin) to REMOTE."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    source = sys.stdin.buffer if local == "-" else local
    with ProgressBar(f"put {remote}") as bar:
        result = agent_bay.context.upload_file(found.id, remote, source, progress=bar)
    _check(result, f"Cannot upload {local}")
    payload = {"context_id": found.id, "path": remote, "bytes": result.data}
    state.show(payload, f"Uploaded {local} to {found.name}:{remote} ({result.data} bytes)")


@file_group.command("get")
@click.argument("context_ref", metavar="CONTEXT")
@click.argument("remote")
@click.argument("local", type=click.Path(allow_dash=True))
@click.pass_obj
def file_get(state: _State, context_ref: str, remote: str, local: str) -> None:
    """Download REMOTE to the file LOCAL (into it if a folder; '-' for stdout)."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    if os.path.isdir(local):
        local = os.path.join(local, posixpath.basename(remote.rstrip("/")))
    target = sys.stdout.buffer if local == "-" else local
    with ProgressBar(f"get {remote}") as bar:
        result = agent_bay.context.download_file(found.id, remote, target, progress=bar)
    _check(result, f"Cannot download {remote}")
    payload = {"context_id": found.id, "path": remote, "bytes": result.data}
    text = f"Downloaded {found.name}:{remote} to {local} ({result.data} bytes)"
    state.show(payload, text, err=local == "-")


@file_group.command("rm")
@click.argument("context_ref", metavar="CONTEXT")
@click.argument("remote")
@click.pass_obj
def file_rm(state: _State, context_ref: str, remote: str) -> None:
    """Delete the file REMOTE."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    _check(agent_bay.context.delete_file(found.id, remote), f"Cannot delete {remote}")
    payload = {"context_id": found.id, "path": remote, "deleted": True}
    state.show(payload, f"Deleted {found.name}:{remote}")


@file_group.command("url")
@click.argument("context_ref", metavar="CONTEXT")
@click.argument("remote")
@click.option("--upload", is_flag=True, help="A URL to PUT to, instead of one to GET from.")
@click.pass_obj
def file_url(state: _State, context_ref: str, remote: str, upload: bool) -> None:
    """Print a presigned URL of REMOTE (to download it, or with --upload to upload it)."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    get_url = (
        agent_bay.context.get_file_upload_url if upload else agent_bay.context.get_file_download_url
    )
    result = get_url(found.id, remote)
    if not result.success:
        raise AgentBayError(f"Cannot get a URL for {remote}: {result.error_message}")
    state.show({"url": result.url, "expire_time": result.expire_time}, result.url)


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def emulator(ctx: click.Context, args: tuple[str, ...]) -> None:
    """Run the local emulator; takes the options of agentbay-emulator (see --help)."""
    try:
        from .emulator.__main__ import main as run_emulator

        code = run_emulator(list(args))
    except ImportError as exc:
        raise AgentBayError(
            f"The emulator needs {exc.name or 'its extra'}: "
            "pip install 'agentbay-contexts[emulator]'"
        ) from None
    ctx.exit(code)


def main(args: Sequence[str] | None = None) -> None:
    """Run the ``agentbay`` command (the console script; ``python -m agentbay`` too).

    Example::

        main(["--json", "context", "list"])
    """
    cli.main(args=args, prog_name="agentbay")
