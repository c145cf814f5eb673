"""Tests for gainrl.hub.server through the real `huggingface_hub` client (and raw HTTP where a client would refuse
to send the request), against `gainrl hub serve` in a child process.

Run: python -m pytest tests/hub/test_hub_server.py -v
"""

import base64
import hashlib
import hmac
import json
import os
import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from gainrl.hub.process import LocalHubProcess

LFS_SIZE = 10 * 1024 * 1024 + 123


@pytest.fixture
def folder(tmp_path):
    """README with metadata, a nested text file and a binary file above the LFS threshold."""
    root = tmp_path / "upload"
    (root / "sub").mkdir(parents=True)
    (root / "README.md").write_text("---\nlicense: mit\ntags: [gainrl-test]\n---\n# Test repo\n")
    (root / "sub" / "a.txt").write_text("hello")
    (root / "weights.bin").write_bytes(os.urandom(LFS_SIZE))
    return root


def test_upload_folder_and_read_it_back(api, repo_name, folder, tmp_path):
    api.create_repo(repo_name)
    api.upload_folder(repo_id=repo_name, folder_path=folder)
    assert sorted(api.list_repo_files(repo_name)) == [".gitattributes", "README.md", "sub/a.txt", "weights.bin"]
    tree = {entry.path: entry for entry in api.list_repo_tree(repo_name)}
    assert type(tree["sub"]).__name__ == "RepoFolder" and "sub/a.txt" not in tree
    info = api.model_info(repo_name, files_metadata=True)
    siblings = {s.rfilename: s for s in info.siblings}
    assert siblings["weights.bin"].lfs.size == LFS_SIZE and siblings["sub/a.txt"].lfs is None
    assert info.card_data.license == "mit" and "gainrl-test" in info.tags
    downloaded = hf_hub_download(repo_name, "weights.bin", cache_dir=tmp_path / "cache")
    assert open(downloaded, "rb").read() == (folder / "weights.bin").read_bytes()
    snapshot = snapshot_download(repo_name, cache_dir=tmp_path / "cache2")
    assert open(os.path.join(snapshot, "sub", "a.txt")).read() == "hello"


def test_upload_file_to_a_branch_and_download_by_branch_and_sha(api, repo_name, tmp_path):
    api.create_repo(repo_name)
    api.create_branch(repo_name, branch="dev")
    info = api.upload_file(path_or_fileobj=b"on dev", path_in_repo="x.txt", repo_id=repo_name, revision="dev")
    assert not api.file_exists(repo_name, "x.txt") and api.file_exists(repo_name, "x.txt", revision="dev")
    by_branch = hf_hub_download(repo_name, "x.txt", revision="dev", cache_dir=tmp_path)
    by_sha = hf_hub_download(repo_name, "x.txt", revision=info.oid, cache_dir=tmp_path / "2")
    assert open(by_branch).read() == open(by_sha).read() == "on dev"


def test_reupload_of_identical_content_is_a_no_op(api, repo_name, folder):
    api.create_repo(repo_name)
    api.upload_folder(repo_id=repo_name, folder_path=folder)
    commits_before = len(api.list_repo_commits(repo_name))
    api.upload_folder(repo_id=repo_name, folder_path=folder)
    assert len(api.list_repo_commits(repo_name)) == commits_before


def test_refs_tags_commits_and_deletes(api, repo_name):
    api.create_repo(repo_name)
    api.upload_file(path_or_fileobj=b"1", path_in_repo="a.txt", repo_id=repo_name, commit_message="add a")
    api.create_branch(repo_name, branch="step-1")
    api.create_tag(repo_name, tag="v0.1", tag_message="first")
    refs = api.list_repo_refs(repo_name)
    assert {b.name for b in refs.branches} == {"main", "step-1"} and [t.name for t in refs.tags] == ["v0.1"]
    assert [c.title for c in api.list_repo_commits(repo_name)] == ["add a", "initial commit"]
    api.delete_file("a.txt", repo_name)
    assert not api.file_exists(repo_name, "a.txt") and api.file_exists(repo_name, "a.txt", revision="v0.1")
    api.delete_branch(repo_name, branch="step-1")
    api.delete_tag(repo_name, tag="v0.1")
    assert [b.name for b in api.list_repo_refs(repo_name).branches] == ["main"]
    api.delete_repo(repo_name)
    assert not api.repo_exists(repo_name)


