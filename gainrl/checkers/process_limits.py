"""Process-count caps, throw-away user ids and clean-up for `gainrl.checkers.sandbox`.

RLIMIT_NPROC counts every process of the user and does not bind root, so: a run under its own throw-away uid
(`run_uid`, root callers in rlimits mode) gets RLIMIT_NPROC = the cap exactly; any other unprivileged caller gets
its current process count + the cap; a root caller under bubblewrap gets a fresh `pids` cgroup (cgroup v1 `pids`
hierarchy, or a writable cgroup v2 directory with the `pids` controller) that the sandboxed command joins before it
starts, and with neither one logged warning and no cap. Clean-up kills the run's process group, the members of its
cgroup, and every process whose environment carries the run's marker (always without a PID namespace; after a
timeout with one, whose end then comes asynchronously).

`run_uid` hands out one uid per concurrent run (a slot of a fixed range, locked with `flock` in a root-only folder,
so concurrent runs in this or other processes never share one), and `remove_files_of` deletes what such a uid left
in the world-writable folders.
What it does not cover: other operating systems than Linux (/proc, cgroups and namespaces are Linux facilities).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from functools import lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)
OPEN_FILES = 256
RUN_UID_SLOTS = 1024
_RUN_UID_BASES = (2_100_000_000, 50_000)  # far above ordinary and container-mapped uids; inside a 64k-uid map
_WORLD_WRITABLE_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue")
_JOIN_CGROUP = 'echo $$ > "$0" && exec "$@"'


def resource_limits(limits, nproc_limit: int | None) -> dict[str, int]:
    """The rlimits (by `resource` module name) for CPU seconds, address space, file size, open files, core dumps
    and processes, which the sandbox harness sets on itself before the program runs."""
    values = {"RLIMIT_CPU": int(limits.timeout) + 1, "RLIMIT_AS": limits.memory_mb << 20,
              "RLIMIT_FSIZE": limits.max_file_mb << 20, "RLIMIT_NOFILE": OPEN_FILES, "RLIMIT_CORE": 0}
    return values if nproc_limit is None else {**values, "RLIMIT_NPROC": nproc_limit}


class ProcessCap:
    """How one run's process count is capped: an RLIMIT_NPROC value, a cgroup to join, or nothing."""

    def __init__(self, nproc_limit: int | None, cgroup: Path | None) -> None:
        self.nproc_limit = nproc_limit
        self.cgroup = cgroup

    def join_command(self, command: list[str]) -> list[str]:
        if self.cgroup is None:
            return command
        return ["/bin/sh", "-c", _JOIN_CGROUP, str(self.cgroup / "cgroup.procs"), *command]

    def kill_members(self) -> None:
        if self.cgroup is None:
            return
        for _ in range(200):
            members = _cgroup_members(self.cgroup)
            if not members:
                return
            for pid in members:
                _kill(pid)
            time.sleep(0.005)

    def remove(self) -> None:
        if self.cgroup is None:
            return
        for _ in range(200):
            try:
                self.cgroup.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:  # busy until the last member has exited
                self.kill_members()
                time.sleep(0.01)
        logger.warning("could not remove sandbox cgroup %s", self.cgroup)


@contextlib.contextmanager
def process_group_cap(max_processes: int, own_uid: bool):
    """A `ProcessCap` for one run (`own_uid`: it runs under a uid of its own), with its cgroup removed afterwards."""
    cap = _make_cap(max_processes, own_uid)
    try:
        yield cap
    finally:
        cap.kill_members()
        cap.remove()


def _make_cap(max_processes: int, own_uid: bool) -> ProcessCap:
    if own_uid:
        return ProcessCap(max_processes, None)
    if os.geteuid() != 0:
        return ProcessCap(_user_process_count() + max_processes, None)
    cgroup = _new_pids_cgroup(max_processes)
    if cgroup is None:
        _warn_uncapped()
    return ProcessCap(None, cgroup)


def _user_process_count() -> int:
    uid = str(os.getuid())
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            continue
        count += any(line.startswith("Uid:") and line.split()[1] == uid for line in lines)
    return count


def _new_pids_cgroup(max_processes: int) -> Path | None:
    for parent in _pids_cgroup_parents():
        folder = parent / f"gainrl-sandbox-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            folder.mkdir()
            (folder / "pids.max").write_text(str(max_processes))
            return folder
        except OSError:
            with contextlib.suppress(OSError):
                folder.rmdir()
    return None


@lru_cache(maxsize=1)
def _pids_cgroup_parents() -> tuple[Path, ...]:
    """Folders under which this process may create a pids cgroup: v1 `pids` hierarchy first, then cgroup v2."""
    own = _own_cgroups()
    parents = []
    for mount_point, fstype, options in _cgroup_mounts():
        if fstype == "cgroup" and "pids" in options.split(","):
            parents.append(Path(mount_point) / own.get("pids", "/").lstrip("/"))
        elif fstype == "cgroup2":
            folder = Path(mount_point) / own.get("", "/").lstrip("/")
            if "pids" in _read(folder / "cgroup.subtree_control").split():
                parents.append(folder)
    return tuple(parents)


