"""check_code: results for passing / failing programs, and one test per escape or forgery attempt.

Escapes that only bubblewrap stops (network, Unix sockets, unmounting, the tmpfs bound, reading the caller's
environment through /proc) are tested with isolation="bubblewrap" and skip where bwrap cannot run; the rest run in
both modes, except those that rlimits mode only stops for a root caller (signalling the caller or other processes,
writing outside the work dir), which skip for other users: the module docstring says so.
"""

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from gainrl.checkers import check_code
from gainrl.checkers.sandbox import bubblewrap_available, normalize_output

needs_bwrap = pytest.mark.skipif(not bubblewrap_available(), reason="bubblewrap (bwrap) is not usable here")
MODES = [pytest.param("bubblewrap", marks=needs_bwrap), "rlimits"]
ROOT = Path(__file__).resolve().parents[2]
AS_ROOT = os.geteuid() == 0
TEST_PYTHON = sys.executable  # the fixture below may point sys.executable (the sandbox's Python) elsewhere
NO_CHECK = [{"input": "", "output": ""}]  # stdin/stdout mode: runs the program, which may exec


def _python_for_rlimits_as_root() -> str | None:
    """This interpreter if a throw-away uid can use it, else the system's (the test programs need only stdlib)."""
    from gainrl.checkers.sandbox import interpreter_usable_by_other_uids

    for candidate in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(candidate) and interpreter_usable_by_other_uids(candidate):
            return candidate
    return None


@pytest.fixture
def rlimits_python(monkeypatch):
    if AS_ROOT:
        python = _python_for_rlimits_as_root()
        if python is None:
            pytest.skip("no Python here that a throw-away uid can run (rlimits mode as root refuses to run)")
        monkeypatch.setattr(sys, "executable", python)
    return sys.executable


@pytest.fixture(params=MODES)
def isolation(request):
    if request.param == "rlimits":
        request.getfixturevalue("rlimits_python")
    return request.param