def test_paths_info(api, repo_name):
    api.create_repo(repo_name)
    api.upload_file(path_or_fileobj=b"x", path_in_repo="d/e.txt", repo_id=repo_name)
    infos = {i.path: type(i).__name__ for i in api.get_paths_info(repo_name, ["d", "d/e.txt", "missing"])}
    assert infos == {"d": "RepoFolder", "d/e.txt": "RepoFile"}


@pytest.mark.parametrize("repo_type", ["dataset", "space"])
def test_dataset_and_space_repos(api, repo_name, repo_type):
    extra = {"space_sdk": "gradio"} if repo_type == "space" else {}
    url = api.create_repo(repo_name, repo_type=repo_type, **extra)
    assert url.repo_type == repo_type and url.repo_id == repo_name
    readme = "---\nsdk: gradio\nmodels: [tester/m]\n---\n" if repo_type == "space" else "---\nlicense: mit\n---\n"
    api.upload_file(path_or_fileobj=readme.encode(), path_in_repo="README.md", repo_id=repo_name, repo_type=repo_type)
    info = api.repo_info(repo_name, repo_type=repo_type, files_metadata=True)
    assert {s.rfilename for s in info.siblings} == {".gitattributes", "README.md"}
    if repo_type == "space":
        assert api.space_info(repo_name).sdk == "gradio" and info.models == ["tester/m"]
    else:
        assert api.dataset_info(repo_name).card_data.license == "mit"
    assert not api.repo_exists(repo_name)  # the same id as a model repo does not exist


def test_typed_errors(api, repo_name, tmp_path):
    api.create_repo(repo_name)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("tester/does-not-exist")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("tester/does-not-exist", "config.json", cache_dir=tmp_path)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(repo_name, ".gitattributes", revision="no-branch", cache_dir=tmp_path)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo_name, "missing.json", cache_dir=tmp_path)
    with pytest.raises(EntryNotFoundError):
        api.delete_file("missing.json", repo_name)


def test_conflicts_are_409(api, repo_name):
    api.create_repo(repo_name)
    with pytest.raises(HfHubHTTPError) as error:
        api.create_repo(repo_name)
    assert error.value.response.status_code == 409
    api.create_repo(repo_name, exist_ok=True)
    api.create_branch(repo_name, branch="b")
    with pytest.raises(HfHubHTTPError) as error:
        api.create_branch(repo_name, branch="b")
    assert error.value.response.status_code == 409
    api.create_branch(repo_name, branch="b", exist_ok=True)


def test_stale_parent_commit_gets_412(api, repo_name):
    api.create_repo(repo_name)
    parent = api.model_info(repo_name).sha
    api.upload_file(path_or_fileobj=b"1", path_in_repo="one", repo_id=repo_name, parent_commit=parent)
    with pytest.raises(HfHubHTTPError) as error:
        api.upload_file(path_or_fileobj=b"2", path_in_repo="two", repo_id=repo_name, parent_commit=parent)
    assert error.value.response.status_code == 412
    assert not api.file_exists(repo_name, "two")


def test_eight_concurrent_commits_to_one_repo_all_land(api, repo_name):
    api.create_repo(repo_name)
    errors = []

    def commit(index):
        try:
            HfApi().create_commit(repo_name, [CommitOperationAdd(f"f{index}.txt", str(index).encode())],
                                  commit_message=f"commit {index}")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=commit, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {f"f{i}.txt" for i in range(8)} <= set(api.list_repo_files(repo_name))
    assert len(api.list_repo_commits(repo_name)) == 9


def _ndjson(*lines) -> bytes:
    return "\n".join(json.dumps(line) for line in lines).encode()


@pytest.mark.parametrize("url", [
    "/api/models/../etc/passwd",
    "/api/models/tester/..%2F..%2Fx",
    "/api/models/tester/x/tree/main/..%2F..%2F..",
    "/tester/..%2F..%2Fetc/resolve/main/passwd",
    "/api/models/tester/x/revision/..%2F..%2Frepo.json",
])
def test_path_traversal_in_urls_is_refused(hub, url):
    response = httpx.get(hub.endpoint + url)
    assert response.status_code in (400, 404)
    assert "root:" not in response.text


