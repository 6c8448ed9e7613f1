"""Files: presigned URLs, streamed transfers, listing, deleting, signatures, traversal."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from emulator_support import FILE_KEYS, Api


def _tamper(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_url_shapes(api: Api, shared_emulator: tuple[str, Path]) -> None:
    context_id = api.create()
    for action in ("GetContextFileUploadUrl", "GetContextFileDownloadUrl"):
        body = api.call(action, ContextId=context_id, FilePath="/docs/a.txt")
        data = body["Data"]
        assert set(data) == {"Url", "ExpireTime"}
        assert data["ExpireTime"] == 3600  # the URL's lifetime in seconds
        assert data["Url"].startswith(shared_emulator[0] + "/files/" + context_id + "?")


def test_urls_need_an_existing_context(api: Api) -> None:
    body = api.fail("GetContextFileUploadUrl", ContextId="ctx-0000000000000000", FilePath="/a")
    assert body["Code"] == "InvalidContext.NotFound"


def test_round_trip_of_a_multi_megabyte_file(api: Api) -> None:
    context_id = api.create()
    content = os.urandom(5 * 1024 * 1024 + 123)
    put = api.upload(context_id, "/big/blob.bin", content)
    assert put.headers["etag"] == f'"{hashlib.md5(content).hexdigest()}"'
    url = api.call("GetContextFileDownloadUrl", ContextId=context_id, FilePath="big/blob.bin")[
        "Data"
    ]["Url"]
    digest = hashlib.sha256()
    with api.client.stream("GET", url) as response:
        assert response.status_code == 200
        assert response.headers["content-length"] == str(len(content))
        for chunk in response.iter_bytes():
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(content).hexdigest()


def test_chunked_upload_without_content_length(api: Api) -> None:
    context_id = api.create()
    parts = [os.urandom(300_000) for _ in range(7)]

    def body() -> Iterator[bytes]:
        yield from parts

    url = api.call("GetContextFileUploadUrl", ContextId=context_id, FilePath="/s.bin")["Data"][
        "Url"
    ]
    assert api.client.put(url, content=body()).status_code == 200
    assert api.download(context_id, "/s.bin").content == b"".join(parts)


def test_overwrite_replaces_contents_and_keeps_the_file_id(api: Api) -> None:
    context_id = api.create()
    api.upload(context_id, "/f.txt", b"one")
    first = api.children(context_id)[0]
    api.upload(context_id, "/f.txt", b"second")
    second = api.children(context_id)[0]
    assert api.download(context_id, "/f.txt").content == b"second"
    assert second["FileId"] == first["FileId"] and second["Size"] == 6


def test_empty_file(api: Api) -> None:
    context_id = api.create()
    api.upload(context_id, "/empty", b"")
    response = api.download(context_id, "/empty")
    assert response.status_code == 200 and response.content == b""


def test_download_url_of_a_missing_file_is_issued_and_404s(api: Api) -> None:
    context_id = api.create()
    response = api.download(context_id, "/nothing/here.txt")
    assert response.status_code == 404
    assert response.json()["Code"] == "NoSuchKey"


def test_head(api: Api) -> None:
    context_id = api.create()
    api.upload(context_id, "/h.txt", b"12345")
    url = api.call("GetContextFileDownloadUrl", ContextId=context_id, FilePath="/h.txt")["Data"][
        "Url"
    ]
    response = api.client.head(url)
    assert response.status_code == 200 and response.headers["content-length"] == "5"


def test_paths_are_normalised(api: Api) -> None:
    context_id = api.create()
    api.upload(context_id, "a//b/./c.txt", b"x")
    for spelling in ("/a/b/c.txt", "a/b/c.txt", "./a//b/c.txt", "/a/b/c.txt/"):
        assert api.download(context_id, spelling).content == b"x", spelling
    assert api.children(context_id, "a/b")[0]["FilePath"] == "/a/b/c.txt"


def test_listing_shows_direct_children_only(api: Api) -> None:
    context_id = api.create()
    for path in ("/top.txt", "/docs/a.txt", "/docs/b.txt", "/docs/deep/c.txt", "/img/x/y.png"):
        api.upload(context_id, path, path.encode())
    root = api.children(context_id, "/")
    assert [(entry["FileName"], entry["FileType"]) for entry in root] == [
        ("docs", "folder"),
        ("img", "folder"),
        ("top.txt", "file"),
    ]
    for entry in root:
        assert set(entry) == FILE_KEYS
    top = root[2]
    assert top["FilePath"] == "/top.txt" and top["Size"] == len(b"/top.txt")
    assert top["FileId"] and top["Status"] == "available"
    docs = api.children(context_id, "/docs")
    assert [(entry["FilePath"], entry["FileType"]) for entry in docs] == [
        ("/docs/deep", "folder"),
        ("/docs/a.txt", "file"),
        ("/docs/b.txt", "file"),
    ]
    assert api.children(context_id, "docs/") == docs
    assert api.children(context_id, "/missing") == []
    body = api.call("DescribeContextFiles", ContextId=context_id)  # no folder: the root
    assert body["Count"] == 3


def test_listing_pages_by_number(api: Api) -> None:
    context_id = api.create()
    for index in range(7):
        api.upload(context_id, f"/f{index}.txt", b".")
    for index in range(3):
        api.upload(context_id, f"/d{index}/x", b".")
    names: list[str] = []
    for page in (1, 2, 3):
        body = api.call(
            "DescribeContextFiles",
            ContextId=context_id,
            ParentFolderPath="/",
            PageNumber=page,
            PageSize=4,
        )
        assert body["Count"] == 10 and "NextToken" not in body
        names += [entry["FileName"] for entry in body["Data"]]
    assert names == ["d0", "d1", "d2", *[f"f{index}.txt" for index in range(7)]]
    beyond = api.call("DescribeContextFiles", ContextId=context_id, PageNumber=4, PageSize=4)
    assert beyond["Data"] == [] and beyond["Count"] == 10


def test_listing_pages_by_token(api: Api) -> None:
    context_id = api.create()
    for index in range(10):
        api.upload(context_id, f"/t/f{index:02d}", b".")
    names: list[str] = []
    token = None
    pages = 0
    while True:
        body = api.call(
            "DescribeContextFiles",
            ContextId=context_id,
            ParentFolderPath="/t",
            MaxResults=3,
            NextToken=token,
        )
        pages += 1
        assert body["MaxResults"] == 3 and body["Count"] == 10
        names += [entry["FileName"] for entry in body["Data"]]
        token = body.get("NextToken")
        if token is None:
            break
    assert pages == 4 and names == [f"f{index:02d}" for index in range(10)]


def test_delete_file_and_folder(api: Api) -> None:
    context_id = api.create()
    for path in ("/keep.txt", "/gone.txt", "/dir/a", "/dir/sub/b", "/dirx"):
        api.upload(context_id, path, b".")
    body = api.call("DeleteContextFile", ContextId=context_id, FilePath="gone.txt")
    assert "Data" not in body
    assert api.download(context_id, "/gone.txt").status_code == 404
    api.call("DeleteContextFile", ContextId=context_id, FilePath="/dir")  # a whole folder
    assert [entry["FileName"] for entry in api.children(context_id)] == ["dirx", "keep.txt"]
    body = api.fail("DeleteContextFile", ContextId=context_id, FilePath="/gone.txt")
    assert body["Code"] == "InvalidFile.NotFound" and body["HttpStatusCode"] == 404
    body = api.fail("DeleteContextFile", ContextId="ctx-0000000000000000", FilePath="/a")
    assert body["Code"] == "InvalidContext.NotFound"


def test_signature_tampering_is_403(api: Api) -> None:
    context_id = api.create()
    other = api.create()
    api.upload(context_id, "/secret.txt", b"secret")
    api.upload(context_id, "/other.txt", b"other")
    url = api.call("GetContextFileDownloadUrl", ContextId=context_id, FilePath="/secret.txt")[
        "Data"
    ]["Url"]
    assert api.client.get(url).status_code == 200
    sig = parse_qs(urlsplit(url).query)["sig"][0]
    forged = ("0" if sig[0] != "0" else "1") + sig[1:]
    tampered = [
        _tamper(url, sig=forged),
        _tamper(url, path="/other.txt"),
        _tamper(url, exp="9999999999"),
        _tamper(url, acct="someone-else"),
        url.replace(context_id, other),
        _tamper(url, sig=""),
        _tamper(url, sig="é"),
    ]
    for bad in tampered:
        response = api.client.get(bad)
        assert response.status_code == 403, bad
        assert response.json()["Code"] in ("SignatureDoesNotMatch", "AccessDenied")


def test_wrong_method_is_403(api: Api) -> None:
    context_id = api.create()
    api.upload(context_id, "/f.txt", b"original")
    down = api.call("GetContextFileDownloadUrl", ContextId=context_id, FilePath="/f.txt")["Data"][
        "Url"
    ]
    up = api.call("GetContextFileUploadUrl", ContextId=context_id, FilePath="/f.txt")["Data"]["Url"]
    assert api.client.put(down, content=b"overwrite").status_code == 403
    assert api.client.get(up).status_code == 403
    assert api.client.put(_tamper(down, method="PUT"), content=b"x").status_code == 403
    assert api.client.post(up, content=b"x").status_code == 405
    assert api.download(context_id, "/f.txt").content == b"original"


@pytest.mark.parametrize(
    "path",
    [
        "../escape.txt",
        "/../../etc/passwd",
        "a/../../b",
        "a/..",
        "..",
        "/",
        "",
        "./",
        "a\x00b",
    ],
)
def test_traversal_and_empty_paths_are_refused(api: Api, path: str) -> None:
    context_id = api.create()
    for action in ("GetContextFileUploadUrl", "GetContextFileDownloadUrl", "DeleteContextFile"):
        body = api.fail(action, 400, ContextId=context_id, FilePath=path)
        assert body["Code"] in ("InvalidParameter.FilePath", "MissingParameter"), body


def test_traversal_in_listing_is_refused(api: Api) -> None:
    context_id = api.create()
    body = api.fail("DescribeContextFiles", 400, ContextId=context_id, ParentFolderPath="/a/../..")
    assert body["Code"] == "InvalidParameter.ParentFolderPath"


def test_traversal_in_a_presigned_url_never_escapes(
    api: Api, shared_emulator: tuple[str, Path]
) -> None:
    context_id = api.create()
    url = api.call("GetContextFileUploadUrl", ContextId=context_id, FilePath="/ok.txt")["Data"][
        "Url"
    ]
    for path in ("../../../../etc/passwd", "/ok.txt/../../x", "%2e%2e/%2e%2e/x"):
        response = api.client.put(_tamper(url, path=path), content=b"evil")
        assert response.status_code in (400, 403), path
    raw = url.split("?")[0] + "/../../../etc/passwd?" + url.split("?")[1]
    assert api.client.put(raw, content=b"evil").status_code in (400, 403, 404)


def test_odd_names_stay_inside_the_data_dir(api: Api, shared_emulator: tuple[str, Path]) -> None:
    context_id = api.create()
    names = ["..\\..\\evil", "%2e%2e", "ünïcödé ☃.txt", ".hidden", "a b/c d", "...", "-rf"]
    for name in names:
        api.upload(context_id, name, name.encode())
        assert api.download(context_id, name).content == name.encode()
    listed = {entry["FileName"] for entry in api.children(context_id)}
    assert listed == {"..\\..\\evil", "%2e%2e", "ünïcödé ☃.txt", ".hidden", "a b", "...", "-rf"}
    data_dir = shared_emulator[1]
    for path in data_dir.rglob("*"):
        relative = path.relative_to(data_dir)
        assert relative.parts[0] in (
            "blobs",
            "tmp",
            "meta.sqlite3",
            "meta.sqlite3-wal",
            "meta.sqlite3-shm",
            "signing.key",
            "lock",
        ), relative
        if relative.parts[0] == "blobs" and path.is_file():
            assert len(path.name) == 32 and set(path.name) <= set("0123456789abcdef")


def test_upload_to_a_deleted_context_is_404(api: Api) -> None:
    context_id = api.create()
    url = api.call("GetContextFileUploadUrl", ContextId=context_id, FilePath="/f")["Data"]["Url"]
    api.call("DeleteContext", Id=context_id)
    assert api.client.put(url, content=b"late").status_code == 404


def test_files_are_not_visible_to_other_accounts(client: httpx.Client) -> None:
    alice, mallory = Api(client), Api(client)
    context_id = alice.create()
    alice.upload(context_id, "/private.txt", b"mine")
    for action in ("GetContextFileDownloadUrl", "DeleteContextFile"):
        body = mallory.fail(action, ContextId=context_id, FilePath="/private.txt")
        assert body["Code"] == "InvalidContext.NotFound"
    body = mallory.fail("DescribeContextFiles", ContextId=context_id, ParentFolderPath="/")
    assert body["Code"] == "InvalidContext.NotFound"
    assert alice.download(context_id, "/private.txt").content == b"mine"


def test_rpc_accepts_unusual_host_headers(client: httpx.Client, api: Api) -> None:
    context_id = api.create()
    base = str(client.base_url).rstrip("/")
    for host in (base, "bad host!"):
        response = client.post(
            "/",
            params={"Action": "GetContextFileUploadUrl"},
            data={"Authorization": f"Bearer {api.key}", "ContextId": context_id, "FilePath": "/h"},
            headers={"host": host},
        )
        url = response.json()["Data"]["Url"]
        assert url.startswith(base + "/files/"), url
        assert client.put(url, content=b"ok").status_code == 200
