"""`check_code`: run an untrusted Python program against tests, in a separate, limited, throw-away process.

Every run gets a fresh temporary working directory (deleted afterwards), a scrubbed environment (no variable of
the caller is passed on), its own session and process group, and `prlimit` limits on CPU time, address space
(`memory_mb`), file size and open files; the caller waits at most `timeout` seconds of wall-clock time, then kills
it. The number of processes is capped: for an unprivileged caller with RLIMIT_NPROC (set to the caller's current
process count plus `max_processes`, since the kernel counts all processes of the user), for root (whom RLIMIT_NPROC
does not bind) with a `pids` cgroup when one is writable. After the run every process of the sandbox is killed:
its process group, the members of its cgroup, and any process still carrying the run's marker variable.

With bubblewrap (`bwrap`, Debian package `bubblewrap`) the program also runs in new user, PID, network, IPC, UTS
and cgroup namespaces: no network at all (not even the host's loopback), a read-only view of the file system
outside its working directory, an empty /tmp, a private /proc (it cannot read the caller's environment or command
line), common credential folders (the Hugging Face home, ~/.ssh, ~/.aws, ~/.config/gcloud) hidden, and every
process it started dies with it because its PID namespace ends. Without bubblewrap the limits still apply and a
warning is logged once.

What it does not protect against: without bubblewrap, network access, reading or writing any file the caller's
user may access, reading the caller's environment through /proc, and a process that both leaves the process group
and replaces its environment before the run ends; with or without it, reading files the caller's user may read
(bubblewrap makes them read-only, not invisible), kernel exploits, CPU time of other users, and a program that
reads the test harness (it is in the same file) to fake a pass. A root caller without a writable `pids` cgroup gets
no process-count limit (logged). This is isolation for model-generated code in evaluation and rewards, not a
security boundary for hostile users.
"""

from __future__ import annotations

import getpass
import logging
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from gainrl.checkers import process_limits

logger = logging.getLogger(__name__)
STATUSES = ("passed", "failed", "error", "timeout", "memory")
ISOLATIONS = ("auto", "bubblewrap", "rlimits")
MARKER_VARIABLE = "GAINRL_SANDBOX_RUN"
_TAIL_CHARS = 4_000
_SCRUBBED_PATH = "/usr/local/bin:/usr/bin:/bin"
_CREDENTIAL_DIRS = ("~/.ssh", "~/.aws", "~/.config/gcloud", "~/.cache/huggingface")
_CREDENTIAL_FILES = ("~/.netrc", "~/.git-credentials")


@dataclass(frozen=True)
class CaseResult:
    """One process run: a stdin/stdout case, or the program with its test code."""

    index: int
    status: str
    passed: bool
    seconds: float
    exit_code: int | None
    stdout: str  # the last few thousand characters
    stderr: str
    expected: str | None = None


@dataclass(frozen=True)
class CodeResult:
    passed: bool
    status: str  # one of STATUSES: the first case that did not pass decides it
    details: tuple[CaseResult, ...] = field(default_factory=tuple)
    isolation: str = "rlimits"


@dataclass(frozen=True)
class Limits:
    timeout: float
    memory_mb: int
    max_processes: int
    max_file_mb: int


def check_code(program: str, tests: str | list[dict], *, timeout: float = 10.0, memory_mb: int = 1024,
               max_processes: int = 64, max_file_mb: int = 16, isolation: str = "auto") -> CodeResult:
    """Run `program` against `tests` (Python test code, or a list of {"input", "output"} cases) in the sandbox."""
    if isolation not in ISOLATIONS:
        raise ValueError(f"isolation must be one of {ISOLATIONS}, got {isolation!r}")
    limits = Limits(timeout, memory_mb, max_processes, max_file_mb)
    use_bwrap = _resolve_isolation(isolation)
    runner = _SandboxRunner(limits, use_bwrap)
    if isinstance(tests, str):
        details = (runner.run_test_code(program, tests),)
    else:
        details = runner.run_io_cases(program, _validated_cases(tests))
    failing = next((case for case in details if not case.passed), None)
    status = "passed" if failing is None else failing.status
    return CodeResult(failing is None, status, tuple(details), "bubblewrap" if use_bwrap else "rlimits")