def test_path_traversal_in_commits_and_refs_is_refused(api, hub, repo_name):
    api.create_repo(repo_name)
    header = {"key": "header", "value": {"summary": "evil"}}
    for path in ("../../evil.txt", "/abs.txt", ".git/config"):
        file = {"key": "file", "value": {"path": path, "content": base64.b64encode(b"x").decode(),
                                         "encoding": "base64"}}
        response = httpx.post(f"{hub.endpoint}/api/models/{repo_name}/commit/main", content=_ndjson(header, file),
                              headers={"Content-Type": "application/x-ndjson"})
        assert response.status_code == 400, path
    response = httpx.post(f"{hub.endpoint}/api/models/{repo_name}/branch/..%2F..%2Fx")
    assert response.status_code == 400
    response = httpx.post(f"{hub.endpoint}/api/repos/create", json={"name": "..", "organization": "tester"})
    assert response.status_code == 400
    assert api.list_repo_files(repo_name) == [".gitattributes"]


def test_malformed_commit_names_the_line_and_field(api, hub, repo_name):
    api.create_repo(repo_name)
    body = _ndjson({"key": "header", "value": {"summary": "s"}}, {"key": "file", "value": {"path": "a.txt"}})
    response = httpx.post(f"{hub.endpoint}/api/models/{repo_name}/commit/main", content=body)
    assert response.status_code == 400
    assert "line 2" in response.json()["error"] and "content" in response.json()["error"]


def test_token_is_required_when_configured(tmp_path):
    with LocalHubProcess(tmp_path / "root", token="s3cret") as server:
        assert HfApi(endpoint=server.endpoint, token="s3cret").create_repo("tester/private-hub").repo_id
        with pytest.raises(HfHubHTTPError) as error:
            HfApi(endpoint=server.endpoint, token="wrong").model_info("tester/private-hub")
        assert error.value.response.status_code == 401
        big = os.urandom(LFS_SIZE)  # LFS uploads go through presigned URLs that carry no token
        HfApi(endpoint=server.endpoint, token="s3cret").upload_file(
            path_or_fileobj=big, path_in_repo="w.bin", repo_id="tester/private-hub")
        path = hf_hub_download("tester/private-hub", "w.bin", endpoint=server.endpoint, token="s3cret",
                               cache_dir=tmp_path / "cache")
        assert open(path, "rb").read() == big


def test_unsigned_lfs_upload_is_refused(hub):
    response = httpx.put(f"{hub.endpoint}/lfs-upload/{'a' * 64}?size=3", content=b"abc")
    assert response.status_code == 400


def test_data_survives_a_restart(api, hub, repo_name, folder, tmp_path):
    api.create_repo(repo_name)
    api.upload_folder(repo_id=repo_name, folder_path=folder)
    api.create_branch(repo_name, branch="kept")
    sha = api.model_info(repo_name).sha
    hub.restart()
    assert api.model_info(repo_name).sha == sha
    assert {b.name for b in api.list_repo_refs(repo_name).branches} == {"main", "kept"}
    path = hf_hub_download(repo_name, "weights.bin", revision="kept", cache_dir=tmp_path / "after-restart")
    assert open(path, "rb").read() == (folder / "weights.bin").read_bytes()


def test_range_requests_get_206(api, hub, repo_name):
    api.create_repo(repo_name)
    api.upload_file(path_or_fileobj=b"0123456789", path_in_repo="digits.txt", repo_id=repo_name)
    response = httpx.get(f"{hub.endpoint}/{repo_name}/resolve/main/digits.txt", headers={"Range": "bytes=2-4"})
    assert response.status_code == 206 and response.content == b"234"
    assert response.headers["X-Repo-Commit"] == api.model_info(repo_name).sha


@pytest.mark.parametrize("method,url,body", [
    ("POST", "/api/models/{repo}/preupload/main", {"files": [{"size": 3}]}),
    ("POST", "/{repo}.git/info/lfs/objects/batch", {"operation": "upload", "objects": [{"size": 3}]}),
    ("POST", "/{repo}.git/info/lfs/objects/batch", {"operation": "upload", "objects": [{"oid": "../x", "size": 3}]}),
    ("POST", "/api/repos/create", {"organization": "tester"}),
    ("PUT", "/lfs-upload/" + "a" * 64 + "?size=abc&sig=x", None),
])
def test_malformed_requests_get_400_not_a_server_error(api, hub, repo_name, method, url, body):
    api.create_repo(repo_name)
    response = httpx.request(method, hub.endpoint + url.format(repo=repo_name), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]


