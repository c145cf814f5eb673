"""Request handlers of the local Hub stand-in: one function per route, each `Call -> Response`.

They run in a worker thread (storage calls block on file locks) and raise `HubError`s, which the server turns
into responses with the Hub's status codes and `X-Error-Code` headers.

What it does not cover: routing, authentication and LFS uploads (see `gainrl.hub.server`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from gainrl.hub.payloads import (
    file_entry,
    folder_entry,
    front_matter,
    list_tree,
    parse_commit_payload,
    repo_info_payload,
)
from gainrl.hub.storage import (
    INITIAL_GITATTRIBUTES,
    BadRequest,
    Conflict,
    EntryNotFound,
    HubError,
    RepoId,
    validate_file_path,
)

if TYPE_CHECKING:
    from gainrl.hub.server import LocalHub

LFS_SIZE_THRESHOLD = 10 * 1024 * 1024
LFS_SUFFIXES = tuple(line.split()[0][1:] for line in INITIAL_GITATTRIBUTES.splitlines())


@dataclass
class Call:
    """One request as the handlers see it: decoded path parameters, query, body and server settings."""

    hub: "LocalHub"
    request: Request
    params: dict[str, str]
    body: bytes = b""
    query: dict[str, list[str]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return str(self.request.base_url).rstrip("/")

    @property
    def repo(self) -> RepoId:
        url_type = self.params.get("type") or "models"
        return RepoId(url_type[:-1], self.params["namespace"], self.params["name"])

    def json(self) -> dict:
        if not self.body:
            return {}
        try:
            value = json.loads(self.body)
        except ValueError as error:
            raise BadRequest(f"request body is not valid JSON: {error}") from None
        if not isinstance(value, dict):
            raise BadRequest("request body must be a JSON object")
        return value

    def flag(self, name: str) -> bool:
        return self.query.get(name, ["false"])[-1].lower() in ("1", "true")


def error_response(error: HubError, **extra_fields) -> JSONResponse:
    headers = {"X-Error-Message": error.message.replace("\n", " ")[:500]}
    if error.code:
        headers["X-Error-Code"] = error.code
    return JSONResponse({"error": error.message, **extra_fields}, status_code=error.status, headers=headers)


# ---------------------------------------------------------------------- account and repo lifecycle

def agent_harnesses(call: Call) -> Response:
    return JSONResponse({"standardEnvVars": [], "harnesses": {}})


def whoami(call: Call) -> Response:
    user = call.hub.user
    return JSONResponse({"type": "user", "id": user, "name": user, "fullname": user, "orgs": [],
                         "auth": {"type": "access_token", "accessToken": {"displayName": "local", "role": "write"}}})


def _repo_from_body(call: Call, body: dict) -> RepoId:
    name = body.get("name")
    if not isinstance(name, str):
        raise BadRequest("field 'name' is required")
    namespace = body.get("organization") or call.hub.user
    if "/" in name:
        namespace, name = name.split("/", 1)
    return RepoId(body.get("type") or "model", namespace, name)


def repo_url(call: Call, repo: RepoId) -> str:
    return f"{call.base_url}/{repo.url_prefix}{repo.id}"


def create_repo(call: Call) -> Response:
    body = call.json()
    repo = _repo_from_body(call, body)
    private = body.get("visibility", "private" if body.get("private") else "public") != "public"
    try:
        call.hub.storage.create_repo(repo, private=private, sdk=body.get("sdk"))
    except Conflict as error:  # the client reads `url` from a 409 too when exist_ok=True
        return error_response(error, url=repo_url(call, repo))
    return JSONResponse({"url": repo_url(call, repo), "name": repo.id, "id": repo.id})


def delete_repo(call: Call) -> Response:
    call.hub.storage.delete_repo(_repo_from_body(call, call.json()))
    return JSONResponse({})


def validate_yaml(call: Call) -> Response:
    content = call.json().get("content", "")
    try:
        front_matter(content)
    except ValueError as error:
        return JSONResponse({"errors": [{"message": str(error)}], "warnings": []}, status_code=400)
    return JSONResponse({"errors": [], "warnings": []})


# ---------------------------------------------------------------------- reading repos

def repo_info(call: Call) -> Response:
    revision = call.params.get("revision") or "main"
    return JSONResponse(repo_info_payload(call.hub.storage, call.repo, revision, call.flag("blobs")))


def tree_listing(call: Call) -> Response:
    _, tree = call.hub.storage.tree(call.repo, call.params["revision"])
    folder = (call.params.get("path") or "").strip("/")
    if folder and folder in tree:
        return JSONResponse([file_entry(folder, tree[folder])])
    entries = list_tree(tree, folder, call.flag("recursive"))
    if folder and not entries:
        raise EntryNotFound(f"{folder} does not exist at revision {call.params['revision']}")
    return JSONResponse(entries)


def paths_info(call: Call) -> Response:
    if call.request.headers.get("content-type", "").startswith("application/json"):
        paths = call.json().get("paths", [])
    else:
        paths = parse_qs(call.body.decode()).get("paths", [])
    _, tree = call.hub.storage.tree(call.repo, call.params["revision"])
    entries = []
    for path in (p.strip("/") for p in paths):
        if path in tree:
            entries.append(file_entry(path, tree[path]))
        elif any(p.startswith(path + "/") for p in tree):
            entries.append(folder_entry(path, tree))
    return JSONResponse(entries)


def list_refs(call: Call) -> Response:
    state = call.hub.storage.repo_state(call.repo)
    branches = [{"name": n, "ref": f"refs/heads/{n}", "targetCommit": c} for n, c in sorted(state["branches"].items())]
    tags = [{"name": n, "ref": f"refs/tags/{n}", "targetCommit": t["commit"]} for n, t in sorted(state["tags"].items())]
    return JSONResponse({"branches": branches, "tags": tags, "converts": []})


def list_commits(call: Call) -> Response:
    history = call.hub.storage.history(call.repo, call.params["revision"])
    return JSONResponse([{"id": c["id"], "title": c["title"], "message": c["message"], "date": c["date"],
                          "authors": [{"user": c["author"]}]} for c in history])


def resolve(call: Call) -> Response:
    storage, repo = call.hub.storage, call.repo
    path = validate_file_path(call.params["path"])
    commit_id, tree = storage.tree(repo, call.params["revision"])
    if path not in tree:
        raise EntryNotFound(f"{path} does not exist in {repo.id} at revision {call.params['revision']}")
    entry = tree[path]
    headers = {"X-Repo-Commit": commit_id, "ETag": f'"{entry["sha256"] if entry["lfs"] else entry["oid"]}"'}
    if entry["lfs"]:
        headers.update({"X-Linked-Etag": f'"{entry["sha256"]}"', "X-Linked-Size": str(entry["size"])})
    return FileResponse(storage.blob_path(entry["sha256"]), headers=headers, media_type="application/octet-stream")


# ---------------------------------------------------------------------- writing

def preupload(call: Call) -> Response:
    _, tree = call.hub.storage.tree(call.repo, call.params["revision"])
    answers = []
    for item in call.json().get("files", []):
        path = validate_file_path(item["path"])
        sample = base64.b64decode(item.get("sample", ""))
        lfs = item.get("size", 0) > LFS_SIZE_THRESHOLD or b"\x00" in sample or path.endswith(LFS_SUFFIXES)
        existing = tree.get(path)
        oid = None
        if existing is not None:
            oid = existing["sha256"] if lfs else (None if existing["lfs"] else existing["oid"])
        answers.append({"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False, "oid": oid})
    return JSONResponse({"files": answers, "commitOid": None})


def commit(call: Call) -> Response:
    if call.flag("create_pr"):
        raise BadRequest("pull requests are not supported by the local Hub stand-in")
    header, operations = parse_commit_payload(call.hub.storage, call.body)
    storage, repo = call.hub.storage, call.repo
    commit_id = storage.commit(repo, call.params["revision"], operations, header.get("summary") or "Upload",
                               header.get("description") or "", header.get("parentCommit"))
    return JSONResponse({"commitOid": commit_id, "commitUrl": f"{repo_url(call, repo)}/commit/{commit_id}",
                         "pullRequestUrl": None})


def create_branch(call: Call) -> Response:
    starting_point = call.json().get("startingPoint")
    call.hub.storage.create_branch(call.repo, call.params["revision"], starting_point)
    return JSONResponse({})


def delete_branch(call: Call) -> Response:
    call.hub.storage.delete_branch(call.repo, call.params["revision"])
    return JSONResponse({})


def create_tag(call: Call) -> Response:
    body = call.json()
    if not isinstance(body.get("tag"), str):
        raise BadRequest("field 'tag' is required")
    call.hub.storage.create_tag(call.repo, body["tag"], call.params["revision"], body.get("message"))
    return JSONResponse({})


def delete_tag(call: Call) -> Response:
    call.hub.storage.delete_tag(call.repo, call.params["revision"])
    return JSONResponse({})


def lfs_batch(call: Call) -> Response:
    call.hub.storage.repo_state(call.repo)  # raises RepoNotFound
    request = call.json()
    if request.get("operation") != "upload":
        raise BadRequest("only the LFS 'upload' operation is supported")
    objects = [_lfs_object(call, item["oid"], int(item["size"])) for item in request.get("objects", [])]
    return JSONResponse({"transfer": "basic", "objects": objects}, media_type="application/vnd.git-lfs+json")


def _lfs_object(call: Call, oid: str, size: int) -> dict:
    item = {"oid": oid, "size": size, "authenticated": True}
    if not call.hub.storage.has_blob(oid, size):
        signature = call.hub.sign(oid, size)
        item["actions"] = {"upload": {"href": f"{call.base_url}/lfs-upload/{oid}?size={size}&sig={signature}"},
                           "verify": {"href": f"{call.base_url}/lfs-verify/{oid}"}}
    return item


def lfs_verify(call: Call) -> Response:
    body = call.json()
    if not call.hub.storage.has_blob(call.params["oid"], body.get("size")):
        raise BadRequest(f"LFS object {call.params['oid']} was not uploaded")
    return JSONResponse({})
