"""`check_code`: run an untrusted Python program against tests, in a separate, limited, throw-away process.

Tests come in three forms, and the verdict is always made here, in the caller:
  * stdin/stdout cases (`[{"input", "output"}]`): one run per case; stdout is compared here, the expected output
    never enters the sandbox.
  * function calls (`{"fn_name", "inputs", "outputs"}`): only the arguments go in; the return values come back
    type-exact (builtin value types only, no subclasses) and are compared here with `==`.
  * assert-style test code (a string, HumanEval / MBPP): asserts of a known shape (`f(x) == <literal>`, ...; see
    `assert_split`) are split: only their program side goes in, its value comes back type-exact and is compared
    here with the literal. The rest of the test code runs inside, after the program, with the builtins as they were
    before the program ran and with execve blocked; it passes when the harness reports a per-run secret after the
    test code ended without an exception (no printed marker). A value that is not a builtin value type (an object
    whose `__eq__` is always true, a numpy scalar) fails.

Every run gets a fresh working directory, a scrubbed environment (no variable of the caller), its own session and
process group, rlimits on CPU time, address space (`memory_mb`), file size and open files (set by the harness on
itself before the program runs), a process-count cap, and a seccomp filter (`_sandbox_harness.syscall_filter`: no
AF_UNIX sockets, io_uring, unshare, setns or namespace clones; socketpair stays); the caller waits at most
`timeout` seconds of wall-clock time. The program never runs as the caller's child (bwrap, or `unshare --fork`,
stands between), and every process it started is killed afterwards (its PID namespace ends, or its process group,
cgroup and marked processes are killed).

Isolation modes (`isolation=`):
  bubblewrap  bwrap with new user, PID, network, IPC, UTS and cgroup namespaces; the program runs as uid 65534
              inside, with every capability dropped, no_new_privs and no further user namespaces, so mount,
              umount, unshare, setuid and raising a hard rlimit fail. No network (not even loopback), no
              Unix-domain sockets (the seccomp filter; /run and /var/run are empty), a read-only view of the file
              system, a private /proc, the credential folders (Hugging Face home, ~/.ssh, ~/.aws, ~/.config/gcloud,
              ~/.netrc, ~/.git-credentials) hidden; the writable places are two tmpfs mounts of `memory_mb / 2`
              each, /tmp (holding the working directory) and /dev/shm, so files pin at most `memory_mb` of RAM on
              top of the program's own `memory_mb`. It cannot see or signal any process outside its PID namespace,
              which ends with the run. Raises RuntimeError where bwrap cannot run.
  rlimits     no namespaces, except for a root caller a PID namespace of the run's own. As root, the program also
              runs under a throw-away uid (one per concurrent run, `process_limits.run_uid`; the harness switches
              to it before reading the job) with no capabilities and no_new_privs, so it cannot signal or trace
              the caller, other runs or other users' processes, and can write only to its directory and the
              world-writable folders (what it leaves there is deleted after the run); this Python must be usable
              by another uid (RuntimeError otherwise, e.g. for a Python under /root). Not root: it runs as the
              caller's user, under an intermediate `unshare --fork`. Logs once what that does not protect against.
  auto        bubblewrap where bwrap runs, else rlimits (with that warning); `CodeResult.isolation` says which.

What it does not protect against, in every mode: kernel exploits, CPU time taken from other users, reading files
the sandbox's uid may read (world-readable ones; under bubblewrap as root, files readable by root too, read-only),
and, for the test code that stays inside (asserts of other shapes, asserts in loops), a program that forges the
in-process verdict: it can find the per-run secret in its own memory and write the report, or monkeypatch the
modules (not the builtins) that those test expressions call. Split asserts, function calls and stdin/stdout cases
cannot be forged that way: the expected values are never inside. In rlimits mode also: network access, reading
world-readable files, writing to /tmp and /dev/shm without a size bound during the run (only per file, by
`max_file_mb`), System V IPC objects left behind, and seeing other processes; without root, in addition, everything
the caller's user may do: reading and writing its files, signalling or tracing its processes (the caller itself
included) and reading their memory, so in-process verdicts can be forged. This is isolation for model-generated
code in evaluation and rewards, not a security boundary for hostile users. Linux on x86-64 or arm64 only.
"""