def _processes_with(token: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if token.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return [pid for pid in found if pid != os.getpid()]


def test_passing_and_failing_test_code(isolation):
    program = "def add(a, b):\n    return a + b\n"
    passed = check_code(program, "assert add(1, 2) == 3", isolation=isolation)
    assert passed.passed and passed.status == "passed" and passed.isolation == isolation
    failed = check_code(program, "assert add(1, 2) == 4", isolation=isolation)
    assert not failed.passed and failed.status == "failed" and "AssertionError" in failed.details[0].stderr
    broken = check_code("def add(a, b) return", "assert True", isolation=isolation)
    assert broken.status == "error" and "SyntaxError" in broken.details[0].stderr


def test_exiting_before_the_tests_run_does_not_pass(isolation):
    result = check_code("import sys\nsys.exit(0)\n", "assert False", isolation=isolation)
    assert not result.passed and result.status == "error"
    result = check_code("import os\nos._exit(0)\n", "assert False", isolation=isolation)
    assert not result.passed


def test_stdin_stdout_cases(isolation):
    program = "n = int(input())\nprint(n * 2, '  ')\nprint()\n"
    cases = [{"input": "3\n", "output": "6"}, {"input": "4", "output": "8\n\n\n"}]
    result = check_code(program, cases, isolation=isolation)
    assert result.passed and [case.status for case in result.details] == ["passed", "passed"]
    wrong = check_code(program, cases + [{"input": "5", "output": "11"}, {"input": "6", "output": "12"}],
                       isolation=isolation)
    assert wrong.status == "failed" and [case.status for case in wrong.details] == ["passed", "passed", "failed"]
    assert wrong.details[-1].stdout.strip() == "10" and wrong.details[-1].expected == "11"
    crash = check_code("raise ValueError('x')", [{"input": "", "output": ""}], isolation=isolation)
    assert crash.status == "error"


def test_stdin_stdout_programs_exit_as_python_would(isolation):
    program = ("import atexit, sys, threading, time\natexit.register(lambda: print('at exit'))\n"
               "threading.Thread(target=lambda: (time.sleep(0.2), print('thread'))).start()\n"
               "print('main')\n")
    assert check_code(program, [{"input": "", "output": "main\nthread\nat exit"}], isolation=isolation).passed
    stopped = check_code("import sys\nprint('x')\nsys.exit('bye')\n", NO_CHECK, isolation=isolation)
    assert stopped.details[0].exit_code == 1 and "bye" in stopped.details[0].stderr
    assert check_code("exit(0)", NO_CHECK, isolation=isolation).passed


def test_bad_tests_argument_names_the_case():
    with pytest.raises(ValueError, match="test case 1"):
        check_code("print(1)", [{"input": "", "output": "1"}, {"input": 3, "output": "1"}])
    with pytest.raises(ValueError, match="isolation"):
        check_code("print(1)", "pass", isolation="docker")


def test_an_interpreter_under_tmp_stays_visible(monkeypatch, tmp_path):
    from gainrl.checkers import sandbox

    venv = str(tmp_path / "clone" / ".venv")
    for name in ("prefix", "exec_prefix"):
        monkeypatch.setattr(sys, name, venv)
    monkeypatch.setattr(sys, "executable", venv + "/bin/python-not-a-link")
    folders = sandbox._interpreter_folders_under(str(tmp_path))
    assert folders == [venv]  # the outermost folder only; installs elsewhere are not re-bound


def test_output_normalisation():
    assert normalize_output("a  \nb\t\n\n") == normalize_output("a\nb") == "a\nb"
    assert normalize_output(" a") != normalize_output("a")


def test_infinite_loop_times_out(isolation):
    result = check_code("while True:\n    pass\n", "pass", timeout=2, isolation=isolation)
    assert result.status == "timeout" and not result.passed


def test_sleeping_program_times_out(isolation):
    result = check_code("import time\ntime.sleep(3600)\n", "pass", timeout=1, isolation=isolation)
    assert result.status == "timeout"


def test_memory_bomb_hits_the_memory_limit(isolation):
    result = check_code("blocks = []\nwhile True:\n    blocks.append(bytearray(50 << 20))\n", "pass", memory_mb=256,
                        isolation=isolation)
    assert result.status == "memory"
    assert check_code("x = bytearray(8 << 30)", "pass", memory_mb=512, isolation=isolation).status == "memory"


def test_fork_bomb_is_capped_and_cleaned_up(isolation):
    token = f"forkbomb-{uuid.uuid4().hex}"
    program = (f"import os, sys\nos.execv(sys.executable, [sys.executable, '-c', "
               f"'import os\\nwhile True:\\n    try: os.fork()\\n    except OSError: pass', {token!r}])\n")
    result = check_code(program, NO_CHECK, timeout=3, max_processes=32, isolation=isolation)
    assert not result.passed and result.status in ("timeout", "error")
    assert _processes_with(token) == []


def test_orphaned_child_is_killed(isolation):
    token = f"orphan-{uuid.uuid4().hex}"
    program = ("import subprocess, sys\n"
               f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)', {token!r}], "
               "start_new_session=True)\n")
    result = check_code(program, NO_CHECK, isolation=isolation)
    assert result.passed
    assert _processes_with(token) == []


def test_environment_is_scrubbed_and_work_dir_is_fresh(isolation, monkeypatch):
    monkeypatch.setenv("GAINRL_TEST_SECRET", "s3cret-value")
    program = "import os\nprint(sorted(os.environ))\nprint(os.getcwd())\nprint(sorted(os.listdir('.')))\n"
    result = check_code(program, "pass", isolation=isolation)
    lines = result.details[0].stdout.splitlines()
    assert result.passed and "GAINRL_TEST_SECRET" not in lines[0] and "HF_TOKEN" not in lines[0]
    assert lines[2] == "['main.py']"
    assert not Path(lines[1]).exists()  # removed after the run


def test_large_output_is_capped_by_the_file_size_limit(isolation):
    result = check_code("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", "pass", max_file_mb=1,
                        isolation=isolation)
    assert not result.passed and result.status in ("error", "timeout")