# ---------------------------------------------------------------------- hostile input: 4xx, never a 500 or a drop

def test_non_latin1_value_in_an_error_gives_the_typed_404(api, hub, repo_name, tmp_path):
    api.create_repo(repo_name)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo_name, "prix-€.txt", cache_dir=tmp_path)
    response = httpx.get(f"{hub.endpoint}/api/models/{repo_name}/revision/%E2%82%AC")
    assert response.status_code == 404 and response.headers["X-Error-Code"] == "RevisionNotFound"
    assert "€" in response.json()["error"]


@pytest.mark.parametrize("value", ["a%0Db", "a%0Ab", "a%00b", "%0D%0AX-Injected:%201"])
def test_control_characters_in_values_get_a_4xx_not_a_dropped_connection(api, hub, repo_name, value):
    api.create_repo(repo_name)
    for url in (f"/{repo_name}/resolve/{value}/x.txt", f"/{repo_name}/resolve/main/{value}",
                f"/api/models/{repo_name}/tree/{value}"):
        response = httpx.get(hub.endpoint + url)
        assert 400 <= response.status_code < 500, url
        assert response.json()["error"] and "X-Injected" not in response.headers


@pytest.mark.parametrize("method,url,body", [
    ("POST", "/api/models/{repo}/preupload/main", {"files": [{"path": 1, "size": 3}]}),
    ("POST", "/api/models/{repo}/preupload/main", {"files": [{"path": "a", "size": "3"}]}),
    ("POST", "/api/models/{repo}/preupload/main", {"files": "a"}),
    ("POST", "/api/models/{repo}/paths-info/main", {"paths": [1]}),
    ("POST", "/api/models/{repo}/branch/dev", {"startingPoint": 5}),
    ("POST", "/api/models/{repo}/tag/main", {"tag": ["v1"]}),
    ("POST", "/api/models/{repo}/tag/main", {"tag": "v1", "message": {"a": 1}}),
    ("POST", "/api/repos/create", {"name": "x", "organization": 3}),
    ("POST", "/api/repos/create", {"name": "tester/x", "type": ["model"]}),
    ("POST", "/{repo}.git/info/lfs/objects/batch", {"operation": "upload", "objects": [{"oid": 5, "size": 1}]}),
    ("POST", "/{repo}.git/info/lfs/objects/batch", {"operation": "upload", "objects": [{"oid": "a" * 64,
                                                                                          "size": "1"}]}),
    ("POST", "/lfs-verify/" + "a" * 64, {"size": "big"}),
    ("POST", "/api/validate-yaml", {"content": 5}),
])
def test_wrong_field_types_get_400_naming_the_field(api, hub, repo_name, method, url, body):
    api.create_repo(repo_name)
    response = httpx.request(method, hub.endpoint + url.format(repo=repo_name), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]


@pytest.mark.parametrize("header", [{"key": "header", "value": "summary"},
                                    {"key": "header", "value": {"summary": ["a"]}},
                                    {"key": "header", "value": {"summary": "s", "parentCommit": 7}}])
def test_wrong_types_in_a_commit_header_get_400(api, hub, repo_name, header):
    api.create_repo(repo_name)
    response = httpx.post(f"{hub.endpoint}/api/models/{repo_name}/commit/main", content=_ndjson(header))
    assert response.status_code == 400, response.text


def test_invalid_base64_is_refused_not_altered(api, hub, repo_name):
    api.create_repo(repo_name)
    file = {"key": "file", "value": {"path": "a.txt", "content": "aGVs*bG8=", "encoding": "base64"}}
    response = httpx.post(f"{hub.endpoint}/api/models/{repo_name}/commit/main",
                          content=_ndjson({"key": "header", "value": {"summary": "s"}}, file))
    assert response.status_code == 400 and "line 2" in response.json()["error"]
    sample = httpx.post(f"{hub.endpoint}/api/models/{repo_name}/preupload/main",
                        json={"files": [{"path": "a.txt", "size": 5, "sample": "aGVs bG8="}]})
    assert sample.status_code == 400
    assert api.list_repo_files(repo_name) == [".gitattributes"]