from __future__ import annotations

import contextlib
import getpass
import importlib.util
import json
import logging
import marshal
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from gainrl.checkers import _sandbox_harness, process_limits
from gainrl.checkers.assert_split import SplitTests, split_asserts

logger = logging.getLogger(__name__)
STATUSES = ("passed", "failed", "error", "timeout", "memory")
ISOLATIONS = ("auto", "bubblewrap", "rlimits")
MARKER_VARIABLE = "GAINRL_SANDBOX_RUN"
SANDBOX_UID = 65534
SANDBOX_TMP = "/tmp"  # inside bubblewrap: the sandbox's own bounded tmpfs, not the host's
_TAIL_CHARS = 4_000
_SCRUBBED_PATH = "/usr/local/bin:/usr/bin:/bin"
_CREDENTIAL_DIRS = ("~/.ssh", "~/.aws", "~/.config/gcloud", "~/.cache/huggingface")
_CREDENTIAL_FILES = ("~/.netrc", "~/.git-credentials")
_HARNESS = str(Path(_sandbox_harness.__file__).resolve())
_JOB_FILE = ".gainrl-job"


@dataclass(frozen=True)
class CaseResult:
    """One process run: a stdin/stdout case, the function calls, or the program with its test code."""

    index: int
    status: str
    passed: bool
    seconds: float
    exit_code: int | None
    stdout: str  # the last few thousand characters
    stderr: str  # the program's, then a line from check_code saying why it failed, if it did
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


def check_code(program: str, tests: str | list[dict] | dict, *, timeout: float = 10.0, memory_mb: int = 1024,
               max_processes: int = 64, max_file_mb: int = 16, isolation: str = "auto") -> CodeResult:
    """Run `program` against `tests`: Python test code, a list of {"input", "output"} cases, or function calls
    {"fn_name", "inputs": [[argument, ...], ...], "outputs": [value, ...]}. Safe to call from several threads."""
    if isolation not in ISOLATIONS:
        raise ValueError(f"isolation must be one of {ISOLATIONS}, got {isolation!r}")
    if _sandbox_harness.syscall_filter(block_exec=False) is None:
        raise RuntimeError(f"check_code supports Linux on x86-64 and arm64 only, not {os.uname().machine}")
    limits = Limits(timeout, memory_mb, max_processes, max_file_mb)
    use_bwrap = _resolve_isolation(isolation)
    runner = _SandboxRunner(limits, use_bwrap)
    if isinstance(tests, str):
        details = (runner.run_test_code(program, tests),)
    elif isinstance(tests, dict):
        details = (runner.run_function_calls(program, *_validated_calls(tests)),)
    else:
        details = runner.run_io_cases(program, _validated_cases(tests))
    failing = next((case for case in details if not case.passed), None)
    status = "passed" if failing is None else failing.status
    return CodeResult(failing is None, status, tuple(details), "bubblewrap" if use_bwrap else "rlimits")


def _validated_cases(tests: list[dict]) -> list[dict]:
    if not isinstance(tests, (list, tuple)):
        raise ValueError(f"tests must be Python test code (str), a list of cases or a dict of function calls, "
                         f"got {type(tests).__name__}")
    for index, case in enumerate(tests):
        if not isinstance(case, dict) or not isinstance(case.get("input"), str) or not isinstance(
                case.get("output"), str):
            raise ValueError(f"test case {index}: needs string fields 'input' and 'output', got {case!r:.200}")
    return list(tests)


def _validated_calls(tests: dict) -> tuple[str, list, list]:
    name, inputs, outputs = tests.get("fn_name"), tests.get("inputs"), tests.get("outputs")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"function-call tests: 'fn_name' must be a function name, got {name!r:.100}")
    if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != len(outputs):
        raise ValueError("function-call tests: 'inputs' and 'outputs' must be lists of the same length")
    for index, arguments in enumerate(inputs):
        if not isinstance(arguments, list):
            raise ValueError(f"function-call tests: inputs[{index}] must be a list of arguments, "
                             f"got {arguments!r:.100}")
    return name, inputs, outputs


