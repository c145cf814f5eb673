"""JSON shapes of the Hub API, built from storage records: repo info, tree entries, commit payloads, card metadata.

Pure functions over `gainrl.hub.storage` data (no HTTP), shared by the request handlers.

What it does not cover: fields the clients do not read (downloads and likes are constants, no security-scan
fields in tree entries, no pagination).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Iterable

import yaml

from gainrl.hub.storage import AddFile, BadRequest, DeletePath, HubStorage, PayloadTooLarge, RepoId, lfs_pointer

LFS_SIZE_THRESHOLD = 10 * 1024 * 1024  # what `preupload` announces: larger files must go through LFS


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


def repo_info_payload(storage: HubStorage, repo: RepoId, revision: str, with_blobs: bool) -> dict:
    """What `GET /api/<type>s/<id>[/revision/<rev>]` returns (`blobs=true` adds sizes and LFS details)."""
    state = storage.repo_state(repo)
    commit_id = storage.resolve_revision(repo, revision)
    commit = storage.read_commit(repo, commit_id)
    tree = commit["tree"]
    info = {"id": repo.id, "_id": hashlib.sha1(repo.id.encode()).hexdigest()[:24], "author": repo.namespace,
            "sha": commit_id, "lastModified": commit["date"], "createdAt": state["createdAt"],
            "private": state["private"], "gated": state.get("gated", False), "disabled": False, "downloads": 0,
            "likes": 0, "siblings": [sibling(path, tree[path], with_blobs) for path in sorted(tree)]}
    card = _card_data(storage, tree)
    info["tags"] = list(card.get("tags") or []) if card else []
    if card is not None:
        info["cardData"] = card
    info.update(_type_specific_info(storage, repo, tree, state, card or {}))
    return info


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
    return len(lfs_pointer(entry["sha256"], entry["size"]))


def file_entry(path: str, entry: dict) -> dict:
    item = {"type": "file", "oid": entry["oid"], "size": entry["size"], "path": path}
    if entry["lfs"]:
        item["lfs"] = {"oid": entry["sha256"], "size": entry["size"], "pointerSize": _pointer_size(entry)}
    return item


def folder_entry(path: str, tree: dict) -> dict:
    children = sorted(f"{p}:{e['oid']}" for p, e in tree.items() if p.startswith(path + "/"))
    return {"type": "directory", "oid": hashlib.sha1("\n".join(children).encode()).hexdigest(), "size": 0,
            "path": path}


def with_last_commits(entries: list[dict], last_commits: dict[str, dict]) -> list[dict]:
    """`entries` with the `lastCommit` (id, title, date) that `expand=true` asks for."""
    return [{**entry, "lastCommit": last_commits[entry["path"]]} for entry in entries]


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


def parse_commit_payload(storage: HubStorage, lines: Iterable[bytes]) -> tuple[dict, list]:
    """NDJSON commit payload lines -> (header, operations); file contents are stored as blobs on the way."""
    header, operations = None, []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            key, value = item["key"], item["value"]
            if key == "header":
                header = _commit_header(value)
            else:
                operations.append(_commit_operation(storage, key, value))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BadRequest(f"commit payload line {number}: missing or invalid field {error}") from None
    if header is None:
        raise BadRequest("commit payload has no header line")
    return header, operations


def _commit_header(value: dict) -> dict:
    if not isinstance(value, dict):
        raise TypeError("'value' of the header must be an object")
    for name in ("summary", "description", "parentCommit"):
        if not isinstance(value.get(name) or "", str):
            raise TypeError(f"'{name}' must be a string")
    return value


def _commit_operation(storage: HubStorage, key: str, value: dict) -> AddFile | DeletePath:
    if key == "file":
        if value.get("encoding", "base64") != "base64":
            raise ValueError("'encoding' must be base64")
        data = base64.b64decode(value["content"], validate=True)
        if len(data) > LFS_SIZE_THRESHOLD:
            raise PayloadTooLarge(f"regular file {value['path']!r} is over the LFS threshold ({LFS_SIZE_THRESHOLD} "
                                  "bytes): upload it as an LFS file")
        return AddFile(value["path"], storage.put_blob(data), len(data), lfs=False)
    if key == "lfsFile":
        if value.get("algo", "sha256") != "sha256":
            raise ValueError("'algo' must be sha256")
        return AddFile(value["path"], value["oid"], int(value["size"]), lfs=True)
    if key in ("deletedFile", "deletedFolder"):
        return DeletePath(value["path"], folder=key == "deletedFolder")
    raise ValueError(f"'key' {key!r} is not supported (copy operations are not implemented)")
