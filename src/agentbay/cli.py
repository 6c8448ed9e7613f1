"""The ``agentbay`` command line: contexts and their files, on the sync client.

Needs the ``cli`` extra (``pip install 'agentbay-contexts[cli]'``). Example::

    agentbay --endpoint http://127.0.0.1:8765 context create demo
    agentbay file put demo ./report.pdf /docs/report.pdf
    agentbay folder put demo ./photos /photos --delete
    agentbay context list --json
"""

from __future__ import annotations

import json
import os
import posixpath
import sys
from collections.abc import Iterable, Sequence
from typing import Any

try:
    import click

    from ._cli_progress import TransferBar
except ImportError as _missing:  # without the cli extra: one line, not a traceback
    raise SystemExit(
        f"The agentbay command needs {_missing.name}: pip install 'agentbay-contexts[cli]'"
    ) from None
import attrs

from ._config import DEFAULT_ENDPOINT, Config
from ._errors import AgentBayError
from ._models import Context, ContextFileEntry, FolderTransferResult, OperationResult
from ._redact import Redactor
from ._sync._client import AgentBay
from ._version import __version__

PLAIN_HTTP_SIGNS = ("speaks plain http", "wrong version number", "wrong_version_number")
"""What an SSL error says when the server answered TLS with plain HTTP."""


class _State:
    """The global options (given before or after the command), and the client built from them."""

    def __init__(self) -> None:
        self.endpoint: str | None = None
        self.api_key = ""
        self.timeout_ms: int | None = None
        self.as_json = False
        self._agent_bay: AgentBay | None = None

    def agent_bay(self) -> AgentBay:
        """The client, closed when the command ends."""
        if self._agent_bay is None:
            cfg = Config.from_env()
            if self.endpoint:
                cfg = attrs.evolve(cfg, endpoint=self.endpoint)
            if self.timeout_ms is not None:
                cfg = attrs.evolve(cfg, timeout_ms=self.timeout_ms)
            self._agent_bay = AgentBay(api_key=self.api_key, cfg=cfg)
            click.get_current_context().call_on_close(self._agent_bay.close)
        return self._agent_bay

    def show(self, payload: Any, text: str, *, err: bool = False) -> None:
        """Print ``payload`` as JSON with ``--json``, else ``text``."""
        click.echo(json.dumps(payload, indent=2) if self.as_json else text, err=err)

    def secrets(self) -> list[str]:
        """The API keys in use (``--api-key``, ``$AGENTBAY_API_KEY``)."""
        return [self.api_key, os.environ.get("AGENTBAY_API_KEY", "")]

    def plain_http_endpoint(self) -> str:
        """The endpoint, as a plain-HTTP URL: ``host:port`` becomes ``http://host:port``."""
        endpoint = self.endpoint or os.environ.get("AGENTBAY_ENDPOINT") or DEFAULT_ENDPOINT
        host = endpoint.strip().partition("://")[2] or endpoint.strip()
        return "http://" + host.rstrip("/")


def redact(message: str, keys: Iterable[str]) -> str:
    """``message`` through the library's redactor: every key of 8+ characters, raw or encoded,
    and every URL query, as ``<redacted>``.

    >>> redact("Authorization=Bearer%20sk%2Fsecret", ["sk/secret"])
    'Authorization=<redacted>'
    """
    return Redactor(*keys).redact(message)


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Store a global option given at any level; a later (deeper) one wins."""
    if value is None or value is False or param.name is None:
        return
    setattr(ctx.find_root().ensure_object(_State), param.name, value)


def _global_options() -> list[click.Parameter]:
    """The options every command takes, before or after its name."""
    return [
        click.Option(
            ["--endpoint"],
            metavar="URL",
            expose_value=False,
            callback=_remember,
            help="A host (HTTPS) or a full URL. Default: $AGENTBAY_ENDPOINT, else the cloud.",
        ),
        click.Option(
            ["--api-key"],
            metavar="KEY",
            expose_value=False,
            callback=_remember,
            help="Default: $AGENTBAY_API_KEY.",
        ),
        click.Option(
            ["--timeout-ms"],
            metavar="MS",
            type=click.IntRange(min=1),
            expose_value=False,
            callback=_remember,
            help="Per-request timeout. Default: $AGENTBAY_TIMEOUT_MS, else 60000.",
        ),
        click.Option(
            ["--json", "as_json"],
            is_flag=True,
            expose_value=False,
            callback=_remember,
            help="Print machine-readable JSON on stdout.",
        ),
    ]


class _Command(click.Command):
    """A command that also takes the global options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_global_options())


class _Group(click.Group):
    """A group of commands that take the global options; bare, it prints its help (status 0).

    On the root, an :class:`AgentBayError` anywhere becomes one ``Error:`` line.
    """

    command_class: type[click.Command] | None = _Command
    group_class: type[click.Group] | type[type] | None = type  # subgroups are _Groups too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_global_options())

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Print the help and exit 0 when called with no arguments at all."""
        if not args and not ctx.resilient_parsing:
            click.echo(ctx.get_help())
            ctx.exit(0)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; turn an :class:`AgentBayError` into one redacted error line."""
        try:
            return super().invoke(ctx)
        except AgentBayError as exc:
            state = ctx.find_root().ensure_object(_State)
            message = redact(str(exc), state.secrets())
            if any(sign in message.lower() for sign in PLAIN_HTTP_SIGNS):
                url = state.plain_http_endpoint()
                message += f"\nHint: the endpoint speaks plain HTTP? use --endpoint {url}"
            raise click.ClickException(message) from None


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