def normalize_output(text: str) -> str:
    """Trailing white space removed from every line and from the end."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


class _SandboxRunner:
    def __init__(self, limits: Limits, use_bwrap: bool) -> None:
        self.limits = limits
        self.use_bwrap = use_bwrap

    def run_test_code(self, program: str, tests: str) -> CaseResult:
        split = split_asserts(tests)
        secret = secrets.token_hex(16)
        run = self._run({"mode": "tests", "program": program, "tests": split.code, "secret": secret}, None)
        status, reason = _failure_status(run) or _split_verdict(run, split) or _completion_verdict(run, secret)
        return _case(0, status, run, None, reason)

    def run_function_calls(self, program: str, name: str, inputs: list, outputs: list) -> CaseResult:
        secret = secrets.token_hex(16)
        job = {"mode": "calls", "program": program, "fn_name": name, "inputs": inputs, "secret": secret}
        run = self._run(job, None)
        status, reason = _failure_status(run) or _calls_verdict(run, outputs) or _completion_verdict(run, secret)
        return _case(0, status, run, None, reason)

    def run_io_cases(self, program: str, cases: list[dict]) -> list[CaseResult]:
        results = []
        for index, case in enumerate(cases):
            run = self._run({"mode": "script", "program": program}, stdin_text=case["input"])
            matches = normalize_output(run.stdout) == normalize_output(case["output"])
            status, reason = _failure_status(run) or (("passed", "") if matches else ("failed", ""))
            results.append(_case(index, status, run, case["output"], reason))
            if status != "passed":
                break
        return results

    def _run(self, job: dict, stdin_text: str | None) -> _RunOutcome:
        with _memory_file("stdin", (stdin_text or "").encode()) as stdin, _memory_file("stdout") as stdout, \
                _memory_file("stderr") as stderr, _memory_file("results") as results:
            streams = _Streams(stdin, stdout, stderr, results)
            if self.use_bwrap:
                return _execute_bwrap(job, self.limits, streams)
            return _execute_rlimits(job, self.limits, streams)


@contextlib.contextmanager
def _memory_file(name: str, content: bytes = b""):
    """An anonymous in-memory file (memfd: nothing on disk to create and delete), positioned at its start."""
    with os.fdopen(os.memfd_create(f"gainrl-sandbox-{name}"), "w+b") as handle:
        handle.write(content)
        handle.seek(0)
        yield handle


@dataclass(frozen=True)
class _Streams:
    stdin: object  # memfd file objects; `results` receives the harness's reports
    stdout: object
    stderr: object
    results: object


@dataclass(frozen=True)
class _RunOutcome:
    exit_code: int | None
    timed_out: bool
    seconds: float
    stdout: str
    stderr: str
    reports: tuple[dict, ...]

    @property
    def stdout_tail(self) -> str:
        return self.stdout[-_TAIL_CHARS:]


@dataclass(frozen=True)
class _Launch:
    command: list[str]
    cwd: str
    environment: dict[str, str]
    pass_fds: tuple[int, ...]
    marker: str  # the value of MARKER_VARIABLE in the program's environment
    hunt_marked: bool  # kill marked processes after every run (no PID namespace ends them), not only on timeout
    namespace_info: int | None = None  # bwrap's --info-fd, read end: wait for its namespace to end after the run


def _execute_bwrap(job: dict, limits: Limits, streams: _Streams) -> _RunOutcome:
    inside_work = f"{SANDBOX_TMP}/gainrl-sandbox-{secrets.token_hex(8)}/work"
    info_read, info_write = os.pipe()  # bwrap writes the PID of the namespace's init there
    try:
        with process_limits.process_group_cap(limits.max_processes, False) as cap, \
                _memory_file("job", _job_bytes(job, limits, cap)) as job_file:
            marker = secrets.token_hex(12)
            environment = _scrubbed_environment(inside_work, marker)
            command = (_bwrap_prefix(inside_work, limits, environment, job_file.fileno(), info_write)
                       + _harness_command(f"{inside_work}/{_JOB_FILE}", streams.results.fileno()))
            launch = _Launch(cap.join_command(command), "/", environment,
                             (job_file.fileno(), streams.results.fileno(), info_write), marker, False, info_read)
            return _launch(launch, streams, limits, cap)
    finally:
        for descriptor in (info_read, info_write):
            with contextlib.suppress(OSError):
                os.close(descriptor)


def _execute_rlimits(job: dict, limits: Limits, streams: _Streams) -> _RunOutcome:
    work = Path(tempfile.mkdtemp(prefix="gainrl-sandbox-"))
    as_root = os.geteuid() == 0
    try:
        with process_limits.run_uid() if as_root else contextlib.nullcontext() as uid, \
                process_limits.process_group_cap(limits.max_processes, uid is not None) as cap:
            (work / _JOB_FILE).write_bytes(_job_bytes(job, limits, cap))
            if uid is not None:
                for path in (work, work / _JOB_FILE):
                    os.chown(path, uid, uid)
            marker = secrets.token_hex(12)
            environment = _scrubbed_environment(str(work), marker)
            command = ["unshare", *(["--pid"] if as_root else []), "--fork", "--kill-child", "--"] + \
                _harness_command(str(work / _JOB_FILE), streams.results.fileno(), uid)
            launch = _Launch(cap.join_command(command), str(work), environment, (streams.results.fileno(),), marker,
                             not as_root)
            return _launch(launch, streams, limits, cap)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _job_bytes(job: dict, limits: Limits, cap) -> bytes:
    magic, code = _harness_code()
    return marshal.dumps({**job, "limits": process_limits.resource_limits(limits, cap.nproc_limit),
                          "harness_magic": magic, "harness_code": code, "harness_path": _HARNESS})


@lru_cache(maxsize=1)
def _harness_code() -> tuple[bytes, bytes]:
    """The harness module compiled once here (its bytecode magic number, its marshalled code object)."""
    source = Path(_HARNESS).read_bytes()
    return importlib.util.MAGIC_NUMBER, marshal.dumps(compile(source, _HARNESS, "exec"))


def _harness_command(job_path: str, result_fd: int, uid: int | None = None) -> list[str]:
    switch_user = [] if uid is None else [str(uid)]  # the harness switches before it reads the job
    return [sys.executable, "-I", "-B", "-c", _sandbox_harness.BOOTSTRAP, job_path, str(result_fd), *switch_user]


def _launch(launch: _Launch, streams: _Streams, limits: Limits, cap) -> _RunOutcome:
    started = time.monotonic()
    process = subprocess.Popen(launch.command, cwd=launch.cwd, env=launch.environment, stdin=streams.stdin,
                               stdout=streams.stdout, stderr=streams.stderr, start_new_session=True,
                               pass_fds=launch.pass_fds)
    timed_out = not _exited_within(process, limits.timeout)
    if timed_out:
        process_limits.end_timed_out(process)
    process.wait()
    seconds = time.monotonic() - started
    ended = launch.namespace_info is None or _namespace_ended(launch.namespace_info)
    hunted = launch.marker if timed_out or launch.hunt_marked or not ended else ""
    process_limits.kill_everything(process.pid, cap, MARKER_VARIABLE, hunted)
    return _RunOutcome(process.returncode, timed_out, seconds, _read(streams.stdout), _read(streams.stderr),
                       _reports(streams.results))


def _namespace_ended(info_descriptor: int, wait_s: float = 10.0) -> bool:
    """Wait until the init of bwrap's PID namespace has exited: the kernel has then killed every process in it.

    bwrap itself may exit as soon as the program did, before its namespace is gone."""
    os.set_blocking(info_descriptor, False)
    try:
        child = json.loads(os.read(info_descriptor, 65536))["child-pid"]
        descriptor = os.pidfd_open(int(child))
    except ProcessLookupError:
        return True  # already gone
    except (OSError, ValueError, KeyError, TypeError):
        return False
    try:
        return bool(select.select([descriptor], [], [], wait_s)[0])
    finally:
        os.close(descriptor)


def _reports(stream) -> tuple[dict, ...]:
    stream.seek(0)
    lines = stream.read().splitlines()
    reports = []
    for line in lines:
        try:
            report = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(report, dict):
            reports.append(report)
    return tuple(reports)


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


def _scrubbed_environment(work: str, marker: str) -> dict[str, str]:
    return {"PATH": _SCRUBBED_PATH, "HOME": work, "TMPDIR": work, "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8",
            "PYTHONDONTWRITEBYTECODE": "1", MARKER_VARIABLE: marker}


def _bwrap_prefix(work: str, limits: Limits, environment: dict[str, str], job_fd: int, info_fd: int) -> list[str]:
    tmpfs_bytes = str(max(limits.memory_mb // 2, 1) << 20)
    prefix = _BWRAP_SECURITY + ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                                "--size", tmpfs_bytes, "--tmpfs", "/tmp", "--remount-ro", "/dev",
                                "--size", tmpfs_bytes, "--tmpfs", "/dev/shm", "--tmpfs", "/run",
                                "--remount-ro", "/run", "--dir", work, "--file", str(job_fd), f"{work}/{_JOB_FILE}",
                                "--chdir", work, "--info-fd", str(info_fd), "--clearenv"]
    for name, value in environment.items():
        prefix += ["--setenv", name, value]
    for folder in _folders_under("/tmp", _interpreter_folders() + [os.path.dirname(_HARNESS)]):
        prefix += ["--ro-bind", folder, folder]  # the fresh /tmp would hide a virtualenv or checkout living there
    for folder in _existing(_CREDENTIAL_DIRS + (os.environ.get("HF_HOME", ""),), Path.is_dir) + _var_run():
        prefix += ["--tmpfs", folder, "--remount-ro", folder]
    for secret_file in _existing(_CREDENTIAL_FILES, Path.is_file):
        prefix += ["--ro-bind", "/dev/null", secret_file]
    return prefix + ["--"]


def _var_run() -> list[str]:
    """/var/run where it is a folder of its own rather than a link to /run (hidden like /run)."""
    return ["/var/run"] if os.path.isdir("/var/run") and os.path.realpath("/var/run") != "/run" else []


_BWRAP_SECURITY = ["bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--uid", str(SANDBOX_UID),
                   "--gid", str(SANDBOX_UID), "--cap-drop", "ALL", "--die-with-parent", "--new-session"]


def _interpreter_folders() -> list[str]:
    return [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix, os.path.dirname(sys.executable),
            os.path.dirname(os.path.realpath(sys.executable))]


def _interpreter_folders_under(root: str) -> list[str]:
    """Folders of this Python (venv and base installation) that lie under `root`, outermost only."""
    return _folders_under(root, _interpreter_folders())


def _folders_under(root: str, candidates: list[str]) -> list[str]:
    inside = sorted({os.path.realpath(path) for path in candidates
                     if os.path.realpath(path).startswith(root + "/")})
    return [path for index, path in enumerate(inside)
            if not any(path.startswith(outer + "/") for outer in inside[:index])]


def _existing(paths: tuple[str, ...], predicate) -> list[str]:
    found = (Path(path).expanduser() for path in paths if path)
    return sorted({str(path.resolve()) for path in found if predicate(path)})


def _failure_status(run: _RunOutcome) -> tuple[str, str] | None:
    """(status, reason) of a run that cannot have passed, or None when its output and reports decide."""
    if run.timed_out or run.exit_code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
        return "timeout", ""
    if "MemoryError" in run.stderr[-_TAIL_CHARS:]:
        return "memory", ""
    if run.exit_code == 0:
        return None
    return ("failed" if "AssertionError" in run.stderr[-_TAIL_CHARS:] else "error"), ""


def _split_verdict(run: _RunOutcome, split: SplitTests) -> tuple[str, str] | None:
    """("failed", reason) when a split assert's reported value does not hold or was never reported."""
    values = _reported_values(run)
    for expectation in split.expectations:
        reported = values.get(expectation.index, [])
        if not reported:
            return "failed", f"AssertionError: tests line {expectation.line}: `{expectation.source}` never ran"
        for value in reported:
            failure = _value_failure(value, expectation.holds)
            if failure:
                return "failed", f"AssertionError: tests line {expectation.line}: `{expectation.source}`: {failure}"
    return None