@needs_bwrap
def test_bubblewrap_blocks_connecting_to_a_local_server():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    accepted = []

    def accept():
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    port = server.getsockname()[1]
    program = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'hi')\n"
    result = check_code(program, "pass", isolation="bubblewrap")
    thread = threading.Thread(target=accept)
    thread.start()
    thread.join()
    server.close()
    assert not result.passed and "ConnectionRefusedError" in result.details[0].stderr
    assert accepted == []


@needs_bwrap
def test_bubblewrap_hides_the_callers_environment_in_proc(monkeypatch):
    monkeypatch.setenv("GAINRL_TEST_SECRET", "s3cret-value")
    program = ("import glob\nfound = []\nfor path in glob.glob('/proc/[0-9]*/environ'):\n    try:\n"
               "        found.append(open(path, 'rb').read())\n    except OSError:\n        pass\n"
               "print(any(b's3cret-value' in blob for blob in found))\n")
    result = check_code(program, "pass", isolation="bubblewrap")
    assert result.passed and result.details[0].stdout.splitlines()[0] == "False"



def test_rlimits_mode_warns_once_what_it_does_not_protect_and_never_stands_in_for_bubblewrap(monkeypatch, caplog,
                                                                                            rlimits_python):
    from gainrl.checkers import sandbox

    monkeypatch.setattr(sandbox, "bubblewrap_available", lambda: False)
    monkeypatch.setattr(sandbox, "_WARNED", set())
    with caplog.at_level("WARNING", logger="gainrl.checkers.sandbox"):
        first = check_code("print(1)", [{"input": "", "output": "1"}])
        second = check_code("print(2)", [{"input": "", "output": "2"}], isolation="rlimits")
    assert first.passed and second.passed and first.isolation == second.isolation == "rlimits"
    warnings = [record.message for record in caplog.records if "resource limits only" in record.message]
    assert len(warnings) == 1 and "network" in warnings[0] and "bubblewrap" in warnings[0]
    with pytest.raises(RuntimeError, match="bubblewrap"):
        check_code("print(1)", "pass", isolation="bubblewrap")


@pytest.mark.skipif(not AS_ROOT, reason="the check is for root callers")
def test_rlimits_as_root_refuses_a_python_other_uids_cannot_use(monkeypatch):
    from gainrl.checkers import sandbox

    monkeypatch.setattr(sandbox, "interpreter_usable_by_other_uids", lambda executable: False)
    with pytest.raises(RuntimeError, match="throw-away uid"):
        check_code("print(1)", "pass", isolation="rlimits")


def _needs_root_for_rlimits(isolation: str) -> None:
    if isolation == "rlimits" and not AS_ROOT:
        pytest.skip("rlimits mode runs a non-root caller's program under the caller's own uid (documented)")


PRIVILEGED_CALLS = """
import ctypes, os, resource
libc = ctypes.CDLL(None, use_errno=True)
os.mkdir("mnt")
def attempt(name, call):
    try:
        outcome = call()
    except (OSError, ValueError) as error:
        print(name, "blocked", error)
        return
    if outcome in (None, 0):
        print(name, "ESCAPED")
    else:
        print(name, "blocked", os.strerror(ctypes.get_errno()))
def mount():
    outcome = libc.mount(b"none", b"mnt", b"tmpfs", 0, None)
    if outcome == 0:
        libc.umount2(b"mnt", 2)
    return outcome
attempt("mount", mount)
attempt("unshare-user", lambda: libc.unshare(0x10000000))
attempt("unshare-mount", lambda: libc.unshare(0x00020000))
attempt("setuid-0", lambda: os.setuid(0))
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
attempt("raise-rlimit", lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (hard + 1, hard + 1)))
"""


def test_privileged_system_calls_fail_inside(isolation):
    result = check_code(PRIVILEGED_CALLS, NO_CHECK, isolation=isolation)
    lines = result.details[0].stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["mount", "unshare-user", "unshare-mount", "setuid-0",
                                                   "raise-rlimit"], result.details[0].stderr
    assert [line for line in lines if "ESCAPED" in line] == []


