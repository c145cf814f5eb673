"""A local stand-in for the Hugging Face Hub's HTTP API, for offline work and tests.

It serves the subset of routes that `huggingface_hub`, `datasets`, `transformers`, TRL, lm-eval, `HfFileSystem`
and the `hf` command-line tool use to create, move, duplicate and configure repos, upload (regular and single-part
LFS files), commit, squash, branch, tag, list (with `lastCommit` when expanded) and download, so that those
clients work unmodified with `HF_ENDPOINT=http://HOST:PORT` and `HF_HUB_DISABLE_XET=1`. Storage is
`gainrl.hub.storage`; this module only maps HTTP onto it.

Hostile input it refuses (each has a test in tests/hub/test_hub_server.py):
- malformed requests: a 4xx with a JSON `error` (and `X-Error-Code` where the Hub sends one), never a 500 or a
  dropped connection: values quoted in errors are escaped to printable ASCII for the `X-Error-Message` header
  (non-Latin-1 text, CR, LF, NUL), fields of the wrong JSON type are named, base64 is decoded strictly;
- oversized bodies: JSON bodies over `MAX_JSON_BODY` and commits over `MAX_COMMIT_BODY` (413, from
  `Content-Length` before reading), a regular file over the LFS threshold that `preupload` announces (413, found
  while the commit streams into a spooled file, so memory stays bounded);
- LFS uploads: presigned URLs carry an expiry signed with the size (HMAC, secret in `<root>/.upload-secret`), a
  body whose `Content-Length` differs from the signed size is refused unread, one that runs past it is refused at
  the first byte too many, and content is hashed before it becomes a blob;
- trees and refs git cannot hold, path traversal, invalid repo ids (see `gainrl.hub.storage`);
- stalled clients: a connection must complete its request head within `HEADER_TIMEOUT_S` (uvicorn itself has no
  such bound), at most `MAX_CONNECTIONS` connections are served (then 503); crashed uploads' staging files are
  removed at start.

Not protected against: a client that sends a body slowly (no body-read deadline: large LFS uploads may be slow),
many clients that each stay under the limits (no rate limiting or per-client quota), filling the disk with valid
uploads (no quotas, no blob garbage collection), anyone who can reach the port when no `--token` is given (every
write is allowed), TLS (plain HTTP: bind to loopback), a second server process on the same root.

What it does not cover: it is not a replacement for the Hub. No Xet, no multipart LFS, no pull requests or
discussions, no search or listing endpoints (`list_models`, ...), no copy operations in commits, no users,
organisations or permissions beyond one optional shared bearer token (`private` and `gated` are stored and
reported, not enforced), no dataset viewer, no Spaces runtime.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote

import h11
import uvicorn
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from uvicorn.protocols.http.h11_impl import H11Protocol

from gainrl.hub import handlers as h
from gainrl.hub.handlers import Call, error_response
from gainrl.hub.payloads import LFS_SIZE_THRESHOLD
from gainrl.hub.storage import BadRequest, HubError, HubStorage, PayloadTooLarge

INVALID_TOKEN_MESSAGE = "Invalid credentials in Authorization header"
MAX_JSON_BODY = 16 << 20  # every body but a commit's: JSON requests of a few KB to a few hundred KB
MAX_COMMIT_LINE = 4 * (LFS_SIZE_THRESHOLD // 3 + 1) + (16 << 10)  # a regular file of the threshold, base64 + JSON
MAX_COMMIT_BODY = 1 << 30
UPLOAD_URL_TTL_S = 3600.0
HEADER_TIMEOUT_S = 10.0  # a connection that has not sent a complete request head by then is closed
MAX_CONNECTIONS = 1000  # beyond it uvicorn answers 503
BAD_INPUT_ERRORS = (LookupError, TypeError, ValueError, AttributeError)  # ValueError covers Unicode and base64 errors
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
        ("POST", "/api/repos/move", h.move_repo),
        ("POST", "/api/validate-yaml", h.validate_yaml),
        ("PUT", rf"{_API_REPO}/settings", h.update_settings),
        ("POST", rf"{_API_REPO}/duplicate", h.duplicate_repo),
        ("GET", rf"{_API_REPO}/auth-check(?:/write)?", h.auth_check),
        ("POST", rf"{_API_REPO}/super-squash/(?P<revision>[^/]+)", h.super_squash),
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


class UploadUrlExpired(HubError):
    status = 403


class LocalHub:
    """The ASGI application: authentication, routing, body limits, and running handlers off the event loop."""

    def __init__(self, storage: HubStorage, token: str | None = None, user: str = "local",
                 upload_url_ttl_s: float = UPLOAD_URL_TTL_S):
        self.storage, self.token, self.user, self.upload_url_ttl_s = storage, token, user, upload_url_ttl_s
        secret_file = storage.root / ".upload-secret"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_hex(32))
        self._secret = secret_file.read_text().encode()

    def sign(self, oid: str, size: int, expires: int) -> str:
        return hmac.new(self._secret, f"{oid}:{size}:{expires}".encode(), hashlib.sha256).hexdigest()

    def upload_url_query(self, oid: str, size: int) -> str:
        """The query of a presigned upload URL: size, expiry time (unix seconds) and their signature."""
        expires = int(time.time() + self.upload_url_ttl_s)
        return f"size={size}&expires={expires}&sig={self.sign(oid, size, expires)}"

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
        except BAD_INPUT_ERRORS as error:  # a field missing or of the wrong type, bytes that do not decode
            response = error_response(BadRequest(f"malformed request: missing or invalid field {error}"))
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").split("?", 1)[0]
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
        if handler is h.commit:
            with await spool_ndjson(request, self.storage.root / "tmp") as spool:
                return await run_in_threadpool(handler, Call(self, request, params, lines=spool))
        call = Call(self, request, params, await read_body(request, MAX_JSON_BODY), parse_qs(request.url.query))
        return await run_in_threadpool(handler, call)

    async def receive_upload(self, request: Request, oid: str) -> Response:
        """`PUT /lfs-upload/<oid>`: a presigned URL (the client sends no token), checked by HMAC and expiry.

        The body is refused as soon as it is known not to match the signed size: from `Content-Length` before
        reading it, else after reading one byte more than that size.
        """
        size = self.check_upload_url(request, oid)
        declared = request.headers.get("content-length")
        if declared is not None and declared != str(size):
            raise BadRequest(f"Content-Length {declared} does not match the signed size {size}")
        with tempfile.SpooledTemporaryFile(max_size=8 << 20, dir=self.storage.root / "tmp") as spool:
            received = 0
            async for chunk in request.stream():
                received += len(chunk)
                if received > size:
                    raise BadRequest(f"upload of {oid} is longer than its signed size {size}")
                spool.write(chunk)
            spool.seek(0)
            chunks = iter(lambda: spool.read(1 << 20), b"")
            await run_in_threadpool(self.storage.put_blob_stream, chunks, oid, size)
        return Response(status_code=200)

    def check_upload_url(self, request: Request, oid: str) -> int:
        """The signed size of a presigned upload URL; HubError unless its signature is valid and unexpired."""
        query = request.query_params
        size, expires = int(query.get("size", "-1")), int(query.get("expires", "0"))
        if not hmac.compare_digest(query.get("sig", ""), self.sign(oid, size, expires)):
            raise HubError("invalid or missing upload signature")
        if time.time() > expires:
            raise UploadUrlExpired("this upload URL has expired; ask the LFS batch endpoint for a new one")
        return size


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    _refuse_declared_length(request, limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"request body is over {limit} bytes")
    return bytes(body)


async def spool_ndjson(request: Request, folder: Path) -> tempfile.SpooledTemporaryFile:
    """An NDJSON body in a spooled file (memory up to 8 MiB, then disk), rewound.

    A line longer than `MAX_COMMIT_LINE` (a regular file over the LFS threshold) stops the storing: the rest is
    read and dropped, so that the client gets the 413 rather than a reset connection. Over `MAX_COMMIT_BODY`
    in all, the request is refused at once.
    """
    _refuse_declared_length(request, MAX_COMMIT_BODY)
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20, dir=folder)
    open_line, total, too_long = 0, 0, False
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_COMMIT_BODY:
            spool.close()
            raise PayloadTooLarge(f"commit payload is over {MAX_COMMIT_BODY} bytes")
        longest, open_line = _line_lengths(chunk, open_line)
        too_long = too_long or longest > MAX_COMMIT_LINE
        if not too_long:
            spool.write(chunk)
    if too_long:
        spool.close()
        raise PayloadTooLarge(f"a regular file in this commit is over the LFS threshold ({LFS_SIZE_THRESHOLD} "
                              "bytes): upload it as an LFS file")
    spool.seek(0)
    return spool


def _line_lengths(chunk: bytes, open_line: int) -> tuple[int, int]:
    """(longest line that `chunk` touches, length of the line still open after it), given the open line before."""
    lengths = [len(piece) for piece in chunk.split(b"\n")]
    lengths[0] += open_line
    return max(lengths), lengths[-1]


def _refuse_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit():
        raise BadRequest(f"invalid Content-Length {declared!r}")
    if int(declared) > limit:
        raise PayloadTooLarge(f"request body of {declared} bytes is over the limit of {limit} bytes")


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on the request head, which uvicorn itself does not bound.

    From the moment a connection opens, and again after each response, the client has `HEADER_TIMEOUT_S`
    to complete a request line and headers; a connection still without one is closed (slowloris).
    """

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_deadline()

    def connection_lost(self, exc) -> None:
        self._header_deadline.cancel()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        if getattr(self, "_header_deadline", None) is not None:
            self._header_deadline.cancel()
        self._header_deadline = self.loop.call_later(HEADER_TIMEOUT_S, self._close_if_no_request_head)

    def _close_if_no_request_head(self) -> None:
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def create_app(root: str, token: str | None = None, user: str = "local") -> LocalHub:
    """The application over the storage at `root`, after removing what crashed uploads left in its staging area."""
    storage = HubStorage(root)
    storage.clean_staging()
    return LocalHub(storage, token=token, user=user)


def serve(root: str, host: str = "127.0.0.1", port: int = 8088, token: str | None = None, user: str = "local",
          log_level: str = "info") -> None:
    """Run the server in the foreground until interrupted."""
    app = create_app(root, token=token, user=user)
    print(f"gainrl local Hub stand-in (offline work and tests; not the Hugging Face Hub): root={app.storage.root} "
          f"url=http://{host}:{port}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=log_level == "debug",
                http=HeaderDeadlineProtocol, limit_concurrency=MAX_CONNECTIONS, timeout_keep_alive=5)