def _calls_verdict(run: _RunOutcome, outputs: list) -> tuple[str, str] | None:
    values = _reported_values(run)
    for index, expected in enumerate(outputs):
        reported = values.get(index, [])
        if not reported:
            return "failed", f"call {index} returned nothing"
        for value in reported:
            failure = _value_failure(value, lambda got, expected=expected: got == expected)
            if failure:
                return "failed", f"call {index}: {failure}; expected {expected!r:.200}"
    return None


def _value_failure(value, holds) -> str:
    """Why a reported value fails its check ("" when it holds)."""
    if isinstance(value, _Unreportable):
        return f"the program's side is {value.type_name}, not a builtin value type that can be compared outside"
    return "" if holds(value) else f"the program's side was {value!r:.200}"


@dataclass(frozen=True)
class _Unreportable:
    type_name: str


def _reported_values(run: _RunOutcome) -> dict[int, list]:
    values: dict[int, list] = {}
    for report in run.reports:
        index = report.get("record")
        if type(index) is not int:
            continue
        if "unreportable" in report:
            values.setdefault(index, []).append(_Unreportable(str(report["unreportable"])[:200]))
            continue
        try:
            values.setdefault(index, []).append(_sandbox_harness.decode_value(report.get("value")))
        except (ValueError, TypeError, OverflowError, RecursionError):
            values.setdefault(index, []).append(_Unreportable("a malformed report"))
    return values