@needs_bwrap
def test_bubblewrap_program_cannot_unmount_or_remount_what_hides_the_host():
    program = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
               "print('umount', libc.umount2(b'/run', 2), ctypes.get_errno())\n"
               "print('remount', libc.mount(None, b'/', None, 0x20 | 0x1000, None), ctypes.get_errno())\n")
    result = check_code(program, NO_CHECK, isolation="bubblewrap")
    assert result.details[0].stdout.split() == ["umount", "-1", "1", "remount", "-1", "1"]


def test_writing_and_deleting_outside_the_work_dir_fails(isolation):
    _needs_root_for_rlimits(isolation)
    outside = ROOT / f".sandbox-probe-{uuid.uuid4().hex[:8]}"
    outside.mkdir()
    try:
        victim = outside / "victim.txt"
        victim.write_text("keep me")
        program = (f"import os\nfor action in (lambda: open({str(outside / 'new.txt')!r}, 'w').write('x'),\n"
                   f"               lambda: os.remove({str(victim)!r})):\n"
                   "    try:\n        action()\n        print('escaped')\n    except OSError as error:\n"
                   "        print('blocked', error.errno)\n")
        result = check_code(program, "pass", isolation=isolation)
        assert result.passed and "escaped" not in result.details[0].stdout
        assert victim.read_text() == "keep me" and not (outside / "new.txt").exists()
    finally:
        for child in outside.iterdir():
            child.unlink()
        outside.rmdir()


def test_the_program_cannot_kill_its_caller(isolation):
    _needs_root_for_rlimits(isolation)
    program = ("import os, signal\nfor pid in (os.getppid(), CALLER):\n    try:\n"
               "        os.kill(pid, signal.SIGKILL)\n    except OSError as error:\n        print('refused', pid)\n")
    caller = ("import os, sys\nfrom gainrl.checkers.sandbox import check_code\n"
              f"sys.executable = {sys.executable!r}\n"
              f"program = {program!r}.replace('CALLER', str(os.getpid()))\n"
              f"result = check_code(program, [{{'input': '', 'output': ''}}], isolation={isolation!r})\n"
              "print('caller survived', result.details[0].exit_code)\n")
    completed = subprocess.run([TEST_PYTHON, "-c", caller], capture_output=True, text=True, cwd=ROOT)
    assert "caller survived" in completed.stdout, (completed.returncode, completed.stderr[-2000:])


def test_the_program_cannot_signal_processes_outside_its_run(isolation):
    _needs_root_for_rlimits(isolation)
    sentinel = subprocess.Popen(["sleep", "600"])
    try:
        program = f"import os\ntry:\n    os.kill({sentinel.pid}, 9)\nexcept OSError:\n    pass\n"
        check_code(program, NO_CHECK, isolation=isolation)
        time.sleep(0.1)
        assert sentinel.poll() is None
    finally:
        sentinel.kill()
        sentinel.wait()


HOST_TMP = Path("/tmp")  # rlimits runs share it with the caller; what a run leaves there is removed


@pytest.mark.skipif(not AS_ROOT, reason="one uid per run is what rlimits mode does for a root caller")
def test_concurrent_rlimits_runs_cannot_signal_each_other(rlimits_python):
    token = uuid.uuid4().hex
    pid_file, stop_file = HOST_TMP / f"gainrl-test-{token}.pid", HOST_TMP / f"gainrl-test-{token}.stop"
    waiting = (f"import os, time\nopen({str(pid_file)!r}, 'w').write(os.readlink('/proc/self'))\n"
               f"while not os.path.exists({str(stop_file)!r}):\n    time.sleep(0.02)\nprint('A done', os.getuid())\n")
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(a=check_code(
        waiting, [{"input": "", "output": "A done"}], timeout=60, isolation="rlimits")))
    thread.start()
    try:
        while not pid_file.exists() or not pid_file.read_text():
            time.sleep(0.02)
        killer = (f"import os\ntry:\n    os.kill({pid_file.read_text()}, 9)\nexcept OSError:\n"
                  "    print('refused', os.getuid())\n")
        other = check_code(killer, NO_CHECK, isolation="rlimits")
    finally:
        stop_file.write_text("")
        thread.join()
        stop_file.unlink()
    refused, killer_uid = other.details[0].stdout.split()  # ESRCH (PID namespace) or EPERM (another uid)
    done, waiting_uid = outcome["a"].details[0].stdout.rsplit(maxsplit=1)
    assert refused == "refused" and done == "A done" and outcome["a"].details[0].exit_code == 0
    assert killer_uid != waiting_uid and 0 not in (int(killer_uid), int(waiting_uid))
    assert not pid_file.exists()  # what a run leaves in /tmp is removed


