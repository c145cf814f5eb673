"""Tests for gainrl.train.code_rewards: the `code` and `code_partial` rewards on real sandboxes, the pool's bound (live
sandbox processes counted from /proc while a round runs: never more than the workers), nothing left running after
a round of hanging and forking programs, and how the accuracy reward is chosen.

Run: python -m pytest tests/train/test_code_rewards.py -v
"""

import os
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from gainrl.train.code_rewards import CodeRewardArguments, make_code_reward, run_bounded, settle_accuracy_reward
from gainrl.train.rewards import completion_text, resolve_rewards

CALL = {"fn_name": "add", "inputs": [[1, 2], [2, 2], [0, 0]], "outputs": [3, 4, 0]}
SLEEP = "import time\ntime.sleep(1.5)\nprint('done')\n"
HANG_AND_FORK = "import os, time\nos.fork()\nwhile True:\n    time.sleep(0.1)\n"


def sandbox_processes() -> int:
    """Live processes running the sandbox harness (its command line names the job file), forked children too."""
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if arguments[0] == sys.executable.encode() and any(a.endswith(b".gainrl-job") for a in arguments):
            count += 1
    return count


class PeakCounter:
    """Samples `sandbox_processes()` on a thread until stopped; keeps the largest count seen."""

    def __enter__(self):
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, sandbox_processes())
            self._stop.wait(0.02)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def conversational(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


@pytest.mark.parametrize("workers", [1, 2])
def test_never_more_live_sandboxes_than_workers(workers):
    settings = CodeRewardArguments(code_reward_workers=workers, code_timeout=20)
    reward = make_code_reward("code", settings, completion_text)
    tests = [[{"input": "", "output": "done"}]] * 5
    with PeakCounter() as counter:
        rewards = reward([conversational(SLEEP)] * 5, tests=tests)
    assert rewards == [1.0] * 5
    assert counter.peak == workers
    assert sandbox_processes() == 0


def test_hanging_and_forking_programs_leave_nothing_running():
    settings = CodeRewardArguments(code_reward_workers=2, code_timeout=1)
    reward = make_code_reward("code", settings, completion_text)
    tests = [[{"input": "", "output": ""}]] * 4
    assert reward([f"```python\n{HANG_AND_FORK}```"] * 4, tests=tests) == [0.0] * 4
    assert sandbox_processes() == 0


def test_code_and_code_partial_rewards():
    code, partial = resolve_rewards(["code", "code_partial"], code_settings=CodeRewardArguments(code_timeout=5))
    assert (code.__name__, partial.__name__) == ("code", "code_partial")
    completions = ["def add(a, b):\n    return a + b\n", "def add(a, b):\n    return 2 * b\n", "no code at all"]
    columns = {"tests": [CALL] * 3}
    assert code(completions, **columns) == [1.0, 0.0, 0.0]
    assert partial(completions, **columns) == pytest.approx([1.0, 2 / 3, 0.0])


def test_missing_tests_column_is_a_clear_error():
    reward = make_code_reward("code", CodeRewardArguments(tests_field="cases"), completion_text)
    with pytest.raises(KeyError, match="'cases'"):
        reward(["x"], tests=[CALL])


def test_pool_rejects_zero_workers_and_keeps_order():
    with pytest.raises(ValueError, match="at least 1"):
        run_bounded([], 0)
    assert run_bounded([lambda i=i: i % 2 == 0 for i in range(7)], 3) == [i % 2 == 0 for i in range(7)]
    assert CodeRewardArguments().code_workers() == (os.cpu_count() or 1)


@pytest.mark.parametrize("funcs,expected,threshold", [
    (["code"], "code", 0.5), (["code_partial"], "code_partial", 0.999), (["accuracy", "code"], "accuracy", 0.5),
    (["format", "code_partial", "code"], "code", 0.5)])
def test_the_accuracy_reads_the_share_of_passing_completions(funcs, expected, threshold):
    args = SimpleNamespace(reward_funcs=funcs, accuracy_reward="accuracy", success_threshold=0.5)
    settle_accuracy_reward(args)
    assert (args.accuracy_reward, args.success_threshold) == (expected, threshold)