def _completion_verdict(run: _RunOutcome, secret: str) -> tuple[str, str]:
    if any(report.get("done") == secret for report in run.reports):
        return "passed", ""
    return "error", "the program ended before the tests completed"


def _case(index: int, status: str, run: _RunOutcome, expected: str | None, reason: str) -> CaseResult:
    stderr = run.stderr[-_TAIL_CHARS:] + (f"\n[check_code] {reason}\n" if reason else "")
    return CaseResult(index, status, status == "passed", run.seconds, run.exit_code, run.stdout_tail, stderr,
                      expected)


def _resolve_isolation(isolation: str) -> bool:
    use_bwrap = isolation != "rlimits" and bubblewrap_available()
    if isolation == "bubblewrap" and not use_bwrap:
        raise RuntimeError("isolation='bubblewrap' but bwrap is missing, too old (0.8 or later is needed) or cannot "
                           "create namespaces here (install the Debian package 'bubblewrap'; as a non-root user, "
                           "unprivileged user namespaces must be allowed)")
    if not use_bwrap:
        if os.geteuid() == 0 and not interpreter_usable_by_other_uids(sys.executable):
            raise RuntimeError(f"check_code in rlimits mode runs the program as a throw-away uid, which cannot use "
                               f"this Python ({sys.executable}, installed under {sys.base_prefix}: a folder other "
                               "users cannot read). Use a Python installed where other users can read it, or "
                               "install bubblewrap.")
        _warn_rlimits_only()
    return use_bwrap