def test_regular_file_over_the_announced_lfs_threshold_is_refused(api, hub, repo_name):
    api.create_repo(repo_name)
    big = b"x" * (10 * 1024 * 1024 + 1)
    answer = httpx.post(f"{hub.endpoint}/api/models/{repo_name}/preupload/main",
                        json={"files": [{"path": "big.txt", "size": len(big), "sample": ""}]}).json()
    assert answer["files"][0]["uploadMode"] == "lfs"
    file = {"key": "file", "value": {"path": "big.txt", "content": base64.b64encode(big).decode(),
                                     "encoding": "base64"}}
    response = httpx.post(f"{hub.endpoint}/api/models/{repo_name}/commit/main", timeout=60,
                          content=_ndjson({"key": "header", "value": {"summary": "s"}}, file))
    assert response.status_code == 413 and "LFS" in response.json()["error"]
    assert api.list_repo_files(repo_name) == [".gitattributes"]


def test_oversized_json_body_is_refused_from_its_declared_length(api, hub, repo_name):
    api.create_repo(repo_name)
    response = _raw_request(hub, f"POST /api/models/{repo_name}/preupload/main", {"Content-Length": str(1 << 30)},
                            b'{"files": [')
    assert response.startswith(b"HTTP/1.1 413")


def _raw_request(hub, request_line: str, headers: dict, body_start: bytes) -> bytes:
    """Send a request head and the start of a body, then read what the server answers without the rest."""
    head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": "x", **headers}.items())
    with socket.create_connection(("127.0.0.1", hub.port), timeout=30) as sock:
        sock.sendall(f"{request_line} HTTP/1.1\r\n{head}\r\n".encode() + body_start)
        return sock.recv(65536)


def _upload_href(hub, repo_name: str, oid: str, size: int) -> str:
    batch = httpx.post(f"{hub.endpoint}/{repo_name}.git/info/lfs/objects/batch",
                       json={"operation": "upload", "objects": [{"oid": oid, "size": size}]}).json()
    return batch["objects"][0]["actions"]["upload"]["href"]


def test_upload_urls_expire_and_their_expiry_is_signed(api, hub, repo_name):
    api.create_repo(repo_name)
    data = b"lfs content"
    oid = hashlib.sha256(data).hexdigest()
    href = _upload_href(hub, repo_name, oid, len(data))
    query = parse_qs(urlsplit(href).query)
    assert int(query["expires"][0]) > time.time()
    past = int(time.time()) - 1
    secret = (hub.root / ".upload-secret").read_text().encode()
    signature = hmac.new(secret, f"{oid}:{len(data)}:{past}".encode(), hashlib.sha256).hexdigest()
    expired = httpx.put(f"{hub.endpoint}/lfs-upload/{oid}?size={len(data)}&expires={past}&sig={signature}",
                        content=data)
    assert expired.status_code == 403 and "expired" in expired.json()["error"]
    tampered = href.replace(f"expires={query['expires'][0]}", f"expires={int(query['expires'][0]) + 10**6}")
    assert httpx.put(tampered, content=data).status_code == 400
    assert httpx.put(href, content=data).status_code == 200


def test_lfs_upload_of_the_wrong_size_is_refused_before_its_end(api, hub, repo_name):
    api.create_repo(repo_name)
    size = 1000
    path = urlsplit(_upload_href(hub, repo_name, "b" * 64, size))
    target = f"PUT {path.path}?{path.query}"
    declared_larger = _raw_request(hub, target, {"Content-Length": str(100 << 20)}, b"x" * 1000)
    assert declared_larger.startswith(b"HTTP/1.1 400")
    chunk = b"y" * (size + 1)  # chunked, no declared length: refused once one byte more than the size arrived
    longer = _raw_request(hub, target, {"Transfer-Encoding": "chunked"}, b"%x\r\n%s\r\n" % (len(chunk), chunk))
    assert longer.startswith(b"HTTP/1.1 400")


def test_stalled_connections_do_not_lock_the_server_out(hub):
    stalled = []
    try:
        for _ in range(300):
            sock = socket.create_connection(("127.0.0.1", hub.port), timeout=60)
            sock.sendall(b"GET /api/whoami-v2 HTT")
            stalled.append(sock)
        assert httpx.get(f"{hub.endpoint}/api/whoami-v2", timeout=30).status_code == 200
        assert stalled[0].recv(1024) == b""  # the server closed it: no request head within its deadline
    finally:
        for sock in stalled:
            sock.close()


def test_leftovers_in_tmp_are_cleaned_at_start(hub):
    leftover = hub.root / "tmp" / "crashed-upload"
    leftover.write_bytes(b"partial")
    (hub.root / "tmp" / "repo-crashed").mkdir()
    hub.restart()
    assert not any((hub.root / "tmp").iterdir())


