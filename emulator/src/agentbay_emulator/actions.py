"""The RPC actions: parameters and an account in, the action's response fields out.

Each action is a blocking function (the app runs it in a worker thread) that returns the
fields to add to a success body, or raises :class:`~agentbay_emulator.wire.ApiError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs

from .paths import InvalidPathError, normalize_file_path, normalize_folder_path
from .signing import Grant, Signer
from .store import (
    FILE,
    FOLDER,
    ContextNotFoundError,
    ContextRecord,
    Entry,
    NameTakenError,
    Store,
)
from .tokens import PageTokens, forged_token
from .wire import (
    DEFAULT_PAGE,
    MAX_PAGE,
    Params,
    context_not_found,
    file_not_found,
    invalid_parameter,
    iso_time,
    missing_parameter,
    name_exists,
    unknown_action,
)

DEFAULT_FILE_PAGE = 50
MAX_PAGE_NUMBER = 1_000_000
MAX_NAME_LENGTH = 255


@attrs.frozen
class ActionEnv:
    """What an action may use: store, URL and token signers, account, clock and settings."""

    store: Store
    signer: Signer
    tokens: PageTokens
    account: str
    now: float
    base_url: str
    url_ttl: int
    clear_delay: float


Action = Callable[[ActionEnv, Params], dict[str, Any]]


def context_data(record: ContextRecord, now: float) -> dict[str, Any]:
    """The ``Data`` object of a context."""
    return {
        "Id": record.id,
        "Name": record.name,
        "CreateTime": iso_time(record.created),
        "LastUsedTime": iso_time(record.last_used),
        "State": "clearing" if now < record.clear_until else "available",
        "OsType": "",
    }


def _name(params: Params) -> str:
    name = params.text("Name")
    if len(name) > MAX_NAME_LENGTH:
        raise invalid_parameter("Name", f"longer than {MAX_NAME_LENGTH} characters")
    return name


def _file_path(params: Params) -> str:
    try:
        return normalize_file_path(params.text("FilePath"))
    except InvalidPathError as exc:
        raise invalid_parameter("FilePath", str(exc)) from None


def _owned(env: ActionEnv, context_id: str) -> ContextRecord:
    record = env.store.get_context(env.account, context_id)
    if record is None:
        raise context_not_found(context_id)
    return record


def get_context(env: ActionEnv, params: Params) -> dict[str, Any]:
    """GetContext: by ContextId, or by Name (creating it when AllowCreate is true)."""
    allow_create = params.boolean("AllowCreate")
    context_id = params.get("ContextId")
    if context_id is not None:
        if allow_create:
            raise invalid_parameter(
                "AllowCreate", "a context is created by Name, never by ContextId"
            )
        return {"Data": context_data(_owned(env, context_id), env.now)}
    if params.get("Name") is None:
        raise missing_parameter("Name")
    name = _name(params)
    record = env.store.find_context(env.account, name)
    while record is None:
        if not allow_create:
            raise context_not_found(name)
        try:
            record = env.store.create_context(env.account, name, env.now)
        except NameTakenError:  # created concurrently: return that one
            record = env.store.find_context(env.account, name)
    return {"Data": context_data(record, env.now)}


def list_contexts(env: ActionEnv, params: Params) -> dict[str, Any]:
    """ListContexts: token pagination in creation order."""
    limit = params.integer("MaxResults", DEFAULT_PAGE, 1, MAX_PAGE)
    listing = (env.account, "contexts")
    after: int | None = None
    token = params.get("NextToken")
    if token is not None:
        after = env.tokens.position(listing, token)
        if not (type(after) is int and 0 <= after < 1 << 63):
            raise forged_token()
    records = env.store.list_contexts(env.account, after, limit + 1)
    page = records[:limit]
    more = len(records) > limit
    return {
        "Data": [context_data(record, env.now) for record in page],
        "NextToken": env.tokens.issue(listing, page[-1].seq) if more else None,
        "MaxResults": limit,
        "TotalCount": env.store.count_contexts(env.account),
    }


def modify_context(env: ActionEnv, params: Params) -> dict[str, Any]:
    """ModifyContext: rename a context."""
    context_id = params.text("Id")
    name = _name(params)
    try:
        env.store.rename_context(env.account, context_id, name)
    except ContextNotFoundError:
        raise context_not_found(context_id) from None
    except NameTakenError:
        raise name_exists(name) from None
    return {}


def delete_context(env: ActionEnv, params: Params) -> dict[str, Any]:
    """DeleteContext: remove a context and all its files."""
    context_id = params.text("Id")
    try:
        env.store.delete_context(env.account, context_id)
    except ContextNotFoundError:
        raise context_not_found(context_id) from None
    return {}


def clear_context(env: ActionEnv, params: Params) -> dict[str, Any]:
    """ClearContext: delete the files; State reads ``clearing`` for ``clear_delay`` seconds."""
    context_id = params.text("Id")
    try:
        env.store.clear_context(env.account, context_id, env.now, env.now + env.clear_delay)
    except ContextNotFoundError:
        raise context_not_found(context_id) from None
    return {}


def _file_url(env: ActionEnv, params: Params, method: str) -> dict[str, Any]:
    context_id = params.text("ContextId")
    path = _file_path(params)
    _owned(env, context_id)
    grant = Grant(
        account=env.account,
        context_id=context_id,
        path=path,
        method=method,
        expires=math.ceil(env.now + env.url_ttl),
    )
    return {"Data": {"Url": env.signer.url(env.base_url, grant), "ExpireTime": env.url_ttl}}


def get_download_url(env: ActionEnv, params: Params) -> dict[str, Any]:
    """GetContextFileDownloadUrl: presign a GET (the file need not exist yet)."""
    return _file_url(env, params, "GET")


def get_upload_url(env: ActionEnv, params: Params) -> dict[str, Any]:
    """GetContextFileUploadUrl: presign a PUT."""
    return _file_url(env, params, "PUT")


def delete_context_file(env: ActionEnv, params: Params) -> dict[str, Any]:
    """DeleteContextFile: delete a file, or every file below a folder path."""
    context_id = params.text("ContextId")
    path = _file_path(params)
    try:
        deleted = env.store.delete_files(env.account, context_id, path, env.now)
    except ContextNotFoundError:
        raise context_not_found(context_id) from None
    if not deleted:
        raise file_not_found(path)
    return {}


def _entry_data(entry: Entry) -> dict[str, Any]:
    """The wire form of one listing entry."""
    folder = entry.kind == FOLDER
    return {
        "FileId": entry.file_id,
        "FileName": entry.name,
        "FilePath": entry.path[:-1] if folder else entry.path,
        "FileType": "folder" if folder else "file",
        "GmtCreate": iso_time(entry.created),
        "GmtModified": iso_time(entry.modified),
        "Size": entry.size,
        "Status": "available",
    }


def describe_context_files(env: ActionEnv, params: Params) -> dict[str, Any]:
    """DescribeContextFiles: direct children, folders first, by name; page or token paging.

    Token paging (``MaxResults`` or ``NextToken`` given) resumes after the last entry returned,
    so entries that exist throughout come exactly once however the folder changes meanwhile.
    Every paging parameter given is checked, whichever style is used.
    """
    context_id = params.text("ContextId")
    try:
        folder = normalize_folder_path(params.get("ParentFolderPath") or "/")
    except InvalidPathError as exc:
        raise invalid_parameter("ParentFolderPath", str(exc)) from None
    page_number = params.integer("PageNumber", 1, 1, MAX_PAGE_NUMBER)
    page_size = params.integer("PageSize", DEFAULT_FILE_PAGE, 1, MAX_PAGE)
    limit = params.integer("MaxResults", DEFAULT_FILE_PAGE, 1, MAX_PAGE)
    listing = (env.account, "files", context_id, folder)
    token = params.get("NextToken")
    after = _file_position(env.tokens.position(listing, token)) if token is not None else None
    by_number = params.get("MaxResults") is None and token is None
    try:
        if by_number:
            page = env.store.list_children(
                env.account,
                context_id,
                folder,
                offset=(page_number - 1) * page_size,
                limit=page_size,
            )
            return {"Data": [_entry_data(entry) for entry in page.entries], "Count": page.count}
        page = env.store.list_children(
            env.account, context_id, folder, after=after, limit=limit + 1
        )
    except ContextNotFoundError:
        raise context_not_found(context_id) from None
    entries = page.entries[:limit]
    more = len(page.entries) > limit
    return {
        "Data": [_entry_data(entry) for entry in entries],
        "Count": page.count,
        "NextToken": env.tokens.issue(listing, list(entries[-1].key)) if more else None,
        "MaxResults": limit,
    }


def _file_position(after: Any) -> tuple[int, str]:
    if (
        isinstance(after, list)
        and len(after) == 2
        and type(after[0]) is int
        and after[0] in (FOLDER, FILE)
        and isinstance(after[1], str)
    ):
        return (after[0], after[1])
    raise forged_token()


ACTIONS: dict[str, Action] = {
    "GetContext": get_context,
    "ListContexts": list_contexts,
    "ModifyContext": modify_context,
    "DeleteContext": delete_context,
    "ClearContext": clear_context,
    "GetContextFileDownloadUrl": get_download_url,
    "GetContextFileUploadUrl": get_upload_url,
    "DeleteContextFile": delete_context_file,
    "DescribeContextFiles": describe_context_files,
}
"""Every action the emulator serves, by its wire name."""


def run_action(name: str, env: ActionEnv, params: Params) -> dict[str, Any]:
    """Run one action; raises ApiError for failures (and for an unknown name)."""
    action = ACTIONS.get(name)
    if action is None:
        raise unknown_action(name)
    return action(env, params)
