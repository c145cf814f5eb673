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

import hashlib
import hmac
import re
import secrets
import tempfile
from typing import Callable
from urllib.parse import parse_qs, unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gainrl.hub import handlers as h
from gainrl.hub.handlers import Call, error_response
from gainrl.hub.storage import BadRequest, HubError, HubStorage

INVALID_TOKEN_MESSAGE = "Invalid credentials in Authorization header"
_TYPES = r"(?P<type>models|datasets|spaces)"
_REPO = r"(?P<namespace>[^/]+)/(?P<name>[^/]+)"
_API_REPO = rf"/api/{_TYPES}/{_REPO}"
_URL_REPO = rf"/(?:(?P<type>datasets|spaces)/)?{_REPO}"

Handler = Callable[[Call], Response]
ROUTES: list[tuple[str, re.Pattern, Handler]] = [
    (method, re.compile(f"^{pattern}$"), handler)
    for method, pattern, handler in [
        ("GET", "/api/agent-harnesses", h.agent_harnesses),
        ("GET", "/api/whoami-v2", h.whoami),
        ("POST", "/api/repos/create", h.create_repo),
        ("DELETE", "/api/repos/delete", h.delete_repo),
        ("POST", "/api/validate-yaml", h.validate_yaml),
        ("GET", rf"{_API_REPO}(?:/revision/(?P<revision>[^/]+))?", h.repo_info),
        ("GET", rf"{_API_REPO}/tree/(?P<revision>[^/]+)(?:/(?P<path>.*))?", h.tree_listing),
        ("POST", rf"{_API_REPO}/paths-info/(?P<revision>[^/]+)", h.paths_info),
        ("GET", rf"{_API_REPO}/refs", h.list_refs),
        ("GET", rf"{_API_REPO}/commits/(?P<revision>[^/]+)", h.list_commits),
        ("POST", rf"{_API_REPO}/preupload/(?P<revision>[^/]+)", h.preupload),
        ("POST", rf"{_API_REPO}/commit/(?P<revision>[^/]+)", h.commit),
        ("POST", rf"{_API_REPO}/branch/(?P<revision>[^/]+)", h.create_branch),
        ("DELETE", rf"{_API_REPO}/branch/(?P<revision>[^/]+)", h.delete_branch),
        ("POST", rf"{_API_REPO}/tag/(?P<revision>[^/]+)", h.create_tag),
        ("DELETE", rf"{_API_REPO}/tag/(?P<revision>[^/]+)", h.delete_tag),
        ("POST", rf"{_URL_REPO}\.git/info/lfs/objects/batch", h.lfs_batch),
        ("POST", "/lfs-verify/(?P<oid>[0-9a-f]{64})", h.lfs_verify),
        ("GET", rf"{_URL_REPO}/resolve/(?P<revision>[^/]+)/(?P<path>.+)", h.resolve),
        ("HEAD", rf"{_URL_REPO}/resolve/(?P<revision>[^/]+)/(?P<path>.+)", h.resolve),
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
        except (KeyError, TypeError, ValueError) as error:  # a field missing or of the wrong type in the request
            response = error_response(BadRequest(f"malformed request: missing or invalid field {error}"))
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