# --------------------------------------------------------------------------- commands


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="agentbay")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Manage AgentBay contexts and their files.

    The options work before or after the command: `agentbay context list --json`.
    """
    ctx.ensure_object(_State)


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
    """Upload the file LOCAL ('-' for stdin) to REMOTE (into it, if it ends with '/')."""
    if remote.endswith("/"):
        if local == "-":
            raise click.UsageError("REMOTE needs a file name when LOCAL is '-' (stdin)")
        remote += os.path.basename(local)
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    source = sys.stdin.buffer if local == "-" else local
    with TransferBar(remote) as bar:
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
    """Download REMOTE to the file LOCAL (into it, if a folder; '-' for stdout)."""
    if remote.endswith("/"):
        raise click.UsageError(f"REMOTE must name a file, not a folder: {remote}")
    if local.endswith(("/", os.sep)) and not os.path.isdir(local):
        raise click.UsageError(f"No such local folder: {local}")
    if os.path.isdir(local):
        local = os.path.join(local, posixpath.basename(remote))
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    target = sys.stdout.buffer if local == "-" else local
    with TransferBar(remote) as bar:
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


@cli.group("folder")
def folder_group() -> None:
    """Mirror whole folders between this machine and a context (CONTEXT: a name or an id)."""


def _folder_options(command: Any) -> Any:
    """The options ``folder put`` and ``folder get`` share."""
    options = [
        click.option(
            "--concurrency",
            type=click.IntRange(min=1),
            default=16,
            show_default=True,
            help="Files in flight at once.",
        ),
        click.option("--delete", is_flag=True, help="Delete what the source lacks."),
        click.option("--dry-run", is_flag=True, help="Show what would be done; change nothing."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@folder_group.command("put")
@click.argument("context_ref", metavar="CONTEXT")
@click.argument("local", metavar="LOCAL_DIR", type=click.Path(exists=True, file_okay=False))
@click.argument("remote", metavar="REMOTE_DIR")
@_folder_options
@click.pass_obj
def folder_put(
    state: _State,
    context_ref: str,
    local: str,
    remote: str,
    concurrency: int,
    delete: bool,
    dry_run: bool,
) -> None:
    """Upload the files below LOCAL_DIR to REMOTE_DIR: new and changed ones only."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    with TransferBar(remote, files=True, shown=not dry_run) as bar:
        result = agent_bay.context.upload_folder(
            found.id,
            local,
            remote,
            concurrency=concurrency,
            delete_extra=delete,
            dry_run=dry_run,
            progress=bar.update,
        )
    _folder_report(state, found, result, "upload", f"to {found.name}:{remote}", dry_run)


@folder_group.command("get")
@click.argument("context_ref", metavar="CONTEXT")
@click.argument("remote", metavar="REMOTE_DIR")
@click.argument("local", metavar="LOCAL_DIR", type=click.Path(file_okay=False))
@_folder_options
@click.pass_obj
def folder_get(
    state: _State,
    context_ref: str,
    remote: str,
    local: str,
    concurrency: int,
    delete: bool,
    dry_run: bool,
) -> None:
    """Download the files below REMOTE_DIR into LOCAL_DIR: new and changed ones only."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    with TransferBar(remote, files=True, shown=not dry_run) as bar:
        result = agent_bay.context.download_folder(
            found.id,
            remote,
            local,
            concurrency=concurrency,
            delete_extra=delete,
            dry_run=dry_run,
            progress=bar.update,
        )
    _folder_report(state, found, result, "download", f"from {found.name}:{remote}", dry_run)


def _folder_report(
    state: _State, found: Context, result: FolderTransferResult, verb: str, place: str, dry: bool
) -> None:
    """Print what a folder transfer did (with ``dry``, would do): ``verb`` is upload or
    download, ``place`` where to or from. Each failure is named on stderr, then exit 1."""
    fields = ("transferred", "skipped", "deleted", "failed", "bytes_transferred")
    payload = {"context_id": found.id, "dry_run": dry, "success": result.success}
    payload.update({name: getattr(result, name) for name in fields})
    count = len(result.transferred)
    summary = (
        f"{count} file{'' if count == 1 else 's'} ({result.bytes_transferred} bytes) {place}; "
        f"{len(result.skipped)} unchanged, {len(result.deleted)} "
        + ("to delete" if dry else "deleted")
        + (f", {len(result.failed)} failed" if result.failed else "")
    )
    if dry:
        lines = [f"would {verb} {path}" for path in result.transferred]
        lines += [f"would delete {path}" for path in result.deleted]
        text = "\n".join([*lines, f"Dry run: would {verb} {summary}"])
    else:
        text = f"{verb.capitalize()}ed {summary}"
    state.show(payload, text)
    for path, message in result.failed.items():
        click.echo(redact(f"Failed: {path}: {message}", state.secrets()), err=True)
    if result.failed:
        raise click.exceptions.Exit(1)


@cli.command(
    cls=click.Command,  # the emulator's own options (its --api-key is not the client's)
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def emulator(ctx: click.Context, args: tuple[str, ...]) -> None:
    """Run the local emulator; takes the options of agentbay-emulator (see -h)."""
    from .emulator.__main__ import main as run_emulator

    ctx.exit(run_emulator(list(args)))


def main(args: Sequence[str] | None = None) -> None:
    """Run the ``agentbay`` command (the console script; ``python -m agentbay`` too).

    Example::

        main(["context", "list", "--json"])
    """
    cli.main(args=args, prog_name="agentbay")
