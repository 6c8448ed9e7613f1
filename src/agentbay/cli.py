"""The ``agentbay`` command line: contexts and their files, on the sync client.

Needs the ``cli`` extra (``pip install 'agentbay-contexts[cli]'``). Example::

    agentbay --endpoint http://127.0.0.1:8765 context create demo
    agentbay file put demo ./report.pdf /docs/report.pdf
    agentbay folder put demo ./photos /photos --delete
    agentbay context list --json
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

try:
    import click

    from ._cli_progress import TransferBar, human_size
except ImportError as _missing:  # without the cli extra: one line, not a traceback
    raise SystemExit(
        f"The agentbay command needs {_missing.name}: pip install 'agentbay-contexts[cli]'"
    ) from None
import attrs

from ._config import DEFAULT_ENDPOINT, Config
from ._errors import AgentBayError
from ._folders import remote_path
from ._models import Context, ContextFileEntry, FolderTransferResult, OperationResult
from ._redact import Redactor
from ._sync._client import AgentBay
from ._version import __version__

PLAIN_HTTP_SIGNS = ("speaks plain http", "wrong version number", "wrong_version_number")
"""What an SSL error says when the server answered TLS with plain HTTP."""

ID_PREFIX = "ctx-"
"""A context reference starting with this is an id; a new name may not start with it."""

NAME_PREFIX = "name:"
"""A context reference starting with this is the name after it (``name:ctx-old`` reaches a
context named ``ctx-old``, made by another tool)."""

INTERRUPTED = 130
"""The exit status after Ctrl-C (SIGINT), as shells report it: 128 + 2."""


class _State:
    """The global options (given before or after the command), and the client built from them."""

    def __init__(self) -> None:
        self.endpoint: str | None = None
        self.api_key = ""
        self.timeout_ms: int | None = None
        self.max_retries: int | None = None
        self.as_json = False
        self._agent_bay: AgentBay | None = None

    def agent_bay(self) -> AgentBay:
        """The client, closed when the command ends."""
        if self._agent_bay is None:
            if not (self.api_key or os.environ.get("AGENTBAY_API_KEY", "")).strip():
                raise AgentBayError("No API key: pass --api-key KEY or set AGENTBAY_API_KEY")
            cfg = Config.from_env()
            changes: dict[str, Any] = {
                "endpoint": self.endpoint,
                "timeout_ms": self.timeout_ms,
                "max_retries": self.max_retries,
            }
            cfg = attrs.evolve(cfg, **{k: v for k, v in changes.items() if v is not None})
            self._agent_bay = AgentBay(api_key=self.api_key, cfg=cfg)
            click.get_current_context().call_on_close(self._agent_bay.close)
        return self._agent_bay

    def show(self, payload: Any, text: str, *, err: bool = False) -> None:
        """Print ``payload`` as JSON with ``--json`` (non-ASCII kept as is), else ``text``."""
        shown = json.dumps(payload, indent=2, ensure_ascii=False) if self.as_json else text
        click.echo(shown, err=err)

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
    if param.name == "endpoint" and not value.strip():
        raise click.BadParameter(
            "must not be empty (leave it out for $AGENTBAY_ENDPOINT, else the cloud)"
        )
    setattr(ctx.find_root().ensure_object(_State), param.name, value)


def _global_options() -> list[click.Parameter]:
    """The options every command takes, before or after its name."""
    return [
        _global_option(
            "--endpoint",
            "URL",
            "A host (HTTPS) or a full URL. Default: $AGENTBAY_ENDPOINT, else the cloud.",
        ),
        _global_option("--api-key", "KEY", "Default: $AGENTBAY_API_KEY."),
        _global_option(
            "--timeout-ms",
            "MS",
            "Per-request timeout. Default: $AGENTBAY_TIMEOUT_MS, else 60000.",
            type=click.IntRange(min=1),
        ),
        _global_option(
            "--max-retries",
            "N",
            "Retries of a request or transfer that failed transiently. Default: 3.",
            type=click.IntRange(min=0),
        ),
        click.Option(
            ["--json", "as_json"],
            is_flag=True,
            expose_value=False,
            callback=_remember,
            help="Print machine-readable JSON on stdout.",
        ),
    ]


def _global_option(
    flag: str, metavar: str, help_text: str, *, type: click.ParamType[Any] | None = None
) -> click.Option:
    """One global option taking a value: stored by :func:`_remember`, not passed to commands."""
    return click.Option(
        [flag], metavar=metavar, type=type, expose_value=False, callback=_remember, help=help_text
    )


def _examples(*lines: str) -> str:
    """A help page's closing paragraph of example command lines (kept as written)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


