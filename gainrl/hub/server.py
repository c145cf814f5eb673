"""A local stand-in for the Hugging Face Hub's HTTP API, for offline work and tests.

It serves the subset of routes that `huggingface_hub`, `datasets`, `transformers`, TRL, lm-eval and the `hf`
command-line tool use to create repos, upload (regular and single-part LFS files), commit, branch, tag, list
and download, so that those clients work unmodified with `HF_ENDPOINT=http://HOST:PORT` and
`HF_HUB_DISABLE_XET=1`. Storage is `gainrl.hub.storage`; this module only maps HTTP onto it.

What it does not cover: it is not a replacement for the Hub. No Xet, no multipart LFS, no pull requests or
discussions, no search or listing endpoints (`list_models`, ...), no copy operations in commits, no users,
organisations or permissions beyond one optional shared bearer token, no dataset viewer, no Spaces runtime.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from typing import Awaitable, Callable
from urllib.parse import parse_qs, unquote

import yaml
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from gainrl.hub.storage import (
    INITIAL_GITATTRIBUTES,
    AddFile,
    BadRequest,
    Conflict,
    DeletePath,
    EntryNotFound,
    HubError,
    HubStorage,
    RepoId,
    validate_file_path,
)

LFS_SIZE_THRESHOLD = 10 * 1024 * 1024
LFS_SUFFIXES = tuple(line.split()[0][1:] for line in INITIAL_GITATTRIBUTES.splitlines())
INVALID_TOKEN_MESSAGE = "Invalid credentials in Authorization header"
_TYPES = r"(?P<type>models|datasets|spaces)"
_REPO = r"(?P<namespace>[^/]+)/(?P<name>[^/]+)"
_API_REPO = rf"/api/{_TYPES}/{_REPO}"
_URL_REPO = rf"/(?:(?P<type>datasets|spaces)/)?{_REPO}"


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


def front_matter(readme: str) -> dict | None:
    """The YAML block at the top of a README, or None; ValueError if it is not a YAML mapping."""
    match = re.match(r"^---\s*\n(.*?)\n---\s*(?:\n|$)", readme, re.DOTALL)
    if not match:
        return None
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        raise ValueError(f"README.md metadata is not valid YAML: {error}") from None
    if data is not None and not isinstance(data, dict):
        raise ValueError("README.md metadata must be a YAML mapping")
    return data


# ---------------------------------------------------------------------- reading repos

def repo_info(call: Call) -> Response:
    storage, repo = call.hub.storage, call.repo
    state = storage.repo_state(repo)
    commit_id = storage.resolve_revision(repo, call.params.get("revision") or "main")
    commit = storage.read_commit(repo, commit_id)
    tree = commit["tree"]
    with_blobs = call.flag("blobs")
    info = {"id": repo.id, "_id": hashlib.sha1(repo.id.encode()).hexdigest()[:24], "author": repo.namespace,
            "sha": commit_id, "lastModified": commit["date"], "createdAt": state["createdAt"],
            "private": state["private"], "gated": False, "disabled": False, "downloads": 0, "likes": 0,
            "siblings": [sibling(path, tree[path], with_blobs) for path in sorted(tree)]}
    card = _card_data(storage, tree)
    info["tags"] = list(card.get("tags") or []) if card else []
    if card is not None:
        info["cardData"] = card
    info.update(_type_specific_info(storage, repo, tree, state, card or {}))
    return JSONResponse(info)


def _card_data(storage: HubStorage, tree: dict) -> dict | None:
    if "README.md" not in tree:
        return None
    try:
        return front_matter(storage.read_blob(tree["README.md"]["sha256"]).decode("utf-8", "replace"))
    except ValueError:
        return None


def _type_specific_info(storage: HubStorage, repo: RepoId, tree: dict, state: dict, card: dict) -> dict:
    if repo.type == "space":
        return {"sdk": card.get("sdk") or state.get("sdk"), "models": card.get("models") or [],
                "datasets": card.get("datasets") or []}
    if repo.type == "model" and "config.json" in tree and tree["config.json"]["size"] < 1_000_000:
        try:
            config = json.loads(storage.read_blob(tree["config.json"]["sha256"]))
        except ValueError:
            return {}
        return {"config": {key: config[key] for key in ("architectures", "model_type") if key in config},
                "library_name": card.get("library_name", "transformers"),
                "pipeline_tag": card.get("pipeline_tag")}
    return {}


def sibling(path: str, entry: dict, with_blobs: bool) -> dict:
    item = {"rfilename": path}
    if with_blobs:
        item.update(size=entry["size"], blobId=entry["oid"])
        if entry["lfs"]:
            item["lfs"] = {"sha256": entry["sha256"], "size": entry["size"], "pointerSize": _pointer_size(entry)}
    return item


def _pointer_size(entry: dict) -> int:
    return len(f"version https://git-lfs.github.com/spec/v1\noid sha256:{entry['sha256']}\nsize {entry['size']}\n")


def file_entry(path: str, entry: dict) -> dict:
    item = {"type": "file", "oid": entry["oid"], "size": entry["size"], "path": path}
    if entry["lfs"]:
        item["lfs"] = {"oid": entry["sha256"], "size": entry["size"], "pointerSize": _pointer_size(entry)}
    return item


def folder_entry(path: str, tree: dict) -> dict:
    children = sorted(f"{p}:{e['oid']}" for p, e in tree.items() if p.startswith(path + "/"))
    return {"type": "directory", "oid": hashlib.sha1("\n".join(children).encode()).hexdigest(), "size": 0,
            "path": path}


def list_tree(tree: dict, folder: str, recursive: bool) -> list[dict]:
    """Tree entries under `folder` ('' = root), folders first as the Hub lists them."""
    prefix = f"{folder}/" if folder else ""
    files, folders = [], set()
    for path in sorted(tree):
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix):].split("/")
        folders.update(prefix + "/".join(parts[:depth]) for depth in range(1, len(parts) if recursive else 1))
        if recursive or len(parts) == 1:
            files.append(file_entry(path, tree[path]))
        else:
            folders.add(prefix + parts[0])
    return [folder_entry(path, tree) for path in sorted(folders)] + files


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


def parse_commit_payload(storage: HubStorage, body: bytes) -> tuple[dict, list]:
    """NDJSON commit payload -> (header, operations); file contents are stored as blobs on the way."""
    header, operations = None, []
    for number, line in enumerate(body.decode().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            key, value = item["key"], item["value"]
            if key == "header":
                header = value
            else:
                operations.append(_commit_operation(storage, key, value))
        except (ValueError, KeyError, TypeError) as error:
            raise BadRequest(f"commit payload line {number}: missing or invalid field {error}") from None
    if header is None:
        raise BadRequest("commit payload has no header line")
    return header, operations


def _commit_operation(storage: HubStorage, key: str, value: dict) -> AddFile | DeletePath:
    if key == "file":
        if value.get("encoding", "base64") != "base64":
            raise ValueError("'encoding' must be base64")
        data = base64.b64decode(value["content"])
        return AddFile(value["path"], storage.put_blob(data), len(data), lfs=False)
    if key == "lfsFile":
        if value.get("algo", "sha256") != "sha256":
            raise ValueError("'algo' must be sha256")
        return AddFile(value["path"], value["oid"], int(value["size"]), lfs=True)
    if key in ("deletedFile", "deletedFolder"):
        return DeletePath(value["path"], folder=key == "deletedFolder")
    raise ValueError(f"'key' {key!r} is not supported (copy operations are not implemented)")


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


# ---------------------------------------------------------------------- routing

Handler = Callable[[Call], Response]
ROUTES: list[tuple[str, re.Pattern, Handler]] = [
    (method, re.compile(f"^{pattern}$"), handler)
    for method, pattern, handler in [
        ("GET", "/api/agent-harnesses", agent_harnesses),
        ("GET", "/api/whoami-v2", whoami),
        ("POST", "/api/repos/create", create_repo),
        ("DELETE", "/api/repos/delete", delete_repo),
        ("POST", "/api/validate-yaml", validate_yaml),
        ("GET", rf"{_API_REPO}(?:/revision/(?P<revision>[^/]+))?", repo_info),
        ("GET", rf"{_API_REPO}/tree/(?P<revision>[^/]+)(?:/(?P<path>.*))?", tree_listing),
        ("POST", rf"{_API_REPO}/paths-info/(?P<revision>[^/]+)", paths_info),
        ("GET", rf"{_API_REPO}/refs", list_refs),
        ("GET", rf"{_API_REPO}/commits/(?P<revision>[^/]+)", list_commits),
        ("POST", rf"{_API_REPO}/preupload/(?P<revision>[^/]+)", preupload),
        ("POST", rf"{_API_REPO}/commit/(?P<revision>[^/]+)", commit),
        ("POST", rf"{_API_REPO}/branch/(?P<revision>[^/]+)", create_branch),
        ("DELETE", rf"{_API_REPO}/branch/(?P<revision>[^/]+)", delete_branch),
        ("POST", rf"{_API_REPO}/tag/(?P<revision>[^/]+)", create_tag),
        ("DELETE", rf"{_API_REPO}/tag/(?P<revision>[^/]+)", delete_tag),
        ("POST", rf"{_URL_REPO}\.git/info/lfs/objects/batch", lfs_batch),
        ("POST", "/lfs-verify/(?P<oid>[0-9a-f]{64})", lfs_verify),
        ("GET", rf"{_URL_REPO}/resolve/(?P<revision>[^/]+)/(?P<path>.+)", resolve),
        ("HEAD", rf"{_URL_REPO}/resolve/(?P<revision>[^/]+)/(?P<path>.+)", resolve),
    ]
]
LFS_UPLOAD_ROUTE = re.compile("^/lfs-upload/(?P<oid>[0-9a-f]{64})$")


def match_route(method: str, raw_path: str) -> tuple[Handler, dict[str, str]] | None:
    """Match on the still-encoded path, so a revision like `refs%2Fheads%2Fx` stays one segment."""
    for route_method, pattern, handler in ROUTES:
        match = pattern.match(raw_path)
        if match and route_method == method:
            return handler, {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
    return None


class LocalHub:
    """The ASGI application: authentication, routing, and running handlers off the event loop."""

    def __init__(self, storage: HubStorage, token: str | None = None, user: str = "local"):
        self.storage, self.token, self.user = storage, token, user
        secret_file = storage.root / ".upload-secret"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_hex(32))
        self._secret = secret_file.read_text().encode()

    def sign(self, oid: str, size: int) -> str:
        return hmac.new(self._secret, f"{oid}:{size}".encode(), hashlib.sha256).hexdigest()

    def authorised(self, request: Request) -> bool:
        expected = f"Bearer {self.token}"
        return self.token is None or hmac.compare_digest(request.headers.get("authorization", ""), expected)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            response = await self.dispatch(request)
        except HubError as error:
            response = error_response(error)
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode().split("?", 1)[0]
        upload = LFS_UPLOAD_ROUTE.match(raw_path)
        if upload and request.method == "PUT":
            return await self.receive_upload(request, upload.group("oid"))
        if raw_path != "/api/agent-harnesses" and not self.authorised(request):
            return JSONResponse({"error": INVALID_TOKEN_MESSAGE}, status_code=401,
                                headers={"X-Error-Message": INVALID_TOKEN_MESSAGE})
        matched = match_route(request.method, raw_path)
        if matched is None:
            return JSONResponse({"error": f"{request.method} {raw_path} is not served by the local Hub stand-in"},
                                status_code=404)
        handler, params = matched
        call = Call(self, request, params, await request.body(), parse_qs(request.url.query))
        return await run_in_threadpool(handler, call)

    async def receive_upload(self, request: Request, oid: str) -> Response:
        """`PUT /lfs-upload/<oid>`: a presigned URL (the client sends no token), checked by HMAC."""
        size = int(request.query_params.get("size", "-1"))
        if not hmac.compare_digest(request.query_params.get("sig", ""), self.sign(oid, size)):
            return error_response(HubError("invalid or missing upload signature"))
        with tempfile.SpooledTemporaryFile(max_size=8 << 20, dir=self.storage.root / "tmp") as spool:
            async for chunk in request.stream():
                spool.write(chunk)
            spool.seek(0)
            chunks = iter(lambda: spool.read(1 << 20), b"")
            await run_in_threadpool(self.storage.put_blob_stream, chunks, oid, size)
        return Response(status_code=200)


def create_app(root: str, token: str | None = None, user: str = "local") -> LocalHub:
    return LocalHub(HubStorage(root), token=token, user=user)


def serve(root: str, host: str = "127.0.0.1", port: int = 8088, token: str | None = None, user: str = "local",
          log_level: str = "info") -> None:
    """Run the server in the foreground until interrupted."""
    import uvicorn

    app = create_app(root, token=token, user=user)
    print(f"gainrl local Hub stand-in (offline work and tests; not the Hugging Face Hub): root={app.storage.root} "
          f"url=http://{host}:{port}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=log_level == "debug")
