"""On-disk storage behind the local Hub stand-in: blobs, commits with full trees, branches and tags.

Layout under the root folder:

    blobs/<sha256[:2]>/<sha256>          file contents, content-addressed (regular and LFS files alike)
    repos/<type>s/<namespace>/<name>/
        repo.json                         branches, tags, visibility, gating, Space SDK (replaced atomically)
        commits/<commit-id>.json          one immutable file per commit, holding the full tree
        lastcommits/<commit-id>.json      cache: the commit that last changed each file and folder (rebuilt if lost)
        .lock                             serialises commits, branch and tag changes of this repo
    tmp/                                  staging area: every file is written here, fsynced, then renamed

A commit writes its new commit file first and then swaps `repo.json`, so a crash at any point leaves the
previous head intact. Creating, duplicating and moving a repo are one `rename` of its folder, under a root-wide
lock; settings changes and history squashes are commits or `repo.json` swaps under the repo's lock. Only
validated repo ids ever become file-system paths; file paths and revisions live inside JSON and never touch the
file system.

What it does not cover: garbage collection of blobs or of commits that no ref reaches (squashed history stays
addressable by id), pull requests (`refs/pr/N`), git packfiles or the git wire protocol (nothing here is a git
repository), several hosts sharing one root.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

REPO_TYPES = ("model", "dataset", "space")
LFS_POINTER_TEMPLATE = "version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"
RESERVED_NAMESPACES = {"api", "datasets", "spaces", "models", "lfs-upload", "lfs-verify"}
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_-])?$")
_REF_PATTERN = re.compile(r"^[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*$")
_SHA1_PATTERN = re.compile(r"^[0-9a-f]{40}$")
_SHORT_SHA_PATTERN = re.compile(r"^[0-9a-f]{7,40}$")
_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
_REF_KIND_NAMES = {"branches": "branch", "tags": "tag"}
INITIAL_GITATTRIBUTES = "".join(
    f"*.{ext} filter=lfs diff=lfs merge=lfs -text\n"
    for ext in ("arrow", "bin", "gz", "h5", "msgpack", "npy", "npz", "onnx", "parquet", "pt", "pth", "safetensors",
                "tar", "zip", "zst")
)


class HubError(Exception):
    """An error with the HTTP status and `X-Error-Code` the Hub would send for it."""

    status = 400
    code: str | None = None

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(HubError):
    status = 400


class RepoNotFound(HubError):
    status, code = 404, "RepoNotFound"


class RevisionNotFound(HubError):
    status, code = 404, "RevisionNotFound"


class EntryNotFound(HubError):
    status, code = 404, "EntryNotFound"


class Conflict(HubError):
    status = 409


class PreconditionFailed(HubError):
    status = 412


class PayloadTooLarge(HubError):
    status = 413


@dataclass(frozen=True)
class RepoId:
    """A validated `(type, namespace, name)` triple; the only user input that becomes a path on disk."""

    type: str
    namespace: str
    name: str

    def __post_init__(self):
        if self.type not in REPO_TYPES:
            raise BadRequest(f"unknown repo type {self.type!r}; expected one of {', '.join(REPO_TYPES)}")
        for part in (self.namespace, self.name):
            if not _NAME_PATTERN.match(part) or ".." in part:
                raise BadRequest(f"invalid repo id {self.namespace}/{self.name!s}: {part!r} is not a valid name")
        if self.namespace in RESERVED_NAMESPACES:
            raise BadRequest(f"invalid repo id {self.id}: namespace {self.namespace!r} is reserved")

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def url_prefix(self) -> str:
        return "" if self.type == "model" else f"{self.type}s/"


@dataclass(frozen=True)
class AddFile:
    """Put the blob `sha256` (already in the blob store) at `path`."""

    path: str
    sha256: str
    size: int
    lfs: bool


@dataclass(frozen=True)
class DeletePath:
    """Remove a file, or with `folder=True` every file under a folder."""

    path: str
    folder: bool = False


def validate_file_path(path: str) -> str:
    """Return `path` if it is a safe relative path inside a repo, else raise BadRequest."""
    parts = path.split("/")
    unsafe = (
        not path
        or "\\" in path
        or "\x00" in path
        or any(part in ("", ".", "..") for part in parts)
        or parts[0] == ".git"
    )
    if unsafe or len(path) > 1000:
        raise BadRequest(f"invalid path in repo: {path!r}")
    return path


def validate_ref_name(name: str) -> str:
    """Return `name` if git would accept it as a branch or tag name (`git check-ref-format --branch`), else raise.

    Beyond git's rules the characters are limited to ASCII letters, digits, `.`, `_`, `-` and `/`, and the forms
    the Hub reserves (`refs/...`, a 40-hex commit id) are refused.
    """
    problem = _ref_name_problem(name)
    if problem:
        raise BadRequest(f"invalid branch or tag name {name!r}: {problem}")
    return name


def _ref_name_problem(name: str) -> str | None:
    components = name.split("/")
    rules = [
        (not _REF_PATTERN.match(name), "only letters, digits, '.', '_', '-' and '/' between non-empty parts"),
        (len(name) > 200, "longer than 200 characters"),
        (".." in name, "contains '..'"),
        (name.endswith("."), "ends with '.'"),
        (name.startswith("-"), "starts with '-'"),
        (name in ("HEAD", "@"), "is reserved by git"),
        (any(part.startswith(".") for part in components), "a part starts with '.'"),
        (any(part.endswith(".lock") for part in components), "a part ends with '.lock'"),
        (name.startswith("refs/") or bool(_SHA1_PATTERN.match(name)), "reserved form (refs/... or a commit id)"),
    ]
    return next((message for broken, message in rules if broken), None)


def ref_names_collide(name: str, existing: Iterable[str]) -> str | None:
    """An existing ref that `name` cannot live beside in git (`a` and `a/b`: one is the other's folder), or None."""
    return next((other for other in existing if other.startswith(name + "/") or name.startswith(other + "/")), None)


def tree_conflict(tree: dict) -> str | None:
    """A file that is also a folder of another file in `tree` (git cannot hold both), or None."""
    for path in tree:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            if "/".join(parts[:depth]) in tree:
                return f"{path} needs {'/'.join(parts[:depth])} to be a folder, but it is a file"
    return None


def paths_and_folders(tree: dict) -> set[str]:
    """Every file path of `tree` and every folder above one ('' excluded)."""
    folders = {path.rsplit("/", depth)[0] for path in tree for depth in range(1, path.count("/") + 1)}
    return folders | set(tree)


def step_last_commits(parent_tree: dict, last: dict[str, str], commit: dict) -> dict[str, str]:
    """{path: id of the commit that last changed it} for files and folders after `commit`, given the same map
    at its parent (whose tree is `parent_tree`). A folder changes when anything under it is added, changed or
    deleted."""
    tree = commit["tree"]
    changed = {path for path in tree.keys() | parent_tree.keys() if tree.get(path) != parent_tree.get(path)}
    touched = paths_and_folders(dict.fromkeys(changed))
    return {path: commit["id"] if path in touched else last[path] for path in paths_and_folders(tree)}


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a blob with this content."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return LFS_POINTER_TEMPLATE.format(sha256=sha256, size=size).encode()


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}Z"