class _Command(click.Command):
    """A command that also takes the global options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_global_options())


class _Group(click.Group):
    """A group of commands that take the global options; bare, it prints its help (status 0).

    An :class:`AgentBayError` anywhere becomes one ``Error:`` line (status 1), Ctrl-C one
    ``Interrupted.`` line (status 130).
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
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            raise click.exceptions.Exit(INTERRUPTED) from None
        except AgentBayError as exc:
            state = ctx.find_root().ensure_object(_State)
            message = redact(str(exc), state.secrets())
            if any(sign in message.lower() for sign in PLAIN_HTTP_SIGNS):
                message += f"; try --endpoint {state.plain_http_endpoint()}"
            raise click.ClickException(message) from None


def _check(result: OperationResult, doing: str) -> None:
    if not result.success:
        raise AgentBayError(f"{doing}: {result.error_message}")


def _resolve(agent_bay: AgentBay, ref: str) -> Context:
    """The context ``ref`` names: an id when it starts with ``ctx-``, the name after
    ``name:``, else a name."""
    if ref.startswith(NAME_PREFIX):
        result = agent_bay.context.get(name=ref[len(NAME_PREFIX) :])
    elif ref.startswith(ID_PREFIX):
        result = agent_bay.context.get(context_id=ref)
    else:
        result = agent_bay.context.get(name=ref)
    if not result.success or result.context is None:
        raise AgentBayError(f"Cannot find context {ref!r}: {result.error_message}")
    return result.context


def _check_new_name(name: str) -> None:
    """Refuse a context name that would read as an id (or as ``name:``) in a reference."""
    for prefix, reads_as in ((ID_PREFIX, "an id"), (NAME_PREFIX, "a marked name")):
        if name.startswith(prefix):
            raise click.UsageError(
                f"A context name must not start with {prefix!r}: {name!r} would read as {reads_as}"
            )


def _width() -> int:
    """The terminal's width (``$COLUMNS``, else 80 when not on a terminal)."""
    return shutil.get_terminal_size((80, 24)).columns


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    shrink: int,
    keep_end: bool = False,
) -> str:
    """Rows under headers in aligned columns that fit the terminal's width: column ``shrink``
    gives way, its cells cut with ``…`` (at their start with ``keep_end``, else their end)."""
    cells = [list(headers), *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    excess = sum(widths) + 2 * (len(widths) - 1) - _width()
    if excess > 0:
        widths[shrink] = max(len(headers[shrink]), 8, widths[shrink] - excess)
        for row in cells[1:]:
            cell = row[shrink]
            if len(cell) > widths[shrink]:
                keep = widths[shrink] - 1
                row[shrink] = "…" + cell[len(cell) - keep :] if keep_end else cell[:keep] + "…"
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def _when(stamp: str | None) -> str:
    """A service time for a table: ``2025-05-29T12:00:00Z`` as ``2025-05-29 12:00`` (UTC, to
    the minute); anything else as it came."""
    if not stamp:
        return "-"
    if len(stamp) == 20 and stamp[10] == "T" and stamp.endswith("Z"):
        return stamp[:10] + " " + stamp[11:16]
    return stamp


def _fields(context: Context) -> str:
    return "\n".join(
        f"{key + ':':<14}{value or '-'}" for key, value in attrs.asdict(context).items()
    )


def _remote(path: str) -> str:
    """A remote path as the service lists it: one leading ``/``, no trailing one."""
    return "/" + path.strip("/")


def _find(agent_bay: AgentBay, context_id: str, path: str) -> ContextFileEntry | None:
    """The entry of ``path`` (a file or a folder) in its parent's listing, or None."""
    path = _remote(path)
    parent = posixpath.dirname(path)
    for entry in agent_bay.context.iter_files(context_id, parent, page_size=100):
        if _remote(entry.file_path) == path:
            return entry
    return None


# --------------------------------------------------------------------------- commands


def _root(ctx: click.Context) -> None:
    """Manage AgentBay contexts and their files.

    The options work before or after the command: `agentbay context list --json`. CONTEXT
    and NAME are a context's name, or its id (ctx-...), or name:NAME for a name that starts
    with ctx-.
    """
    ctx.ensure_object(_State)


def context_group() -> None:
    """Create, list, rename, clear and delete contexts (NAME: a name or a ctx- id)."""


def context_list(state: _State) -> None:
    """List every context (times in UTC, to the minute; --json has them in full)."""
    contexts = list(state.agent_bay().context.iter_contexts(page_size=100))
    rows = [(c.id, c.name, _when(c.created_at), _when(c.last_used_at)) for c in contexts]
    headers = ("ID", "NAME", "CREATED", "LAST USED")
    text = _table(headers, rows, shrink=1) if rows else "No contexts."
    state.show([attrs.asdict(c) for c in contexts], text)


def context_get(state: _State, name: str) -> None:
    """Show one context."""
    found = _resolve(state.agent_bay(), name)
    state.show(attrs.asdict(found), _fields(found))


def context_create(state: _State, name: str) -> None:
    """Create a context named NAME; if one exists, say so and show it (status 0).

    A name may not start with ctx- (an id) nor name: (a marked name).
    """
    _check_new_name(name)
    agent_bay = state.agent_bay()
    existing = agent_bay.context.get(name=name)
    if existing.success and existing.context is not None:
        state.show(
            {**attrs.asdict(existing.context), "created": False},
            f"Context {name!r} exists already: nothing created\n{_fields(existing.context)}",
        )
        return
    if not existing.success and existing.code and "NotFound" not in existing.code:
        raise AgentBayError(f"Cannot create context {name!r}: {existing.error_message}")
    result = agent_bay.context.create(name)
    if not result.success or result.context is None:
        raise AgentBayError(f"Cannot create context {name!r}: {result.error_message}")
    state.show({**attrs.asdict(result.context), "created": True}, _fields(result.context))


def context_rename(state: _State, name: str, new_name: str) -> None:
    """Rename a context to NEW_NAME (which may not start with ctx- nor name:)."""
    _check_new_name(new_name)
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, name)
    old_name, found.name = found.name, new_name
    _check(agent_bay.context.update(found), f"Cannot rename context {name!r}")
    state.show(attrs.asdict(found), f"Renamed {found.id} from {old_name!r} to {new_name!r}")