def test_trees_git_cannot_hold_are_refused(api, repo_name):
    api.create_repo(repo_name)
    with pytest.raises(HfHubHTTPError) as error:
        api.create_commit(repo_name, [CommitOperationAdd("a", b"1"), CommitOperationAdd("a/b.txt", b"2")],
                          commit_message="both")
    assert error.value.response.status_code == 400
    api.upload_file(path_or_fileobj=b"1", path_in_repo="a", repo_id=repo_name)
    api.upload_file(path_or_fileobj=b"2", path_in_repo="d/e/f.txt", repo_id=repo_name)
    for path in ("a/b.txt", "d/e"):  # a file under an existing file, a file over an existing folder
        with pytest.raises(HfHubHTTPError) as error:
            api.upload_file(path_or_fileobj=b"3", path_in_repo=path, repo_id=repo_name)
        assert error.value.response.status_code == 400
    assert sorted(api.list_repo_files(repo_name)) == [".gitattributes", "a", "d/e/f.txt"]


@pytest.mark.parametrize("name", [".a", "a.", "x/.y", "-x", "HEAD", "a/b.lock/c", "@", "a@{1}", "a~1", "a^", "a:b",
                                  "a?", "a*", "a[", "a\\b", "x/", "a//b", "a\x01b", "a b"])
def test_ref_names_git_refuses_are_refused(api, repo_name, name):
    api.create_repo(repo_name)
    for create in (lambda: api.create_branch(repo_name, branch=name), lambda: api.create_tag(repo_name, tag=name)):
        with pytest.raises(HfHubHTTPError) as error:
            create()
        assert error.value.response.status_code == 400
    refs = api.list_repo_refs(repo_name)
    assert [b.name for b in refs.branches] == ["main"] and refs.tags == []


# ---------------------------------------------------------------------- issue 21: the rest of the client surface

def _commit(api, repo_name, message, files: dict) -> str:
    operations = [CommitOperationAdd(path, data) for path, data in files.items()]
    return api.create_commit(repo_name, operations, commit_message=message).oid


def test_expand_gives_the_last_commit_of_files_and_folders(api, repo_name):
    api.create_repo(repo_name)
    first = _commit(api, repo_name, "first", {"a.txt": b"1", "d/x.txt": b"2", "d/e/y.txt": b"3"})
    second = _commit(api, repo_name, "second", {"d/e/y.txt": b"changed"})
    third = _commit(api, repo_name, "third", {"a.txt": b"changed"})
    api.delete_file("d/x.txt", repo_name, commit_message="fourth")
    fourth = api.model_info(repo_name).sha
    tree = {e.path: e.last_commit for e in api.list_repo_tree(repo_name, recursive=True, expand=True)}
    names = {path: (commit.oid, commit.title) for path, commit in tree.items()}
    assert names == {"a.txt": (third, "third"), "d": (fourth, "fourth"), "d/e": (second, "second"),
                     "d/e/y.txt": (second, "second"), ".gitattributes": names[".gitattributes"]}
    assert tree["a.txt"].date.tzinfo is not None
    at_first = api.get_paths_info(repo_name, ["a.txt", "d", "d/x.txt"], expand=True, revision=first[:7])
    assert {info.path: info.last_commit.oid for info in at_first} == {"a.txt": first, "d": first, "d/x.txt": first}
    assert all(e.last_commit is None for e in api.list_repo_tree(repo_name, recursive=True))


def test_super_squash_keeps_the_tree_in_one_commit(api, hub, repo_name):
    api.create_repo(repo_name)
    _commit(api, repo_name, "one", {"a": b"1"})
    _commit(api, repo_name, "two", {"b": b"2"})
    files = sorted(api.list_repo_files(repo_name))
    api.create_tag(repo_name, tag="v1")
    api.super_squash_history(repo_name, commit_message="squashed")
    hub.restart()
    assert [c.title for c in api.list_repo_commits(repo_name)] == ["squashed"]
    assert sorted(api.list_repo_files(repo_name)) == files
    assert len(api.list_repo_commits(repo_name, revision="v1")) == 3  # the tag still points at the old history
    with pytest.raises(HfHubHTTPError) as error:
        api.super_squash_history(repo_name, branch="v1")
    assert error.value.response.status_code == 400