def _validated_cases(tests: list[dict]) -> list[dict]:
    if not isinstance(tests, (list, tuple)):
        raise ValueError(f"tests must be Python test code (str) or a list of cases, got {type(tests).__name__}")
    for index, case in enumerate(tests):
        if not isinstance(case, dict) or not isinstance(case.get("input"), str) or not isinstance(
                case.get("output"), str):
            raise ValueError(f"test case {index}: needs string fields 'input' and 'output', got {case!r:.200}")
    return list(tests)


def normalize_output(text: str) -> str:
    """Trailing white space removed from every line and from the end."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


class _SandboxRunner:
    def __init__(self, limits: Limits, use_bwrap: bool) -> None:
        self.limits = limits
        self.use_bwrap = use_bwrap

    def run_test_code(self, program: str, tests: str) -> CaseResult:
        sentinel = f"gainrl-tests-completed-{secrets.token_hex(16)}"
        source = f"{program}\n\n{tests}\n\nprint({sentinel!r}, flush=True)\n"
        run = self._run(source, stdin_text=None)
        status = _failure_status(run) or ("passed" if sentinel in run.stdout_tail else "error")
        return _case(0, status, run, expected=None)

    def run_io_cases(self, program: str, cases: list[dict]) -> list[CaseResult]:
        results = []
        for index, case in enumerate(cases):
            run = self._run(program, stdin_text=case["input"])
            matches = normalize_output(run.stdout) == normalize_output(case["output"])
            status = _failure_status(run) or ("passed" if matches else "failed")
            results.append(_case(index, status, run, expected=case["output"]))
            if status != "passed":
                break
        return results

    def _run(self, source: str, stdin_text: str | None) -> "_RunOutcome":
        base = Path(tempfile.mkdtemp(prefix="gainrl-sandbox-"))
        try:
            work = base / "work"
            work.mkdir()
            (work / "main.py").write_text(source, encoding="utf-8")
            return _execute(work, base, stdin_text, self.limits, self.use_bwrap)
        finally:
            shutil.rmtree(base, ignore_errors=True)


@dataclass(frozen=True)
class _RunOutcome:
    exit_code: int | None
    timed_out: bool
    seconds: float
    stdout: str
    stderr: str

    @property
    def stdout_tail(self) -> str:
        return self.stdout[-_TAIL_CHARS:]


def _execute(work: Path, base: Path, stdin_text: str | None, limits: Limits, use_bwrap: bool) -> _RunOutcome:
    marker = secrets.token_hex(12)
    environment = _scrubbed_environment(work, marker)
    (base / "stdin").write_text(stdin_text or "", encoding="utf-8")  # a file, so feeding input never blocks
    with process_limits.process_group_cap(limits.max_processes) as cap:
        command = cap.join_command(_sandbox_command(work, limits, cap.nproc_limit, use_bwrap, environment))
        started = time.monotonic()
        with open(base / "stdin", "rb") as stdin, open(base / "stdout", "w+b") as stdout, \
                open(base / "stderr", "w+b") as stderr:
            process = subprocess.Popen(command, cwd=work, env=environment, stdin=stdin, stdout=stdout,
                                       stderr=stderr, start_new_session=True)
            timed_out = not _exited_within(process, limits.timeout)
            if timed_out:
                process_limits.kill_group(process.pid)
            process.wait()
            seconds = time.monotonic() - started
            process_limits.kill_everything(process.pid, cap, MARKER_VARIABLE, marker)
            return _RunOutcome(process.returncode, timed_out, seconds, _read(stdout), _read(stderr))


def _exited_within(process: subprocess.Popen, timeout: float) -> bool:
    """Wait for exit without polling where Linux offers a pidfd (Popen.wait(timeout) sleeps in steps up to 50 ms)."""
    if hasattr(os, "pidfd_open"):
        try:
            descriptor = os.pidfd_open(process.pid)
        except OSError:
            descriptor = None
        if descriptor is not None:
            try:
                return bool(select.select([descriptor], [], [], timeout)[0])
            finally:
                os.close(descriptor)
    try:
        process.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def _read(stream) -> str:
    stream.seek(0)
    return stream.read().decode("utf-8", errors="replace")


def _scrubbed_environment(work: Path, marker: str) -> dict[str, str]:
    return {"PATH": _SCRUBBED_PATH, "HOME": str(work), "TMPDIR": str(work), "LANG": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1", MARKER_VARIABLE: marker}


def _sandbox_command(work: Path, limits: Limits, nproc_limit: int | None, use_bwrap: bool,
                     environment: dict[str, str]) -> list[str]:
    command = process_limits.prlimit_prefix(limits, nproc_limit) + [sys.executable, "-I", "-B", "main.py"]
    return _bwrap_prefix(work, environment) + command if use_bwrap else command


def _bwrap_prefix(work: Path, environment: dict[str, str]) -> list[str]:
    prefix = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
              "--bind", str(work), str(work), "--chdir", str(work), "--unshare-all", "--die-with-parent",
              "--new-session", "--clearenv"]
    for name, value in environment.items():
        prefix += ["--setenv", name, value]
    for folder in _interpreter_folders_under("/tmp"):  # the fresh /tmp would hide a virtualenv living there
        prefix += ["--ro-bind", folder, folder]
    for folder in _existing(_CREDENTIAL_DIRS + (os.environ.get("HF_HOME", ""),), Path.is_dir):
        prefix += ["--tmpfs", folder]
    for secret_file in _existing(_CREDENTIAL_FILES, Path.is_file):
        prefix += ["--ro-bind", "/dev/null", secret_file]
    return prefix + ["--"]


def _interpreter_folders_under(root: str) -> list[str]:
    """Folders of this Python (venv and base installation) that lie under `root`, outermost only."""
    candidates = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
                  os.path.dirname(sys.executable), os.path.dirname(os.path.realpath(sys.executable))}
    inside = sorted(os.path.realpath(path) for path in candidates if os.path.realpath(path).startswith(root + "/"))
    return [path for index, path in enumerate(inside)
            if not any(path.startswith(outer + "/") for outer in inside[:index])]


def _existing(paths: tuple[str, ...], predicate) -> list[str]:
    found = (Path(path).expanduser() for path in paths if path)
    return sorted({str(path.resolve()) for path in found if predicate(path)})


def _failure_status(run: _RunOutcome) -> str | None:
    """The status of a run that cannot have passed, or None when its output decides."""
    if run.timed_out or run.exit_code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
        return "timeout"
    if "MemoryError" in run.stderr[-_TAIL_CHARS:]:
        return "memory"
    if run.exit_code == 0:
        return None
    return "failed" if "AssertionError" in run.stderr[-_TAIL_CHARS:] else "error"


def _case(index: int, status: str, run: _RunOutcome, expected: str | None) -> CaseResult:
    return CaseResult(index, status, status == "passed", run.seconds, run.exit_code, run.stdout_tail,
                      run.stderr[-_TAIL_CHARS:], expected)


def _resolve_isolation(isolation: str) -> bool:
    if isolation == "rlimits":
        return False
    available = bubblewrap_available()
    if isolation == "bubblewrap" and not available:
        raise RuntimeError("isolation='bubblewrap' but bwrap is missing or cannot create namespaces here "
                           "(install the Debian package 'bubblewrap')")
    if not available:
        _warn_without_bubblewrap(getpass.getuser())
    return available


@lru_cache(maxsize=1)
def bubblewrap_available() -> bool:
    """True when `bwrap` exists and can create the namespaces the sandbox uses."""
    if shutil.which("bwrap") is None:
        return False
    probe = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all",
             "--die-with-parent", "--", "true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@lru_cache(maxsize=1)
def _warn_without_bubblewrap(user: str) -> None:
    logger.warning("gainrl.checkers.check_code: bubblewrap is not usable; untrusted code runs with resource limits "
                   "only (no network or file-system isolation) as user %s. Install the 'bubblewrap' package.", user)