class HubStorage:
    """Repositories, commits and blobs under one root folder; safe for concurrent threads and processes."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()
        for sub in ("blobs", "repos", "tmp", "trash"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def clean_staging(self) -> int:
        """Remove what crashed writes, uploads and repo deletions left in `tmp/` and `trash/`; return the count.

        Call it only when no other process writes to this root (the server does, at start).
        """
        leftovers = [entry for sub in ("tmp", "trash") for entry in (self.root / sub).iterdir()]
        for entry in leftovers:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        return len(leftovers)

    # ------------------------------------------------------------------ files and locks

    def _write_atomic(self, target: Path, data: bytes, durable: bool = True) -> None:
        """Write to a staging file, then rename; `durable=False` skips the fsync (for caches that can be rebuilt)."""
        staging = self.root / "tmp" / uuid.uuid4().hex
        with open(staging, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(staging, target)

    def _write_json(self, target: Path, value: dict, durable: bool = True) -> None:
        self._write_atomic(target, json.dumps(value, sort_keys=True).encode(), durable)

    @contextlib.contextmanager
    def _locked(self, lock_path: Path) -> Iterator[None]:
        with open(lock_path, "a+") as handle:  # one open file per caller: flock then excludes threads too
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ------------------------------------------------------------------ blobs

    def blob_path(self, sha256: str) -> Path:
        if not _SHA256_PATTERN.match(sha256):
            raise BadRequest(f"invalid sha256 oid: {sha256!r}")
        return self.root / "blobs" / sha256[:2] / sha256

    def has_blob(self, sha256: str, size: int | None = None) -> bool:
        path = self.blob_path(sha256)
        return path.is_file() and (size is None or path.stat().st_size == size)

    def put_blob(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has_blob(sha256):
            self.blob_path(sha256).parent.mkdir(exist_ok=True)
            self._write_atomic(self.blob_path(sha256), data)
        return sha256

    def put_blob_stream(self, chunks: Iterable[bytes], sha256: str, size: int) -> None:
        """Store streamed content under `sha256`, refusing it unless hash and size match."""
        target = self.blob_path(sha256)
        staging = self.root / "tmp" / uuid.uuid4().hex
        digest, received = hashlib.sha256(), 0
        with open(staging, "wb") as handle:
            for chunk in chunks:
                received += len(chunk)
                if received > size:
                    break
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if digest.hexdigest() != sha256 or received != size:
            staging.unlink()
            raise BadRequest(f"uploaded content does not match oid {sha256} and size {size}")
        target.parent.mkdir(exist_ok=True)
        os.replace(staging, target)

    def read_blob(self, sha256: str) -> bytes:
        return self.blob_path(sha256).read_bytes()

    @contextlib.contextmanager
    def _repo_locked(self, repo: RepoId) -> Iterator[dict]:
        """Hold the repo's lock and yield its current state."""
        if not self._repo_dir(repo).is_dir():
            raise RepoNotFound(f"{repo.type} repository {repo.id} not found")
        with self._locked(self._repo_dir(repo) / ".lock"):
            yield self.repo_state(repo)

    # ------------------------------------------------------------------ repos

    def _repo_dir(self, repo: RepoId) -> Path:
        return self.root / "repos" / f"{repo.type}s" / repo.namespace / repo.name

    def repo_state(self, repo: RepoId) -> dict:
        """`repo.json`: branches, tags, visibility, sdk, creation time. Raises RepoNotFound."""
        try:
            return json.loads((self._repo_dir(repo) / "repo.json").read_bytes())
        except FileNotFoundError:
            raise RepoNotFound(f"{repo.type} repository {repo.id} not found") from None

    def create_repo(self, repo: RepoId, private: bool = False, sdk: str | None = None) -> None:
        """Create a repo with an initial commit holding `.gitattributes`. Raises Conflict if it exists."""
        tree = {".gitattributes": self._tree_entry_for_bytes(INITIAL_GITATTRIBUTES.encode(), lfs=False)}
        self._create_repo_with(repo, self._new_commit([], tree, "initial commit", ""), private, sdk)

    def _create_repo_with(self, repo: RepoId, commit: dict, private: bool, sdk: str | None) -> None:
        """Create `repo` at once (staged, then renamed) with `commit` as its main branch; Conflict if it exists."""
        target = self._repo_dir(repo)
        with self._locked(self.root / "repos" / ".create.lock"):
            if target.exists():
                raise Conflict(f"You already created this {repo.type} repo: {repo.id}")
            staging = self.root / "tmp" / f"repo-{uuid.uuid4().hex}"
            (staging / "commits").mkdir(parents=True)
            self._write_json(staging / "commits" / f"{commit['id']}.json", commit)
            state = {"private": private, "sdk": sdk, "createdAt": commit["date"], "lastModified": commit["date"],
                     "branches": {"main": commit["id"]}, "tags": {}}
            self._write_json(staging / "repo.json", state)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging, target)

    def update_settings(self, repo: RepoId, private: bool | None = None, gated: str | bool | None = None) -> None:
        """Store visibility and gating (`"auto"`, `"manual"` or False); None leaves a setting as it is."""
        with self._repo_locked(repo) as state:
            state.update({key: value for key, value in (("private", private), ("gated", gated)) if value is not None})
            self._write_json(self._repo_dir(repo) / "repo.json", state)

    def move_repo(self, source: RepoId, target: RepoId) -> None:
        """Rename a repo, history, refs and settings included; the old id no longer exists."""
        with self._locked(self.root / "repos" / ".create.lock"), self._repo_locked(source):
            if self._repo_dir(target).exists():
                raise Conflict(f"You already created this {target.type} repo: {target.id}")
            self._repo_dir(target).parent.mkdir(parents=True, exist_ok=True)
            os.rename(self._repo_dir(source), self._repo_dir(target))

    def duplicate_repo(self, source: RepoId, target: RepoId, private: bool | None = None) -> None:
        """A new repo whose main branch is one commit holding `source`'s main tree (blobs are shared)."""
        state = self.repo_state(source)
        tree = self.tree(source, "main")[1]
        commit = self._new_commit([], tree, f"Duplicate from {source.id}", "")
        self._create_repo_with(target, commit, private=state["private"] if private is None else private,
                               sdk=state.get("sdk"))

    def delete_repo(self, repo: RepoId) -> None:
        target = self._repo_dir(repo)
        with self._locked(self.root / "repos" / ".create.lock"), self._repo_locked(repo):
            graveyard = self.root / "trash" / uuid.uuid4().hex
            os.rename(target, graveyard)
        shutil.rmtree(graveyard, ignore_errors=True)

    # ------------------------------------------------------------------ commits and revisions

    def _new_commit(self, parents: list[str], tree: dict, title: str, message: str) -> dict:
        body = {"parents": parents, "tree": tree, "title": title, "message": message, "date": now_iso(),
                "author": "local", "nonce": uuid.uuid4().hex}
        body["id"] = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()
        return body

    def _tree_entry_for_bytes(self, data: bytes, lfs: bool) -> dict:
        sha256 = self.put_blob(data)
        return self._tree_entry(sha256, len(data), lfs, data)

    @staticmethod
    def _tree_entry(sha256: str, size: int, lfs: bool, data: bytes | None) -> dict:
        oid = git_blob_sha1(lfs_pointer(sha256, size) if lfs else data)
        return {"sha256": sha256, "size": size, "lfs": lfs, "oid": oid}

    def read_commit(self, repo: RepoId, commit_id: str) -> dict:
        try:
            return json.loads((self._repo_dir(repo) / "commits" / f"{commit_id}.json").read_bytes())
        except FileNotFoundError:
            raise RevisionNotFound(f"commit {commit_id} not found in {repo.id}") from None

    def resolve_revision(self, repo: RepoId, revision: str) -> str:
        """Branch, tag, `refs/heads/x`, `refs/tags/x` or a full commit id -> commit id."""
        state = self.repo_state(repo)
        name = revision.removeprefix("refs/heads/").removeprefix("refs/tags/")
        if name in state["branches"]:
            return state["branches"][name]
        if name in state["tags"]:
            return state["tags"][name]["commit"]
        commit_id = self.find_commit(repo, revision)
        if commit_id is None:
            raise RevisionNotFound(f"Invalid rev id: {revision} (repository {repo.id})")
        return commit_id

    def find_commit(self, repo: RepoId, sha: str) -> str | None:
        """The commit whose id is `sha` or starts with it (7 to 40 hex digits), or None; ambiguous -> 404."""
        if not _SHORT_SHA_PATTERN.match(sha):
            return None
        folder = self._repo_dir(repo) / "commits"
        if len(sha) == 40:
            return sha if (folder / f"{sha}.json").exists() else None
        matches = [path.stem for path in folder.glob(f"{sha}*.json")]
        if len(matches) > 1:
            raise RevisionNotFound(f"Invalid rev id: {sha} is ambiguous, it starts {len(matches)} commit ids of "
                                   f"{repo.id}; give more digits")
        return matches[0] if matches else None

    def tree(self, repo: RepoId, revision: str) -> tuple[str, dict]:
        """(commit id, {path: entry}) at a revision."""
        commit_id = self.resolve_revision(repo, revision)
        return commit_id, self.read_commit(repo, commit_id)["tree"]

    def commit(self, repo: RepoId, branch: str, operations: list[AddFile | DeletePath], title: str,
               message: str = "", parent_commit: str | None = None) -> str:
        """Apply operations on top of `branch` as one atomic commit and return its id."""
        branch = branch.removeprefix("refs/heads/")
        with self._repo_locked(repo) as state:
            if branch not in state["branches"]:
                raise RevisionNotFound(f"Invalid rev id: {branch} is not a branch of {repo.id}")
            head = state["branches"][branch]
            if parent_commit is not None and self.find_commit(repo, parent_commit) != head:
                raise PreconditionFailed(f"A commit has happened since {parent_commit}: head of {branch} is {head}")
            tree = self._apply(dict(self.read_commit(repo, head)["tree"]), operations)
            conflict = tree_conflict(tree)
            if conflict:
                raise BadRequest(f"a git tree cannot hold this commit: {conflict}")
            return self._advance_branch(repo, state, branch, self._new_commit([head], tree, title, message))

    def _advance_branch(self, repo: RepoId, state: dict, branch: str, commit: dict) -> str:
        """Write `commit`, then point `branch` at it (the caller holds the repo lock)."""
        self._write_json(self._repo_dir(repo) / "commits" / f"{commit['id']}.json", commit)
        state["branches"][branch] = commit["id"]
        state["lastModified"] = commit["date"]
        self._write_json(self._repo_dir(repo) / "repo.json", state)
        parent = commit["parents"][0] if commit["parents"] else None
        known = self._cached_last_commits(repo, parent) if parent else None
        if known is not None:  # someone lists this branch with expand=true: keep their cache one step ahead
            with contextlib.suppress(OSError):  # (best effort: the commit has landed anyway)
                self._cache_last_commits(repo, known, parent, [commit])
        return commit["id"]

    def squash(self, repo: RepoId, branch: str, title: str) -> str:
        """Replace `branch`'s history by one commit without parents holding its current tree; return its id."""
        with self._repo_locked(repo) as state:
            if branch in state["tags"]:
                raise BadRequest(f"{branch} is a tag of {repo.id}: only a branch's history can be squashed")
            if branch not in state["branches"]:
                raise RevisionNotFound(f"Invalid rev id: {branch} is not a branch of {repo.id}")
            tree = self.read_commit(repo, state["branches"][branch])["tree"]
            return self._advance_branch(repo, state, branch, self._new_commit([], tree, title, ""))

    def _apply(self, tree: dict, operations: list[AddFile | DeletePath]) -> dict:
        for op in operations:
            path = validate_file_path(op.path.strip("/") if isinstance(op, DeletePath) else op.path)
            if isinstance(op, AddFile):
                if not self.has_blob(op.sha256, op.size):
                    raise BadRequest(f"file {op.path}: content {op.sha256} ({op.size} bytes) was never uploaded")
                data = None if op.lfs else self.read_blob(op.sha256)
                tree[path] = self._tree_entry(op.sha256, op.size, op.lfs, data)
            elif op.folder:
                doomed = [p for p in tree if p.startswith(path + "/")]
                if not doomed:
                    raise EntryNotFound(f"folder {path} does not exist")
                for p in doomed:
                    del tree[p]
            elif tree.pop(path, None) is None:
                raise EntryNotFound(f"file {path} does not exist")
        return tree

    def last_commits(self, repo: RepoId, commit_id: str) -> dict[str, dict]:
        """{path: {"id", "title", "date"}} of the commit that last changed each file and folder at `commit_id`.

        Walks first parents back to the nearest commit whose answer is cached (or to the root), steps forward
        from there, and caches the answer on disk (`lastcommits/<commit-id>.json`, immutable like the commit,
        rebuilt if lost).
        """
        chain, cursor, known = [], commit_id, None  # chain: ids of the commits not cached, newest first
        while cursor is not None and known is None:
            known = self._cached_last_commits(repo, cursor)
            if known is None:
                chain.append(cursor)
                parents = self.read_commit(repo, cursor)["parents"]
                cursor = parents[0] if parents else None
        if chain:
            newer = (self.read_commit(repo, newer_id) for newer_id in reversed(chain))
            known = self._cache_last_commits(repo, known, cursor, newer)
        return {path: known["commits"][used] for path, used in known["paths"].items()}

    def _cache_last_commits(self, repo: RepoId, known: dict | None, known_at: str | None,
                            newer_commits: Iterable[dict]) -> dict:
        """Step the cached answer `known` at commit `known_at` through `newer_commits` (oldest first) and cache
        the answer at the last of them."""
        paths, commits = (known["paths"], known["commits"]) if known else ({}, {})
        tree = self.read_commit(repo, known_at)["tree"] if known else {}
        for commit in newer_commits:
            paths, tree = step_last_commits(tree, paths, commit), commit["tree"]
            commits[commit["id"]] = {"id": commit["id"], "title": commit["title"], "date": commit["date"]}
        answer = {"paths": paths, "commits": {used: commits[used] for used in set(paths.values())}}
        (self._repo_dir(repo) / "lastcommits").mkdir(exist_ok=True)
        self._write_json(self._repo_dir(repo) / "lastcommits" / f"{commit['id']}.json", answer, durable=False)
        return answer

    def _cached_last_commits(self, repo: RepoId, commit_id: str) -> dict | None:
        """The cached answer, or None if absent or unreadable (not fsynced: a crash may leave it torn)."""
        try:
            return json.loads((self._repo_dir(repo) / "lastcommits" / f"{commit_id}.json").read_bytes())
        except (FileNotFoundError, ValueError):
            return None

    def history(self, repo: RepoId, revision: str) -> list[dict]:
        """Commits reachable from `revision`, newest first (first-parent chain)."""
        commit_id, commits = self.resolve_revision(repo, revision), []
        while commit_id:
            commit = self.read_commit(repo, commit_id)
            commits.append(commit)
            commit_id = commit["parents"][0] if commit["parents"] else None
        return commits

    # ------------------------------------------------------------------ branches and tags

    def create_branch(self, repo: RepoId, branch: str, starting_point: str | None = None) -> None:
        validate_ref_name(branch)
        with self._repo_locked(repo) as state:
            self._check_new_ref(repo, state, "branches", branch)
            state["branches"][branch] = self.resolve_revision(repo, starting_point or "main")
            self._write_json(self._repo_dir(repo) / "repo.json", state)

    def delete_branch(self, repo: RepoId, branch: str) -> None:
        self._delete_ref(repo, "branches", branch)

    def create_tag(self, repo: RepoId, tag: str, revision: str, message: str | None = None) -> None:
        validate_ref_name(tag)
        with self._repo_locked(repo) as state:
            self._check_new_ref(repo, state, "tags", tag)
            state["tags"][tag] = {"commit": self.resolve_revision(repo, revision), "message": message or ""}
            self._write_json(self._repo_dir(repo) / "repo.json", state)

    @staticmethod
    def _check_new_ref(repo: RepoId, state: dict, kind: str, name: str) -> None:
        folder = "heads" if kind == "branches" else "tags"
        if name in state[kind]:
            raise Conflict(f"Reference refs/{folder}/{name} already exists in {repo.id}")
        other = ref_names_collide(name, state[kind])
        if other:
            raise BadRequest(f"invalid {_REF_KIND_NAMES[kind]} name {name!r}: git cannot hold it beside "
                             f"refs/{folder}/{other}")

    def delete_tag(self, repo: RepoId, tag: str) -> None:
        self._delete_ref(repo, "tags", tag)

    def _delete_ref(self, repo: RepoId, kind: str, name: str) -> None:
        with self._repo_locked(repo) as state:
            if name not in state[kind]:
                raise RevisionNotFound(f"{_REF_KIND_NAMES[kind]} {name} not found in {repo.id}")
            if kind == "branches" and name == "main":
                raise BadRequest("the main branch cannot be deleted")
            del state[kind][name]
            self._write_json(self._repo_dir(repo) / "repo.json", state)
