"""Tests for gainrl.hub.server through the real `huggingface_hub` client (and raw HTTP where a client would refuse
to send the request), against `gainrl hub serve` in a child process.

Run: python -m pytest tests/test_hub_server.py -v
"""

import base64
import json
import os
import threading

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