FAILING = "def add(a, b):\n    return 0\n"
FORGERIES = {
    "re-exec with -O": ("import os, sys\nif not sys.flags.optimize:\n"
                        "    os.execv(sys.executable, [sys.executable, '-O'] + sys.argv)\n"),
    "marker from the file and the code constants": (
        "import os, re, sys\nfound = set(re.findall(r'gainrl-tests-completed-[0-9a-f]+', open(sys.argv[0]).read()))\n"
        "frame = sys._getframe()\nwhile frame:\n"
        "    found.update(c for c in frame.f_code.co_consts if isinstance(c, str) and len(c) >= 16)\n"
        "    frame = frame.f_back\nprint(*found, sep='\\n', flush=True)\nos._exit(0)\n"),
    "marker printed from sys.excepthook": (
        "import os, sys\ndef hook(kind, error, trace):\n    while trace:\n"
        "        print(*[c for c in trace.tb_frame.f_code.co_consts if isinstance(c, str)], flush=True)\n"
        "        trace = trace.tb_next\n    os._exit(0)\nsys.excepthook = hook\n"),
    "marker printed at exit": (
        "import atexit, os, sys\nframes = []\nframe = sys._getframe()\nwhile frame:\n"
        "    frames.append(frame.f_code)\n    frame = frame.f_back\n"
        "atexit.register(lambda: [print(*[c for c in code.co_consts if isinstance(c, str)]) for code in frames])\n"),
}


@pytest.mark.parametrize("trick", list(FORGERIES))
@pytest.mark.parametrize("tests", ["assert add(1, 2) == 3\n", "assert add(1, 2) > 2\n",
                                   "def check(candidate):\n    assert candidate(1, 2) == 3\n\ncheck(add)\n"])
def test_a_failing_program_cannot_forge_a_pass(trick, tests):
    result = check_code(FORGERIES[trick] + FAILING, tests, isolation="auto")
    assert not result.passed and result.status in ("failed", "error"), result.details[0]


def test_an_object_equal_to_everything_does_not_pass(isolation):
    program = ("class Anything:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\n"
               "def add(a, b):\n    return Anything()\n")
    for tests in ("assert add(1, 2) == 3", "def check(candidate):\n    assert candidate(1, 2) == 3\n\ncheck(add)\n"):
        result = check_code(program, tests, isolation=isolation)
        assert result.status == "failed" and "not a builtin value type" in result.details[0].stderr
    subclass = "class Int(int):\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n    return Int(0)\n"
    assert check_code(subclass, "assert add(1, 2) == 3", isolation=isolation).status == "failed"


def test_expected_values_of_split_asserts_never_enter_the_sandbox(isolation):
    program = ("import gc, sys\ndef square(x):\n    frame = sys._getframe()\n    seen = set()\n"
               "    while frame:\n        seen.update(map(repr, frame.f_code.co_consts))\n"
               "        seen.update(map(repr, frame.f_locals.values()))\n"
               "        frame = frame.f_back\n"
               "    seen.update(repr(o) for o in gc.get_objects()\n"
               "                if isinstance(o, (dict, str)) and len(repr(o)) < 10000)\n"
               "    print(any(str(2718 * 100 + 28) in text for text in seen))\n    return x * x\n")
    tests = ("def check(candidate):\n    assert candidate(3) == 9\n    assert candidate(521.3) != 271828.0\n\n"
             "check(square)\n")
    result = check_code(program, tests, isolation=isolation)
    assert result.passed and result.details[0].stdout.split() == ["False", "False"]


