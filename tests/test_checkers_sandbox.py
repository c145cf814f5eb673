"""check_code: results for passing / failing programs, and one test per escape attempt.

Escapes that only bubblewrap stops (network, writing outside the work dir, reading the caller's environment through
/proc) are tested with isolation="bubblewrap" and skip where bwrap cannot run; the rest run in both modes.
"""

import os
import socket
import sys
import threading
import uuid
from pathlib import Path

import pytest

from gainrl.checkers import check_code
from gainrl.checkers.sandbox import bubblewrap_available, normalize_output

needs_bwrap = pytest.mark.skipif(not bubblewrap_available(), reason="bubblewrap (bwrap) is not usable here")
MODES = [pytest.param("bubblewrap", marks=needs_bwrap), "rlimits"]


@pytest.fixture(params=MODES)
def isolation(request):
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
    result = check_code(program, "pass", timeout=3, max_processes=32, isolation=isolation)
    assert not result.passed and result.status in ("timeout", "error")
    assert _processes_with(token) == []


def test_orphaned_child_is_killed(isolation):
    token = f"orphan-{uuid.uuid4().hex}"
    program = ("import subprocess, sys\n"
               f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)', {token!r}], "
               "start_new_session=True)\n")
    result = check_code(program, "pass", isolation=isolation)
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
def test_bubblewrap_blocks_writing_and_deleting_outside_the_work_dir():
    outside = Path.cwd() / f".sandbox-probe-{uuid.uuid4().hex[:8]}"
    outside.mkdir()
    try:
        victim = outside / "victim.txt"
        victim.write_text("keep me")
        program = (f"import os\nfor action in (lambda: open({str(outside / 'new.txt')!r}, 'w').write('x'),\n"
                   f"               lambda: os.remove({str(victim)!r})):\n"
                   "    try:\n        action()\n        print('escaped')\n    except OSError as error:\n"
                   "        print('blocked', error.errno)\n")
        result = check_code(program, "pass", isolation="bubblewrap")
        assert result.passed and "escaped" not in result.details[0].stdout
        assert victim.read_text() == "keep me" and not (outside / "new.txt").exists()
    finally:
        for child in outside.iterdir():
            child.unlink()
        outside.rmdir()


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



def test_without_bubblewrap_it_runs_with_limits_and_warns_once(monkeypatch, caplog):
    from gainrl.checkers import sandbox

    monkeypatch.setattr(sandbox, "bubblewrap_available", lambda: False)
    sandbox._warn_without_bubblewrap.cache_clear()
    with caplog.at_level("WARNING", logger="gainrl.checkers.sandbox"):
        first = check_code("print(1)", [{"input": "", "output": "1"}])
        second = check_code("print(2)", [{"input": "", "output": "2"}])
    assert first.passed and second.passed and first.isolation == second.isolation == "rlimits"
    assert [record.message.count("bubblewrap is not usable") for record in caplog.records] == [1]
    with pytest.raises(RuntimeError, match="bubblewrap"):
        check_code("print(1)", "pass", isolation="bubblewrap")
