"""Expected user mistakes: the `UserError` the command line prints in one or two lines (exit code 2, no traceback
unless `--debug`), and the checks that catch the common ones before any model, dataset or Hub work starts.

`check_local_path` keeps mistyped local paths away from the Hub: a name that starts with `./`, `../`, `/` or `~`,
that ends in a data file's suffix (`.json`, `.parquet`...), that has more parts than a Hub repo id
(`owner/name`), or whose first folder exists here is a local path, and a
missing one is reported as "no such file or folder" at once instead of after huggingface_hub's retries.

What it does not cover: validating the contents of files (the commands do, naming every bad record), or errors of
the Hub itself (the command line turns the common ones into one line).
"""

from __future__ import annotations

from pathlib import Path

LOCAL_PREFIXES = ("./", "../", "/", "~", ".\\", "..\\")
FILE_SUFFIXES = (".json", ".jsonl", ".parquet", ".csv", ".pt", ".yaml", ".yml")


class UserError(Exception):
    """A mistake the user can fix: the message names the problem and the fix."""


def looks_local(name: str) -> bool:
    """Whether `name` can only mean a local file or folder (never a Hub repo id)."""
    if name in (".", "..") or name.startswith(LOCAL_PREFIXES) or name.lower().endswith(FILE_SUFFIXES):
        return True
    parts = Path(name).parts
    return len(parts) > 2 or (len(parts) == 2 and Path(parts[0]).exists())


def check_local_path(name: str | None, flag: str) -> None:
    """Raise `UserError` when `name` is a local path that does not exist; Hub ids and existing paths pass."""
    if name and looks_local(name) and not Path(name).expanduser().exists():
        raise UserError(f"{flag} {name}: no such file or folder" + _nearest_hint(Path(name).expanduser()))


def _nearest_hint(path: Path) -> str:
    existing = next((parent for parent in path.parents if parent.exists()), None)
    if existing is None or existing in (Path("."), Path("/")):
        return ""
    return f" ({existing} exists; {path.relative_to(existing).parts[0]} is not in it)"