def context_delete(state: _State, name: str) -> None:
    """Delete a context and all its files, without asking."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, name)
    _check(agent_bay.context.delete(found), f"Cannot delete context {name!r}")
    payload = {"id": found.id, "name": found.name, "deleted": True}
    state.show(payload, f"Deleted {found.id} ({found.name})")


def context_clear(state: _State, name: str, timeout: float) -> None:
    """Delete every file of a context and wait until it is available again."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, name)
    # clear() takes any number of seconds; its annotation (int) is the official SDK's
    wait = cast(int, timeout)
    result = agent_bay.context.clear(found.id, timeout=wait, poll_interval=min(0.5, timeout))
    payload = {"id": found.id, "name": found.name, "status": result.status}
    state.show(payload, f"Cleared {found.id} ({found.name})")


def file_group() -> None:
    """List, upload, download and delete the files of a context (CONTEXT: a name or an id)."""


def file_ls(state: _State, context_ref: str, folder: str, recursive: bool, exact: bool) -> None:
    """List the files and folders directly under FOLDER (default /); a FOLDER that does not
    exist is an error (status 1); a file is listed alone."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    entries = list(
        agent_bay.context.iter_files(found.id, folder, page_size=100, recursive=recursive)
    )
    if not entries and _remote(folder) != "/":
        entry = _find(agent_bay, found.id, folder)
        if entry is None:
            raise AgentBayError(f"No such folder: {found.name}:{_remote(folder)}")
        entries = [] if entry.file_type == "folder" else [entry]
    rows = [_file_row(e, exact) for e in entries]
    text = _table(("TYPE", "SIZE", "MODIFIED", "PATH"), rows, shrink=3, keep_end=True)
    state.show([attrs.asdict(e) for e in entries], text if entries else "No files.")


def _file_row(entry: ContextFileEntry, exact: bool) -> tuple[str, str, str, str]:
    if entry.size is None or entry.file_type == "folder":
        size = "-"
    else:
        size = str(entry.size) if exact else human_size(entry.size)
    return entry.file_type or "-", size, _when(entry.gmt_modified), entry.file_path


def file_put(state: _State, context_ref: str, local: str, remote: str) -> None:
    """Upload the file LOCAL ('-' for stdin) to REMOTE (into it, if it ends with '/')."""
    if local != "-" and os.path.isdir(local):
        raise click.UsageError(
            f"{local} is a folder: to upload a folder, use "
            f"agentbay folder put {context_ref} {local} REMOTE_DIR"
        )
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
    text = f"Uploaded {local} to {found.name}:{remote} ({human_size(int(result.data or 0))})"
    state.show(payload, text)


def file_get(state: _State, context_ref: str, remote: str, local: str) -> None:
    """Download REMOTE to the file LOCAL ('-' for stdout); into LOCAL if it is a folder, or
    ends with '/' (then it is created if missing, and removed again if the download fails)."""
    if remote.endswith("/"):
        raise click.UsageError(f"REMOTE must name a file, not a folder: {remote}")
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    made: list[str] = []
    if local.endswith(("/", os.sep)) and not os.path.isdir(local):
        made = _make_folders(local)
    if os.path.isdir(local):
        local = os.path.join(local, posixpath.basename(remote))
    target = sys.stdout.buffer if local == "-" else local
    try:
        with TransferBar(remote) as bar:
            result = agent_bay.context.download_file(found.id, remote, target, progress=bar)
        _check(result, f"Cannot download {remote}")
    except BaseException:
        for folder in reversed(made):  # only the folders this command made, if still empty
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        raise
    payload = {"context_id": found.id, "path": remote, "bytes": result.data}
    text = f"Downloaded {found.name}:{remote} to {local} ({human_size(int(result.data or 0))})"
    state.show(payload, text, err=local == "-")


def _make_folders(path: str) -> list[str]:
    """Create the folder ``path`` and its missing parents; the ones created, outermost first."""
    missing: list[str] = []
    head = os.path.abspath(path)
    while not os.path.exists(head):
        missing.append(head)
        head = os.path.dirname(head)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise AgentBayError(f"Cannot create folder {path}: {exc.strerror or exc}") from None
    return missing[::-1]


def file_rm(state: _State, context_ref: str, remote: str, recursive: bool) -> None:
    """Delete the file REMOTE; a folder only with --recursive (file by file, then counted)."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    entry = None if _remote(remote) == "/" else _find(agent_bay, found.id, remote)
    is_folder = _remote(remote) == "/" or (entry is not None and entry.file_type == "folder")
    if not is_folder:
        _check(agent_bay.context.delete_file(found.id, remote), f"Cannot delete {remote}")
        payload = {"context_id": found.id, "path": remote, "deleted": True}
        state.show(payload, f"Deleted {found.name}:{remote}")
        return
    folder = _remote(remote)
    if not recursive:
        raise AgentBayError(
            f"Cannot delete {folder}: it is a folder "
            f"(file rm --recursive deletes it and every file below it)"
        )
    files = [e.file_path for e in agent_bay.context.iter_files(found.id, folder, recursive=True)]
    failed = {}
    for path in files:
        result = agent_bay.context.delete_file(found.id, path)
        if not result.success:
            failed[path] = result.error_message
    if not failed and folder != "/" and _find(agent_bay, found.id, folder) is not None:
        _check(agent_bay.context.delete_file(found.id, folder), f"Cannot delete {folder}")
    count = len(files) - len(failed)
    payload = {"context_id": found.id, "path": folder, "deleted": not failed, "files": count}
    plural = "" if count == 1 else "s"
    state.show(payload, f"Deleted {found.name}:{folder} ({count} file{plural} below it)")
    for path, message in failed.items():
        click.echo(redact(f"Failed: {found.name}:{path}: {message}", state.secrets()), err=True)
    if failed:
        raise click.exceptions.Exit(1)


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


