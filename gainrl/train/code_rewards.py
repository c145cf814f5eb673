"""The code rewards of `gainrl train`: `code` (1.0 when the program passes every test, else 0.0) and
`code_partial` (the share of test cases passed), in TRL's reward-function convention.

Each completion's program (the last fenced python block, else the whole text) runs against its row's tests (the
column `tests_field`, any form of `gainrl.checkers.code_tests`) in `check_code`'s sandbox. A round's runs go
through a bounded pool of `code_reward_workers` threads, each waiting on one sandbox at a time, so there are never
more live sandboxes than workers; every run has its own `code_timeout`, so a round of n hanging runs costs at most
ceil(n / workers) x timeout, and `check_code` kills everything a run started before its worker takes the next one.
`code_partial` runs each case on its own (assert test code counts as one case). With a code reward and no
`accuracy` reward, the curriculum reads its accuracy from `code` (else `code_partial`, counting only completions
that pass every case): the share of completions that pass.

What it does not cover: languages other than Python, and sandboxes on other machines (the pool is local threads).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from gainrl.checkers.code_tests import extract_program, parse_tests
from gainrl.checkers.sandbox import ISOLATIONS, check_code
from gainrl.run_log import gainrl_logger

logger = gainrl_logger(__name__)

CODE_REWARDS = ("code", "code_partial")
ALL_PASS_THRESHOLD = 0.999  # success threshold when code_partial decides the accuracy: every case passed


@dataclass
class CodeRewardArguments:
    """The code-reward fields of `gainrl train` (keys of a recipe, or flags)."""

    tests_field: str = field(default="tests", metadata={"help": "Column with a row's code tests (code rewards)."})
    code_reward_workers: int | None = field(default=None, metadata={
        "help": "Sandboxes run at once by the code rewards (default: the CPU count)."})
    code_timeout: float = field(default=10.0, metadata={"help": "Wall-clock seconds per sandboxed run."})
    code_memory_mb: int = field(default=1024, metadata={"help": "Memory limit of a sandboxed run, in MB."})
    code_isolation: str = field(default="auto", metadata={"help": "Sandbox isolation (check_code).",
                                                          "choices": list(ISOLATIONS)})

    def code_workers(self) -> int:
        return self.code_reward_workers or os.cpu_count() or 1


def uses_code_reward(reward_funcs: list[str]) -> bool:
    return any(name in CODE_REWARDS for name in reward_funcs)


def settle_accuracy_reward(args) -> None:
    """With code rewards and no `accuracy` reward, read the accuracy from `code` (else `code_partial`)."""
    if args.accuracy_reward != "accuracy" or "accuracy" in args.reward_funcs or not uses_code_reward(
            args.reward_funcs):
        return
    args.accuracy_reward = "code" if "code" in args.reward_funcs else "code_partial"
    if args.accuracy_reward == "code_partial" and args.success_threshold == 0.5:
        logger.info("accuracy from code_partial counts completions that pass every case (success_threshold %s)",
                    ALL_PASS_THRESHOLD)
        args.success_threshold = ALL_PASS_THRESHOLD


def run_bounded(jobs: list[Callable[[], bool]], workers: int) -> list[bool]:
    """Run the jobs on at most `workers` threads at once; returns when every job (and its sandbox) has ended."""
    if workers < 1:
        raise ValueError(f"code_reward_workers must be at least 1, got {workers}")
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gainrl-code-reward") as pool:
        return list(pool.map(lambda job: job(), jobs))


def make_code_reward(name: str, settings: CodeRewardArguments, text_of: Callable) -> Callable:
    """The `code` or `code_partial` reward function; `text_of` turns a TRL completion into its text."""
    if name not in CODE_REWARDS:
        raise ValueError(f"unknown code reward {name!r}: use one of {CODE_REWARDS}")
    tests_field = settings.tests_field

    def reward(completions, **columns) -> list[float]:
        if tests_field not in columns:
            raise KeyError(f"the {name} reward needs the dataset column {tests_field!r} (tests_field); "
                           f"columns seen: {sorted(columns)}")
        owners, jobs = [], []
        for index, (completion, tests) in enumerate(zip(completions, columns[tests_field])):
            program, parsed = extract_program(text_of(completion)), parse_tests(tests)
            cases = parsed.single_cases() if name == "code_partial" else [parsed.data]
            owners += [index] * len(cases)
            jobs += [_sandboxed_run(program, case, settings) for case in cases]
        passed = run_bounded(jobs, settings.code_workers())
        totals, counts = [0.0] * len(completions), [0] * len(completions)
        for owner, ok in zip(owners, passed):
            totals[owner] += ok
            counts[owner] += 1
        return [total / count if count else 0.0 for total, count in zip(totals, counts)]

    reward.__name__ = name
    return reward


def _sandboxed_run(program: str, tests, settings: CodeRewardArguments) -> Callable[[], bool]:
    return lambda: check_code(program, tests, timeout=settings.code_timeout, memory_mb=settings.code_memory_mb,
                              isolation=settings.code_isolation).passed