def test_split_and_in_process_asserts_together(isolation):
    program = "def add(a, b):\n    return a + b\n"
    tests = ("import math\nMETADATA = {}\n\ndef check(candidate):\n    assert candidate(1, 2) == 3\n"
             "    assert candidate('a', 'b') == 'ab'\n    assert candidate((1,), (2,)) == (1, 2)\n"
             "    assert candidate([1], []) != [2]\n    assert candidate(None, None) is None\n"
             "    for x in range(3):\n        assert candidate(x, x) == 2 * x\n"
             "    assert math.isclose(candidate(0.1, 0.2), 0.3)\n\ncheck(add)\n")
    broken_tuple = ("def add(a, b):\n    if a == (1,):\n        return [1, 2]\n"
                    "    return a + b if a is not None else None\n")
    assert not check_code(program, tests, isolation=isolation).passed  # add(None, None) raises TypeError
    fixed = "def add(a, b):\n    return None if a is None else a + b\n"
    assert check_code(fixed, tests, isolation=isolation).passed
    wrong = check_code(broken_tuple, tests, isolation=isolation)
    assert wrong.status == "failed" and "candidate((1,), (2,)) == (1, 2)" in wrong.details[0].stderr
    never = check_code(fixed, "def check(candidate):\n    assert candidate(1, 2) == 3\n", isolation=isolation)
    assert never.status == "failed" and "never ran" in never.details[0].stderr


def test_function_call_tests(isolation):
    program = "def f(x, y=1):\n    return {'sum': x + y, 'pair': (x, y)}\n"
    tests = {"fn_name": "f", "inputs": [[1], [2, 3]],
             "outputs": [{"sum": 2, "pair": (1, 1)}, {"sum": 5, "pair": (2, 3)}]}
    assert check_code(program, tests, isolation=isolation).passed
    wrong = check_code(program, {**tests, "outputs": [{"sum": 2, "pair": (1, 1)}, {"sum": 6, "pair": (2, 3)}]},
                       isolation=isolation)
    assert wrong.status == "failed" and "call 1" in wrong.details[0].stderr
    assert check_code("def g():\n    pass\n", tests, isolation=isolation).status == "error"
    with pytest.raises(ValueError, match="inputs"):
        check_code(program, {"fn_name": "f", "inputs": [[1]], "outputs": []})


@needs_bwrap
def test_bubblewrap_files_count_against_a_memory_bound():
    program = ("import os\nwritten = 0\nfor folder in ('/tmp', '/dev/shm', '.'):\n    for index in range(36):\n"
               "        try:\n            with open(f'{folder}/f{index}', 'wb') as handle:\n"
               "                handle.write(bytes(8 << 20))\n            written += 8\n"
               "        except OSError:\n            break\nprint(written)\n")
    result = check_code(program, NO_CHECK, memory_mb=128, max_file_mb=512, isolation="bubblewrap")
    assert result.details[0].stdout.strip() and int(result.details[0].stdout) <= 128, result.details[0].stderr


@needs_bwrap
def test_bubblewrap_blocks_unix_domain_sockets():
    token = uuid.uuid4().hex[:12]
    paths = [Path(f"/run/gainrl-test-{token}.sock")] if os.access("/run", os.W_OK) else []
    paths.append(ROOT / f".gainrl-test-{token}.sock")
    servers = []
    for path in paths:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        path.chmod(0o777)
        servers.append(server)
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(f"\0gainrl-test-{token}")
    servers.append(abstract)
    for server in servers:
        server.listen()
        server.setblocking(False)
    targets = [str(path) for path in paths] + [f"\0gainrl-test-{token}"]
    program = (f"import socket\nfor target in {targets!r}:\n    try:\n        client = socket.socket(socket.AF_UNIX)\n"
               "        client.connect(target)\n        print('connected', target)\n    except OSError as error:\n"
               "        print('blocked', error.errno)\nleft, right = socket.socketpair()\nprint('socketpair works')\n")
    try:
        result = check_code(program, NO_CHECK, isolation="bubblewrap")
        lines = result.details[0].stdout.splitlines()
        assert [line.split()[0] for line in lines] == ["blocked"] * len(targets) + ["socketpair"], \
            result.details[0].stderr
        for server in servers:
            with pytest.raises(BlockingIOError):
                server.accept()
    finally:
        for server in servers:
            server.close()
        for path in paths:
            path.unlink(missing_ok=True)