def folder_group() -> None:
    """Mirror whole folders between this machine and a context (CONTEXT: a name or an id)."""


def _folder_options() -> list[Callable[[Any], Any]]:
    """The options ``folder put`` and ``folder get`` share, as decorators."""
    return [
        click.option(
            "--concurrency",
            type=click.IntRange(min=1),
            default=16,
            show_default=True,
            help="Files in flight at once.",
        ),
        click.option(
            "--delete",
            is_flag=True,
            help="Delete what the source lacks; nothing if the source is empty or missing.",
        ),
        click.option(
            "--allow-empty-source",
            is_flag=True,
            help="With --delete: delete even when the source is empty or missing.",
        ),
        click.option("--dry-run", is_flag=True, help="Show what would be done; change nothing."),
    ]


def _symlinks(root: str) -> list[str]:
    """The symbolic links below the local folder ``root`` (not followed, so not uploaded)."""
    found: list[str] = []
    for folder, folders, files in os.walk(root):
        found += [
            os.path.join(folder, n)
            for n in folders + files
            if os.path.islink(os.path.join(folder, n))
        ]
    return sorted(found)


def _interrupted(bar: TransferBar) -> str:
    """The one line saying what an interrupted folder transfer did."""
    if bar.files is None:
        return "Interrupted before any file moved."
    landed, failed, started, total = bar.files
    midway = max(0, started - landed - failed)
    return (
        f"Interrupted: {landed} of {total} files landed, {failed} failed, "
        f"{midway} stopped midway, {total - started} never started"
    )