def test_settings_are_stored_and_returned_by_repo_info(api, hub, repo_name):
    api.create_repo(repo_name)
    api.update_repo_settings(repo_name, private=True, gated="auto")
    hub.restart()
    info = api.model_info(repo_name)
    assert info.private is True and info.gated == "auto"
    api.update_repo_settings(repo_name, gated=False)
    info = api.model_info(repo_name)
    assert info.private is True and info.gated is False
    response = httpx.put(f"{hub.endpoint}/api/models/{repo_name}/settings", json={"gated": "sometimes"})
    assert response.status_code == 400 and "gated" in response.json()["error"]


def test_move_keeps_history_and_refs_and_frees_the_old_id(api, hub, repo_name):
    api.create_repo(repo_name)
    _commit(api, repo_name, "one", {"a": b"1"})
    api.create_branch(repo_name, branch="dev")
    api.create_tag(repo_name, tag="v1")
    commits = [c.commit_id for c in api.list_repo_commits(repo_name)]
    new_name = repo_name + "-moved"
    api.move_repo(repo_name, new_name)
    hub.restart()
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(repo_name)
    assert [c.commit_id for c in api.list_repo_commits(new_name)] == commits
    refs = api.list_repo_refs(new_name)
    assert {b.name for b in refs.branches} == {"main", "dev"} and [t.name for t in refs.tags] == ["v1"]
    api.create_repo(repo_name)
    with pytest.raises(HfHubHTTPError) as error:
        api.move_repo(new_name, repo_name)
    assert error.value.response.status_code == 409


def test_duplicate_makes_a_new_repo_with_the_same_tree(api, hub, repo_name, tmp_path):
    api.create_repo(repo_name, repo_type="dataset")
    head = api.create_commit(repo_name, [CommitOperationAdd("data/x.csv", b"a\n1\n")], repo_type="dataset",
                             commit_message="data").oid
    copy = api.duplicate_repo(repo_name, to_id=repo_name + "-copy", repo_type="dataset", private=True)
    assert copy.repo_id == repo_name + "-copy"
    hub.restart()
    source, duplicate = (api.dataset_info(r, files_metadata=True) for r in (repo_name, repo_name + "-copy"))
    assert [(s.rfilename, s.blob_id) for s in duplicate.siblings] == [(s.rfilename, s.blob_id) for s in source.siblings]
    assert duplicate.private is True and source.private is False and source.sha == head
    with pytest.raises(HfHubHTTPError) as error:
        api.duplicate_repo(repo_name, to_id=repo_name + "-copy", repo_type="dataset")
    assert error.value.response.status_code == 409
    api.duplicate_repo(repo_name, to_id=repo_name + "-copy", repo_type="dataset", exist_ok=True)


def test_auth_check(api, repo_name):
    api.create_repo(repo_name)
    api.auth_check(repo_name)
    api.auth_check(repo_name, write=True)
    with pytest.raises(RepositoryNotFoundError):
        api.auth_check(repo_name + "-missing")


def test_refs_with_pull_requests_is_an_empty_list(api, repo_name):
    api.create_repo(repo_name)
    assert api.list_repo_refs(repo_name, include_pull_requests=True).pull_requests == []


def test_short_shas_resolve_as_parent_commit_and_revision(api, hub, repo_name, tmp_path):
    api.create_repo(repo_name)
    head = api.model_info(repo_name).sha
    new = api.upload_file(path_or_fileobj=b"1", path_in_repo="a.txt", repo_id=repo_name, parent_commit=head[:7]).oid
    with pytest.raises(HfHubHTTPError) as error:
        api.upload_file(path_or_fileobj=b"2", path_in_repo="b.txt", repo_id=repo_name, parent_commit=head[:7])
    assert error.value.response.status_code == 412
    assert api.model_info(repo_name, revision=new[:7]).sha == new
    assert open(hf_hub_download(repo_name, "a.txt", revision=new[:10], cache_dir=tmp_path)).read() == "1"
    commits = hub.root / "repos" / "models" / repo_name / "commits"  # forge a second id with the same prefix
    (commits / f"{new[:7]}{'0' * 33}.json").write_bytes((commits / f"{new}.json").read_bytes())
    with pytest.raises(RevisionNotFoundError, match="ambiguous"):
        api.model_info(repo_name, revision=new[:7])
    assert api.model_info(repo_name, revision=new).sha == new
