"""Tests for gainrl.user_errors and the command line's error handling: every expected mistake of a new user ends,
through the real `gainrl` command, in one or two lines naming the problem and the fix, exit code 2, no traceback,
nothing written, and (for local paths) no contact with any Hub.

Run: python -m pytest tests/test_user_errors.py -v
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from gainrl.kit.synthetic import generate_problems
from gainrl.user_errors import UserError, check_local_path, looks_local


class ConnectionRecorder:
    """A TCP port that counts connections: HF_ENDPOINT pointed here shows whether a command tried the Hub."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}"

    def _accept(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()


@pytest.fixture
def recorder():
    recorder = ConnectionRecorder()
    yield recorder
    recorder.server.close()


def run_cli(*args, cwd, env_extra=None, timeout=300):
    env = {**os.environ, **(env_extra or {})}
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        env.pop(name, None)  # a real user's environment: the clients would try the Hub if asked
    return subprocess.run([sys.executable, "-m", "gainrl", *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout)


def assert_user_error(result, *needles):
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    error_lines = [line for line in result.stderr.splitlines() if line.strip() and "Warning" not in line
                   and not line.startswith("  warnings.warn")]
    assert error_lines and error_lines[0].startswith("gainrl ") and ": error: " in error_lines[0], result.stderr
    assert len(error_lines) <= 2, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_local_path_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    for name in ("./m", "../m", "/abs/m", "~/m", "runs/nope-model", "a/b/c", "data.json", "train.parquet"):
        assert looks_local(name), name
    for name in ("Qwen/Qwen2.5-0.5B-Instruct", "gpt2", "openai/gsm8k", "nobody/runs"):
        assert not looks_local(name), name
    check_local_path("runs", "--model")  # exists
    with pytest.raises(UserError, match="--model runs/nope-model: no such file or folder"):
        check_local_path("runs/nope-model", "--model")


def test_missing_local_paths_are_never_sent_to_the_hub(tmp_path, recorder):
    (tmp_path / "runs").mkdir()
    env = {"HF_ENDPOINT": recorder.endpoint, "HF_HUB_DISABLE_XET": "1"}
    cases = [("score", "--model", "runs/nope-model", "--dataset", "d.json", "--output", "out"),
             ("score", "--model", "a/b/c", "--dataset", "d.json", "--output", "out"),
             ("eval", "--model", "./nope", "--tasks", "gainrl_gsm8k", "--output", "out"),
             ("demo", "--model", "runs/nope-model"),
             ("audit", "--model", "~/nope-model", "--dataset", "d.json", "--output", "out")]
    for case in cases:
        result = run_cli(*case, cwd=tmp_path, env_extra=env)
        assert_user_error(result, f"{case[2]}: no such file or folder")
    assert recorder.connections == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]  # nothing written


def test_unscored_data_given_to_train_says_which_command_makes_it(tmp_path, tiny_model_dir, recorder):
    data = tmp_path / "mydata.json"
    data.write_text(json.dumps(generate_problems(4, seed=0)))
    result = run_cli("train", "--model_name_or_path", str(tiny_model_dir), "--dataset_name", str(data),
                     "--output_dir", "run", cwd=tmp_path, env_extra={"HF_ENDPOINT": recorder.endpoint})
    assert_user_error(result, "plain data file", "gainrl score --model MODEL --dataset")
    assert not (tmp_path / "run").exists() and recorder.connections == 0


def test_indivisible_batch_names_the_flags(tmp_path, tiny_model_dir):
    result = run_cli("train", "--model_name_or_path", str(tiny_model_dir), "--dataset_name", str(tmp_path),
                     "--output_dir", "run", "--per_device_train_batch_size", "6", "--num_generations", "4",
                     "--use_cpu", "true", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "divisible by num_generations" in result.stderr
    assert "per_device_train_batch_size, gradient_accumulation_steps or num_generations" in result.stderr
    assert not (tmp_path / "run").exists()


def test_debug_shows_the_traceback(tmp_path):
    result = run_cli("--debug", "demo", "--model", "./nope", cwd=tmp_path)
    assert result.returncode != 0 and "Traceback" in result.stderr and "UserError" in result.stderr


def test_a_finished_output_is_one_line(tmp_path, tiny_model_dir):
    data = tmp_path / "d.json"
    data.write_text(json.dumps(generate_problems(4, seed=0)))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "README.md").write_text("finished")
    result = run_cli("score", "--model", str(tiny_model_dir), "--dataset", str(data), "--output", "out", cwd=tmp_path)
    assert_user_error(result, "--output out already holds a finished run; pass --overwrite")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["README.md"]
    assert not (tmp_path / "out.partial").exists()


def test_ctrl_c_says_what_was_kept_and_that_rerunning_resumes(tmp_path, tiny_model_dir):
    data = tmp_path / "many.json"
    data.write_text(json.dumps(generate_problems(3000, seed=5, difficulties=(3, 4, 5))))
    shards = tmp_path / "out.partial" / "shards"
    process = subprocess.Popen([sys.executable, "-m", "gainrl", "score", "--model", str(tiny_model_dir), "--dataset",
                                str(data), "--output", "out", "--batch-size", "1", "--shard-size", "100"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as in a terminal
    deadline = time.monotonic() + 300
    while not (shards.exists() and list(shards.glob("*.json"))) and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()[-2000:]
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and "Traceback" not in stderr, stderr[-3000:]
    assert "interrupted" in stderr and "out.partial" in stderr and "resume" in stderr
    assert list(shards.glob("*.json")) and not (tmp_path / "out").exists()


def test_eval_checks_its_tasks_and_the_suite_before_loading_the_model(tmp_path, recorder):
    not_a_model = tmp_path / "not-a-model"  # loading it would fail otherwise: the checks come first
    not_a_model.mkdir()
    env = {"HF_ENDPOINT": recorder.endpoint}
    result = run_cli("eval", "--model", str(not_a_model), "--tasks", "gsm8k", "--output", "out", cwd=tmp_path,
                     env_extra=env)
    assert_user_error(result, "unknown task(s) gsm8k", "gainrl_gsm8k", "gainrl_math", "gainrl_synthetic")
    for suite in ("./no-suite", "nobody/no-suite"):
        result = run_cli("eval", "--model", str(not_a_model), "--tasks", "gainrl_gsm8k", "--output", "out",
                         cwd=tmp_path, env_extra={**env, "GAINRL_EVAL_SUITE": suite})
        assert_user_error(result, f"cannot read the evaluation suite {suite}", "gainrl eval-suite build",
                          "GAINRL_EVAL_SUITE=")
    assert not (tmp_path / "out").exists()