@attrs.frozen
class _FolderOptions:
    """The options ``folder put`` and ``folder get`` share."""

    concurrency: int
    delete: bool
    allow_empty_source: bool
    dry_run: bool


def _moving(
    bar: TransferBar,
    move: Callable[..., FolderTransferResult],
    context_id: str,
    source: str,
    target: str,
    options: _FolderOptions,
) -> FolderTransferResult:
    """``move`` (the client's upload_folder or download_folder) with the bar showing; on
    Ctrl-C, the one-line summary and exit status 130."""
    try:
        with bar:
            return move(
                context_id,
                source,
                target,
                concurrency=options.concurrency,
                delete_extra=options.delete,
                allow_empty_source=options.allow_empty_source,
                dry_run=options.dry_run,
                progress=bar.update,
            )
    except KeyboardInterrupt:
        click.echo(_interrupted(bar), err=True)
        raise click.exceptions.Exit(INTERRUPTED) from None


def folder_put(
    state: _State,
    context_ref: str,
    local: str,
    remote: str,
    concurrency: int,
    delete: bool,
    allow_empty_source: bool,
    dry_run: bool,
) -> None:
    """Upload the files below LOCAL_DIR to REMOTE_DIR: new and changed ones only. Symbolic
    links are not followed: each is named on stderr as skipped."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    bar = TransferBar(remote, files=True, shown=not dry_run)
    options = _FolderOptions(concurrency, delete, allow_empty_source, dry_run)
    result = _moving(bar, agent_bay.context.upload_folder, found.id, local, remote, options)
    report = _FolderReport(state, found, result, dry_run)
    report.show("upload", f"to {found.name}:{remote}", _symlinks(local), lambda path: path)


def folder_get(
    state: _State,
    context_ref: str,
    remote: str,
    local: str,
    concurrency: int,
    delete: bool,
    allow_empty_source: bool,
    dry_run: bool,
) -> None:
    """Download the files below REMOTE_DIR into LOCAL_DIR: new and changed ones only."""
    agent_bay = state.agent_bay()
    found = _resolve(agent_bay, context_ref)
    bar = TransferBar(remote, files=True, shown=not dry_run)
    options = _FolderOptions(concurrency, delete, allow_empty_source, dry_run)
    result = _moving(bar, agent_bay.context.download_folder, found.id, remote, local, options)
    root = remote_path(remote, "")

    def local_path(path: str) -> str:  # a deleted local file, named by its remote path
        relative = path[len(root) :].lstrip("/")
        return os.path.join(local, *relative.split("/"))

    report = _FolderReport(state, found, result, dry_run)
    report.show("download", f"from {found.name}:{remote}", [], local_path)


@attrs.define
class _FolderReport:
    """What a folder transfer did (with ``dry``, would do), printed; failures on stderr."""

    state: _State
    found: Context
    result: FolderTransferResult
    dry: bool

    def show(
        self, verb: str, place: str, links: list[str], deleted_as: Callable[[str], str]
    ) -> None:
        """Print it: ``verb`` is upload or download, ``place`` where to or from, ``links`` the
        symbolic links skipped, ``deleted_as`` how a deleted path is named (remote paths as
        ``CONTEXT:/path``, local ones as paths). Exit 1 if anything failed."""
        result, name = self.result, self.found.name
        deleted = [deleted_as(path) for path in result.deleted]
        deleted_local = verb == "download"
        fields = ("transferred", "skipped", "failed", "bytes_transferred")
        payload: dict[str, Any] = {
            "context_id": self.found.id,
            "dry_run": self.dry,
            "success": result.success,
        }
        payload.update({field: getattr(result, field) for field in fields})
        payload["deleted"] = deleted
        if verb == "upload":
            payload["skipped_symlinks"] = links
        count = len(result.transferred)
        summary = (
            f"{count} file{'' if count == 1 else 's'} ({human_size(result.bytes_transferred)}) "
            f"{place}; {len(result.skipped)} unchanged, {len(result.deleted)} "
            + ("to delete" if self.dry else "deleted")
            + (f", {len(result.failed)} failed" if result.failed else "")
        )
        if self.dry:
            lines = [f"would {verb} {name}:{path}" for path in result.transferred]
            lines += [
                f"would delete {path if deleted_local else f'{name}:{path}'}" for path in deleted
            ]
            lines += [f"would skip the symbolic link {link}" for link in links]
            text = "\n".join([*lines, f"Dry run: would {verb} {summary}"])
        else:
            text = f"{verb.capitalize()}ed {summary}"
        self.state.show(payload, text)
        if not self.dry:
            for link in links:
                click.echo(f"Skipped the symbolic link {link} (links are not followed)", err=True)
        for path, message in result.failed.items():
            message = message.replace("allow_empty_source=True", "--allow-empty-source")
            line = f"Failed: {name}:{path}: {message}"
            click.echo(redact(line, self.state.secrets()), err=True)
        if result.failed:
            raise click.exceptions.Exit(1)


def emulator(ctx: click.Context, args: tuple[str, ...]) -> None:
    """Run the local emulator; takes the options of agentbay-emulator (see -h).

    Example: agentbay emulator --port 8765 --data-dir ./emulator-data
    """
    try:
        from agentbay_emulator.__main__ import main as run_emulator
    except ModuleNotFoundError as exc:
        if exc.name != "agentbay_emulator":
            raise
        raise click.ClickException(
            "the emulator is a distribution of its own: pip install agentbay-emulator"
        ) from None

    ctx.exit(run_emulator(list(args)))


def _stack(*decorators: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The ``decorators`` as one, applied as if written in this order above a function."""

    def apply(function: Any) -> Any:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


