"""Request handlers of the local Hub stand-in: one function per route, each `Call -> Response`.

They run in a worker thread (storage calls block on file locks) and raise `HubError`s, which the server turns
into responses with the Hub's status codes and `X-Error-Code` headers.

What it does not cover: routing, authentication and LFS uploads (see `gainrl.hub.server`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from gainrl.hub.payloads import (
    LFS_SIZE_THRESHOLD,
    file_entry,
    folder_entry,
    front_matter,
    list_tree,
    parse_commit_payload,
    repo_info_payload,
    with_last_commits,
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

LFS_SUFFIXES = tuple(line.split()[0][1:] for line in INITIAL_GITATTRIBUTES.splitlines())


@dataclass
class Call:
    """One request as the handlers see it: decoded path parameters, query, body (or, for a commit, its NDJSON
    lines in a spooled file) and server settings."""

    hub: "LocalHub"
    request: Request
    params: dict[str, str]
    body: bytes = b""
    query: dict[str, list[str]] = field(default_factory=dict)
    lines: IO[bytes] | None = None

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

    @staticmethod
    def field(body: dict, name: str, kind: type | tuple, default=None):
        """`body[name]` (or `default` if absent or null); BadRequest naming the field if it has another type."""
        value = body.get(name)
        if value is None:
            return default
        if not isinstance(value, kind):
            names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise BadRequest(f"field {name!r} must be of type {names}, got {type(value).__name__}")
        return value

    def flag(self, name: str) -> bool:
        return self.query.get(name, ["false"])[-1].lower() in ("1", "true")


def header_safe(text: str) -> str:
    """`text` as printable ASCII (backslash escapes for the rest), so any request value can be quoted in a header."""
    return text.encode("unicode_escape").decode("ascii")


def error_response(error: HubError, **extra_fields) -> JSONResponse:
    headers = {"X-Error-Message": header_safe(error.message)[:500]}
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
    name = call.field(body, "name", str)
    if name is None:
        raise BadRequest("field 'name' is required")
    namespace = call.field(body, "organization", str) or call.hub.user
    if "/" in name:
        namespace, name = name.split("/", 1)
    return RepoId(call.field(body, "type", str) or "model", namespace, name)


def call_path(value) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"a file path must be a string, got {type(value).__name__}")
    return value


def repo_url(call: Call, repo: RepoId) -> str:
    return f"{call.base_url}/{repo.url_prefix}{repo.id}"


def create_repo(call: Call) -> Response:
    body = call.json()
    repo = _repo_from_body(call, body)
    private = body.get("visibility", "private" if body.get("private") else "public") != "public"
    try:
        call.hub.storage.create_repo(repo, private=private, sdk=call.field(body, "sdk", str))
    except Conflict as error:  # the client reads `url` from a 409 too when exist_ok=True
        return error_response(error, url=repo_url(call, repo))
    return JSONResponse({"url": repo_url(call, repo), "name": repo.id, "id": repo.id})


def update_settings(call: Call) -> Response:
    body = call.json()
    visibility = call.field(body, "visibility", str)
    if visibility not in (None, "public", "private", "protected"):
        raise BadRequest(f"field 'visibility' must be public, private or protected, got {visibility!r}")
    gated = body.get("gated")
    if gated not in (None, "auto", "manual", False):
        raise BadRequest(f"field 'gated' must be \"auto\", \"manual\" or false, got {gated!r}")
    private = None if visibility is None else visibility != "public"
    call.hub.storage.update_settings(call.repo, private=call.field(body, "private", bool, private), gated=gated)
    return JSONResponse({})


def move_repo(call: Call) -> Response:
    body = call.json()
    repo_type = call.field(body, "type", str) or "model"
    source, target = (_repo_id(repo_type, call.field(body, key, str)) for key in ("fromRepo", "toRepo"))
    call.hub.storage.move_repo(source, target)
    return JSONResponse({"url": repo_url(call, target)})


def duplicate_repo(call: Call) -> Response:
    body = call.json()
    target = _repo_id(call.repo.type, call.field(body, "repository", str))
    visibility = call.field(body, "visibility", str)
    private = None if visibility is None else visibility != "public"
    try:
        call.hub.storage.duplicate_repo(call.repo, target, private=private)
    except Conflict as error:  # the client reads `url` from a 409 too when exist_ok=True
        return error_response(error, url=repo_url(call, target))
    return JSONResponse({"url": repo_url(call, target)})


def _repo_id(repo_type: str, namespace_and_name: str | None) -> RepoId:
    if namespace_and_name is None or namespace_and_name.count("/") != 1:
        raise BadRequest(f"a repo id must be 'namespace/name', got {namespace_and_name!r}")
    return RepoId(repo_type, *namespace_and_name.split("/"))


def delete_repo(call: Call) -> Response:
    call.hub.storage.delete_repo(_repo_from_body(call, call.json()))
    return JSONResponse({})


def validate_yaml(call: Call) -> Response:
    content = call.field(call.json(), "content", str, "")
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
    commit_id, tree = call.hub.storage.tree(call.repo, call.params["revision"])
    folder = (call.params.get("path") or "").strip("/")
    if folder and folder in tree:
        entries = [file_entry(folder, tree[folder])]
    else:
        entries = list_tree(tree, folder, call.flag("recursive"))
    if folder and not entries:
        raise EntryNotFound(f"{folder} does not exist at revision {call.params['revision']}")
    return JSONResponse(_expanded(call, commit_id, entries, call.flag("expand")))


def _expanded(call: Call, commit_id: str, entries: list[dict], expand: bool) -> list[dict]:
    return with_last_commits(entries, call.hub.storage.last_commits(call.repo, commit_id)) if expand else entries


def paths_info(call: Call) -> Response:
    if call.request.headers.get("content-type", "").startswith("application/json"):
        body = call.json()
        paths, expand = call.field(body, "paths", list, []), call.field(body, "expand", (bool, str), False)
    else:
        form = parse_qs(call.body.decode())
        paths, expand = form.get("paths", []), form.get("expand", ["false"])[-1]
    commit_id, tree = call.hub.storage.tree(call.repo, call.params["revision"])
    entries = []
    for path in (call_path(p).strip("/") for p in paths):
        if path in tree:
            entries.append(file_entry(path, tree[path]))
        elif any(p.startswith(path + "/") for p in tree):
            entries.append(folder_entry(path, tree))
    return JSONResponse(_expanded(call, commit_id, entries, str(expand).lower() in ("1", "true")))


def list_refs(call: Call) -> Response:
    state = call.hub.storage.repo_state(call.repo)
    branches = [{"name": n, "ref": f"refs/heads/{n}", "targetCommit": c} for n, c in sorted(state["branches"].items())]
    tags = [{"name": n, "ref": f"refs/tags/{n}", "targetCommit": t["commit"]} for n, t in sorted(state["tags"].items())]
    return JSONResponse({"branches": branches, "tags": tags, "converts": [], "pullRequests": []})


def auth_check(call: Call) -> Response:
    """One user with every right: the answer is whether the repo exists."""
    call.hub.storage.repo_state(call.repo)
    return JSONResponse({})


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
    for item in call.field(call.json(), "files", list, []):
        item = item if isinstance(item, dict) else {}
        path = validate_file_path(call_path(item.get("path")))
        sample = base64.b64decode(call.field(item, "sample", str, ""), validate=True)
        size = call.field(item, "size", int, 0)
        lfs = size > LFS_SIZE_THRESHOLD or b"\x00" in sample or path.endswith(LFS_SUFFIXES)
        existing = tree.get(path)
        oid = None
        if existing is not None:
            oid = existing["sha256"] if lfs else (None if existing["lfs"] else existing["oid"])
        answers.append({"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False, "oid": oid})
    return JSONResponse({"files": answers, "commitOid": None})


def commit(call: Call) -> Response:
    if call.flag("create_pr"):
        raise BadRequest("pull requests are not supported by the local Hub stand-in")
    header, operations = parse_commit_payload(call.hub.storage, call.lines)
    storage, repo = call.hub.storage, call.repo
    commit_id = storage.commit(repo, call.params["revision"], operations, header.get("summary") or "Upload",
                               header.get("description") or "", header.get("parentCommit"))
    return JSONResponse({"commitOid": commit_id, "commitUrl": f"{repo_url(call, repo)}/commit/{commit_id}",
                         "pullRequestUrl": None})


def super_squash(call: Call) -> Response:
    title = call.field(call.json(), "message", str) or f"Super-squash branch '{call.params['revision']}'"
    commit_id = call.hub.storage.squash(call.repo, call.params["revision"].removeprefix("refs/heads/"), title)
    return JSONResponse({"commitOid": commit_id})


def create_branch(call: Call) -> Response:
    starting_point = call.field(call.json(), "startingPoint", str)
    call.hub.storage.create_branch(call.repo, call.params["revision"], starting_point)
    return JSONResponse({})


def delete_branch(call: Call) -> Response:
    call.hub.storage.delete_branch(call.repo, call.params["revision"])
    return JSONResponse({})


def create_tag(call: Call) -> Response:
    body = call.json()
    tag = call.field(body, "tag", str)
    if tag is None:
        raise BadRequest("field 'tag' is required")
    call.hub.storage.create_tag(call.repo, tag, call.params["revision"], call.field(body, "message", str))
    return JSONResponse({})


def delete_tag(call: Call) -> Response:
    call.hub.storage.delete_tag(call.repo, call.params["revision"])
    return JSONResponse({})


def lfs_batch(call: Call) -> Response:
    call.hub.storage.repo_state(call.repo)  # raises RepoNotFound
    request = call.json()
    if request.get("operation") != "upload":
        raise BadRequest("only the LFS 'upload' operation is supported")
    objects = [_lfs_object(call, item) for item in call.field(request, "objects", list, [])]
    return JSONResponse({"transfer": "basic", "objects": objects}, media_type="application/vnd.git-lfs+json")


def _lfs_object(call: Call, request_item: dict) -> dict:
    oid, size = call.field(request_item, "oid", str), call.field(request_item, "size", int)
    if oid is None or size is None or size < 0:
        raise BadRequest("each LFS object needs an 'oid' (sha256) and a 'size' (bytes)")
    item = {"oid": oid, "size": size, "authenticated": True}
    if not call.hub.storage.has_blob(oid, size):
        query = call.hub.upload_url_query(oid, size)
        item["actions"] = {"upload": {"href": f"{call.base_url}/lfs-upload/{oid}?{query}"},
                           "verify": {"href": f"{call.base_url}/lfs-verify/{oid}"}}
    return item


def lfs_verify(call: Call) -> Response:
    size = call.field(call.json(), "size", int)
    if not call.hub.storage.has_blob(call.params["oid"], size):
        raise BadRequest(f"LFS object {call.params['oid']} was not uploaded")
    return JSONResponse({})