def _own_cgroups() -> dict[str, str]:
    cgroups = {}
    for line in _read(Path("/proc/self/cgroup")).splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            cgroups[controller] = path
    return cgroups


def _cgroup_mounts() -> list[tuple[str, str, str]]:
    mounts = []
    for line in _read(Path("/proc/self/mountinfo")).splitlines():
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            mounts.append((fields[4], tail[0], tail[2]))
    return mounts


def _cgroup_members(cgroup: Path) -> list[int]:
    return [int(pid) for pid in _read(cgroup / "cgroup.procs").split()]


def end_timed_out(launcher: subprocess.Popen) -> None:
    """End a run past its time: kill the launcher's children first (a PID namespace's init, whose exit waits until
    the kernel has killed every process of the namespace), let the launcher exit after them, then its group."""
    for child in _read(Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children")).split():
        _kill(int(child))
    with contextlib.suppress(subprocess.TimeoutExpired):
        launcher.wait(10)
    kill_group(launcher.pid)


def kill_group(process_group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process_group, signal.SIGKILL)


def kill_everything(leader_pid: int, cap: ProcessCap, marker_variable: str, marker: str) -> None:
    """Kill the run's process group, its cgroup members and any process whose environment has the marker."""
    kill_group(leader_pid)
    cap.kill_members()
    if marker:
        _kill_marked(marker_variable, marker)


def _kill_marked(marker_variable: str, marker: str) -> None:
    """SIGKILL marked processes until a pass over /proc finds none (a fork bomb may fork while it is killed)."""
    needle = f"{marker_variable}={marker}".encode()
    for _ in range(50):
        found = False
        for environ in Path("/proc").glob("[0-9]*/environ"):
            try:
                if needle in environ.read_bytes().split(b"\0"):
                    _kill(int(environ.parent.name))
                    found = True
            except (OSError, ValueError):
                continue
        if not found:
            return


@contextlib.contextmanager
def run_uid():
    """A throw-away uid that no other current run holds (root only); the files it left are removed afterwards.

    Its processes need no hunt by uid: the sandbox runs them in a PID namespace of their own, which ends with the
    run (and after a timeout, the sandbox kills its marked processes until none is left)."""
    base, folder = _run_uid_base(), _lock_folder()
    start = secrets.randbelow(RUN_UID_SLOTS)
    for offset in range(RUN_UID_SLOTS):
        slot = (start + offset) % RUN_UID_SLOTS
        descriptor = os.open(folder / str(slot), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        before = _modification_times()
        try:
            yield base + slot
        finally:
            remove_files_of(base + slot, skip=before)
            os.close(descriptor)
        return
    raise RuntimeError(f"check_code: all {RUN_UID_SLOTS} sandbox uids are in use")


@lru_cache(maxsize=1)
def _run_uid_base() -> int:
    """The first of the uids handed out, inside this user namespace's uid map."""
    extents = []
    for line in _read(Path("/proc/self/uid_map")).splitlines():
        inside, _, count = (int(value) for value in line.split())
        extents.append((inside, inside + count))
    for base in _RUN_UID_BASES:
        if any(start <= base and base + RUN_UID_SLOTS <= end for start, end in extents):
            return base
    raise RuntimeError(f"check_code: no uid range for sandbox runs in this user namespace (tried {_RUN_UID_BASES})")


@lru_cache(maxsize=1)
def _lock_folder() -> Path:
    """A folder only root can write: /run/gainrl-sandbox-uids, else one under the temporary folder."""
    for folder in (Path("/run/gainrl-sandbox-uids"), Path(tempfile.gettempdir()) / "gainrl-sandbox-uids"):
        with contextlib.suppress(OSError):
            folder.mkdir(mode=0o700, exist_ok=True)
            info = folder.lstat()
            if stat.S_ISDIR(info.st_mode) and info.st_uid == 0 and info.st_mode & 0o077 == 0:
                return folder
    raise RuntimeError("check_code: cannot create a root-only lock folder for sandbox uids")


def remove_files_of(uid: int, skip: dict[str, int] | None = None) -> None:
    """Delete what `uid` created at the top of the world-writable folders (/tmp, /var/tmp, /dev/shm, /dev/mqueue),
    except in folders whose modification time is still the one in `skip` (taken before the run started: nothing
    was created there since; a run lasts longer than the file-system clock's tick)."""
    now = _modification_times()
    for folder in _WORLD_WRITABLE_FOLDERS:
        if folder not in now or (skip or {}).get(folder) == now[folder]:
            continue
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_uid != uid:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)


def _modification_times() -> dict[str, int]:
    times = {}
    for folder in _WORLD_WRITABLE_FOLDERS:
        with contextlib.suppress(OSError):
            times[folder] = os.stat(folder).st_mtime_ns
    return times


def _kill(pid: int) -> None:
    if pid != os.getpid():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


@lru_cache(maxsize=1)
def _warn_uncapped() -> None:
    logger.warning("gainrl.checkers.check_code runs as root without a writable pids cgroup: the number of processes "
                   "of a sandboxed program is not capped")
