"""Small file helpers every stage uses: atomic writes (a staging file beside the target, flushed to disk, renamed
into place), content hashes, JSON / JSON Lines records, and replacing a whole folder in one rename.

What it does not cover: the local Hub's storage (`gainrl.hub.storage` has its own staging area and locks), and
anything that knows what a file means.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A staging path beside `path` to write to; renamed onto `path` when the block ends without error (readers see
    the old file or the new one, never a partial one), removed when it raises."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        yield staging
        with open(staging, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as staging:
        staging.write_text(text, encoding="utf-8")
    return Path(path)


def write_json_atomic(path: str | os.PathLike, value) -> Path:
    return write_text_atomic(path, json.dumps(value))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_json_records(path: Path) -> list[dict]:
    """A JSON list of objects, or JSON Lines; errors name the line."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        try:
            records = json.loads(text)
        except ValueError as error:
            raise ValueError(f"{path}: not valid JSON ({error})") from None
    else:
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError as error:
                    raise ValueError(f"{path}: line {number} is not valid JSON ({error})") from None
    bad = [i for i, record in enumerate(records) if not isinstance(record, dict)]
    if bad:
        raise ValueError(f"{path}: records at rows {bad[:20]} are not JSON objects")
    return records


def write_parquet_named_by_content(data, folder: Path, split: str) -> str:
    """Write `<split>-<sha256[:12]>.parquet` and return its name.

    The content hash in the name matters: `datasets` caches a local folder by its card's config, not by the
    files' contents, so a re-scored folder under a fixed file name would load the stale cached rows.
    """
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".{split}.parquet.tmp"
    data.to_parquet(str(staging))
    name = f"{split}-{file_sha256(staging)[:12]}.parquet"
    staging.rename(folder / name)
    return name


def replace_dir_atomically(staging: Path, target: Path) -> None:
    """Put the finished `staging` folder at `target`; an old `target` is moved away first, never half-overwritten."""
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        os.rename(target, old)
    os.rename(staging, target)
    shutil.rmtree(old, ignore_errors=True)