@lru_cache(maxsize=8)
def interpreter_usable_by_other_uids(executable: str) -> bool:
    """True when `executable` finds the same installation under a throw-away uid as under root (root callers)."""
    probe = [executable, "-I", "-c", "import sys; print(sys.prefix, sys.base_prefix, sys.path)"]
    with process_limits.run_uid() as uid:
        drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
        try:
            views = [subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/")
                     for command in (probe, drop + probe)]
        except (OSError, subprocess.TimeoutExpired):
            return False
    return all(view.returncode == 0 for view in views) and views[0].stdout == views[1].stdout


@lru_cache(maxsize=1)
def bubblewrap_available() -> bool:
    """True when `bwrap` exists and can create the namespaces and drop the privileges the sandbox uses."""
    if shutil.which("bwrap") is None:
        return False
    probe = _BWRAP_SECURITY + ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--size", "1048576",
                               "--tmpfs", "/tmp", "--", "true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


_warned = threading.Lock()
_WARNED: set[str] = set()


def _warn_rlimits_only() -> None:
    user = getpass.getuser()
    with _warned:
        if user in _WARNED:
            return
        _WARNED.add(user)
    if os.geteuid() == 0:
        consequences = ("it runs under a throw-away uid without capabilities, but it can use the network, read "
                        "every world-readable file, fill /tmp and /dev/shm during the run (only single files are "
                        "bounded) and see other processes")
    else:
        consequences = (f"it runs as your user {user}: it can read and write all your files, use the network, "
                        "and signal, trace or read the memory of your processes, including this one (so it can "
                        "also forge the verdict of test code that runs inside)")
    logger.warning("gainrl.checkers.check_code: untrusted code runs with resource limits only (no bubblewrap; "
                   "isolation='rlimits'): %s. Install the 'bubblewrap' package and pass isolation='bubblewrap' to "
                   "require it.", consequences)