def _group(
    parent: click.Group, name: str, callback: Callable[[], None], *examples: str
) -> click.Group:
    """A subgroup ``name`` of ``parent``, its help (``callback``'s docstring) closing with
    ``examples``."""
    group: click.Group = parent.group(name, epilog=_examples(*examples))(callback)
    return group


def _command(
    group: click.Group, name: str, examples: Sequence[str], *decorators: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    """A decorator that adds a command ``name`` to ``group``: its help closes with
    ``examples``, ``decorators`` add its arguments and options, and it is passed the
    :class:`_State`."""
    return _stack(group.command(name, epilog=_examples(*examples)), *decorators, click.pass_obj)


def build() -> click.Group:
    """A fresh ``agentbay`` command tree (the console script runs :data:`cli`, built by this
    once, at import; tests build their own).

    Example::

        from click.testing import CliRunner

        CliRunner().invoke(build(), ["--version"])
    """
    root: click.Group = _stack(
        click.group(
            "agentbay",
            cls=_Group,
            context_settings={"help_option_names": ["-h", "--help"]},
            epilog=_examples(
                "agentbay context create reports",
                "agentbay file put reports ./q1.pdf /2025/",
                "agentbay folder get reports /2025 ./2025 --dry-run",
                "agentbay --json context list",
            ),
        ),
        click.version_option(__version__, prog_name="agentbay"),
        click.pass_context,
    )(_root)

    contexts = _group(
        root, "context", context_group, "agentbay context list", "agentbay context create reports"
    )
    _command(contexts, "list", ["agentbay context list", "agentbay --json context list"])(
        context_list
    )
    _command(
        contexts,
        "get",
        ["agentbay context get reports", "agentbay context get ctx-0123abcd"],
        click.argument("name"),
    )(context_get)
    _command(contexts, "create", ["agentbay context create reports"], click.argument("name"))(
        context_create
    )
    _command(
        contexts,
        "rename",
        ["agentbay context rename reports reports-2025"],
        click.argument("name"),
        click.argument("new_name"),
    )(context_rename)
    _command(contexts, "delete", ["agentbay context delete reports"], click.argument("name"))(
        context_delete
    )
    timeout = click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=60.0,
        show_default=True,
        help="Seconds to wait for the wipe (fractions allowed).",
    )
    clear_examples = ["agentbay context clear reports --timeout 2.5"]
    _command(contexts, "clear", clear_examples, click.argument("name"), timeout)(context_clear)

    files = _group(
        root, "file", file_group, "agentbay file ls reports /2025", "agentbay file put -h"
    )
    in_context = click.argument("context_ref", metavar="CONTEXT")
    ls_examples = [
        "agentbay file ls reports /2025",
        "agentbay file ls reports / --recursive --bytes",
    ]
    _command(
        files,
        "ls",
        ls_examples,
        in_context,
        click.argument("folder", default="/"),
        click.option(
            "-r", "--recursive", is_flag=True, help="Every file below FOLDER, at any depth."
        ),
        click.option(
            "--bytes", "exact", is_flag=True, help="Sizes in bytes, not in KiB, MiB, GiB."
        ),
    )(file_ls)
    put_examples = [
        "agentbay file put reports ./q1.pdf /2025/      # lands as /2025/q1.pdf",
        "tar cz src | agentbay file put reports - /backup/src.tgz",
    ]
    stream = click.Path(allow_dash=True)
    _command(
        files,
        "put",
        put_examples,
        in_context,
        click.argument("local", type=stream),
        click.argument("remote"),
    )(file_put)
    get_examples = [
        "agentbay file get reports /2025/q1.pdf ./q1-copy.pdf",
        "agentbay file get reports /2025/q1.pdf ./downloads/   # creates the folder",
        "agentbay file get reports /backup/src.tgz - | tar xz",
    ]
    _command(
        files,
        "get",
        get_examples,
        in_context,
        click.argument("remote"),
        click.argument("local", type=stream),
    )(file_get)
    rm_examples = [
        "agentbay file rm reports /2025/q1.pdf",
        "agentbay file rm reports /2025 --recursive   # and every file below it",
    ]
    recursive = click.option(
        "-r", "--recursive", is_flag=True, help="Delete a folder and every file below it."
    )
    _command(files, "rm", rm_examples, in_context, click.argument("remote"), recursive)(file_rm)
    url_examples = [
        "agentbay file url reports /2025/q1.pdf",
        'curl -T big.iso "$(agentbay file url reports /isos/big.iso --upload)"',
    ]
    upload = click.option(
        "--upload", is_flag=True, help="A URL to PUT to, instead of one to GET from."
    )
    _command(files, "url", url_examples, in_context, click.argument("remote"), upload)(file_url)

    folders = _group(
        root,
        "folder",
        folder_group,
        "agentbay folder put reports ./src /src",
        "agentbay folder get -h",
    )
    local_dir = "LOCAL_DIR"
    _command(
        folders,
        "put",
        [
            "agentbay folder put reports ./src /src",
            "agentbay folder put reports ./src /src --delete --dry-run",
        ],
        in_context,
        click.argument("local", metavar=local_dir, type=click.Path(exists=True, file_okay=False)),
        click.argument("remote", metavar="REMOTE_DIR"),
        *_folder_options(),
    )(folder_put)
    _command(
        folders,
        "get",
        [
            "agentbay folder get reports /src ./src-copy",
            "agentbay folder get reports /src ./src-copy --delete --dry-run",
        ],
        in_context,
        click.argument("remote", metavar="REMOTE_DIR"),
        click.argument("local", metavar=local_dir, type=click.Path(file_okay=False)),
        *_folder_options(),
    )(folder_get)

    _stack(
        root.command(
            "emulator",
            cls=click.Command,  # the emulator's own options (its --api-key is not the client's)
            context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
            add_help_option=False,
        ),
        click.argument("args", nargs=-1, type=click.UNPROCESSED),
        click.pass_context,
    )(emulator)
    return root


cli = build()
"""The ``agentbay`` command tree that :func:`main` runs."""


def main(args: Sequence[str] | None = None) -> None:
    """Run the ``agentbay`` command (the console script; ``python -m agentbay`` too).

    Example::

        main(["context", "list", "--json"])
    """
    _warn_if_shared()
    cli.main(args=args, prog_name="agentbay")


def _warn_if_shared() -> None:
    """Say on stderr, in one line, when another distribution (the official SDK) installs the
    ``agentbay`` package here too: ``import agentbay`` may then load its files."""
    from ._installed import shared_package_warning

    warning = shared_package_warning()
    if warning:
        print(warning, file=sys.stderr)
