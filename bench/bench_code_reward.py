"""Benchmark the code reward of `gainrl train` (issue 18): throughput and latency of a round, and its share of a
GRPO step on the tiny code run.

    python bench/bench_code_reward.py throughput --runs 5 --programs 24
    python bench/bench_code_reward.py step --runs 3 --steps 6

throughput: one round of `--programs` completions through `gainrl.train.code_rewards` (the `code` reward, function-call
tests from the synthetic code testbed) on a realistic mix, a quarter each: passing, failing (a wrong value),
raising (an exception) and timing out (an endless loop, `--timeout` seconds). Variants: 1 and 2 workers x
bubblewrap and rlimits isolation, interleaved run by run. Reports programs/s of the round and the p50/p99 latency
of single programs (each job timed inside the pool), medians over runs. As root the sandboxed programs run with the
system Python when a throw-away uid cannot use this one (as in bench_checkers.py), for every variant alike.

step: `gainrl train` on the tiny model and 24 scored synthetic code problems with `reward_funcs: [code]`, 2 workers;
the share of each step spent in the reward functions (TRL's own timing of reward calls is not exposed, so the
reward function is wrapped and timed; the step time is TRL's `step_time` metric), medians over runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_checkers import sandbox_python  # noqa: E402

MIX = {"passing": "def {fn}(*args):\n    return {value!r}\n",
       "failing": "def {fn}(*args):\n    return None\n",
       "raising": "def {fn}(*args):\n    raise ValueError('no')\n",
       "timing out": "def {fn}(*args):\n    while True:\n        pass\n"}


def round_inputs(count: int) -> tuple[list[str], list[dict]]:
    """`count` completions (the mix, in turn) and their tests: one-case function calls."""
    completions, tests = [], []
    kinds = list(MIX)
    for index in range(count):
        value = index * 7
        fn = f"f{index}"
        completions.append(MIX[kinds[index % len(kinds)]].format(fn=fn, value=value))
        tests.append({"fn_name": fn, "inputs": [[index]], "outputs": [value]})
    return completions, tests


def timed_round(workers: int, isolation: str, timeout: float, count: int) -> tuple[float, list[float]]:
    from gainrl import code_rewards
    from gainrl.checkers.sandbox import check_code

    latencies: list[float] = []

    def timed_job(program, case, settings):
        def job():
            started = time.perf_counter()
            passed = check_code(program, case, timeout=settings.code_timeout, memory_mb=settings.code_memory_mb,
                                isolation=settings.code_isolation).passed
            latencies.append(time.perf_counter() - started)
            return passed
        return job

    settings = code_rewards.CodeRewardArguments(code_reward_workers=workers, code_timeout=timeout,
                                                code_isolation=isolation)
    reward = code_rewards.make_code_reward("code", settings, lambda text: text)
    completions, tests = round_inputs(count)
    original, code_rewards._sandboxed_run = code_rewards._sandboxed_run, timed_job
    try:
        started = time.perf_counter()
        rewards = reward(completions, tests=tests)
        seconds = time.perf_counter() - started
    finally:
        code_rewards._sandboxed_run = original
    assert rewards == [1.0 if i % 4 == 0 else 0.0 for i in range(count)], rewards
    return count / seconds, latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_throughput(runs: int, count: int, timeout: float) -> None:
    sys.executable = sandbox_python()
    variants = [(w, i) for i in ("bubblewrap", "rlimits") for w in (1, 2)]
    rates = {v: [] for v in variants}
    p50s = {v: [] for v in variants}
    p99s = {v: [] for v in variants}
    for _ in range(runs):
        for variant in variants:
            rate, latencies = timed_round(*variant, timeout, count)
            rates[variant].append(rate)
            p50s[variant].append(percentile(latencies, 0.5) * 1000)
            p99s[variant].append(percentile(latencies, 0.99) * 1000)
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, sandbox Python "
          f"{sys.executable}; {runs} runs of {count} programs (a quarter each: {', '.join(MIX)}), timeout {timeout}s")
    print("| isolation | workers | programs/s | p50 latency ms | p99 latency ms | round s |")
    print("|---|---:|---:|---:|---:|---:|")
    for variant in variants:
        rate = statistics.median(rates[variant])
        print(f"| {variant[1]} | {variant[0]} | {rate:.2f} | {statistics.median(p50s[variant]):.0f} | "
              f"{statistics.median(p99s[variant]):.0f} | {count / rate:.1f} |")


def scored_code_dataset(folder: Path, model_dir: Path) -> Path:
    from gainrl.kit.synthetic_code import generate_code_problems
    from gainrl.prompts import CODE_SYSTEM_PROMPT
    from gainrl.score.command import ScoreArguments, run_score

    (folder / "rows.json").write_text(json.dumps(generate_code_problems(24, seed=0)))
    run_score(ScoreArguments(model=str(model_dir), dataset=str(folder / "rows.json"), id_field="id",
                             output=str(folder / "scored"), config_name="tiny", system_prompt=CODE_SYSTEM_PROMPT,
                             few_shot="none"))
    return folder / "scored"


def run_step(runs: int, steps: int) -> None:
    import gainrl.train.rewards as rewards
    from gainrl.kit.tiny import build_tiny_model
    from gainrl.train.command import TrainArguments, run_train

    sys.executable = sandbox_python()
    shares, step_times, reward_times = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        model_dir = build_tiny_model(Path(scratch) / "model")
        dataset = scored_code_dataset(Path(scratch), model_dir)
        spent: list[float] = []
        original = rewards.resolve_rewards

        def timed_rewards(*args, **kwargs):
            return [_timed(function, spent) for function in original(*args, **kwargs)]

        rewards.resolve_rewards = timed_rewards
        for run in range(runs):
            spent.clear()
            args = TrainArguments(model_name_or_path=str(model_dir), dataset_name=str(dataset),
                                  output_dir=f"{scratch}/run{run}", use_cpu=True, bf16=False,
                                  per_device_train_batch_size=16, num_generations=4, max_completion_length=64,
                                  max_steps=steps, logging_steps=1, save_strategy="no", report_to="none", seed=run,
                                  reward_funcs=["code"], code_reward_workers=2, code_timeout=5,
                                  rank_units="fraction", rank_std=0.2)
            trainer = run_train(args)
            step_time = [entry["step_time"] for entry in trainer.state.log_history if "step_time" in entry]
            step_times.append(statistics.median(step_time))
            reward_times.append(statistics.median(spent))
            shares.append(sum(spent) / sum(step_time))
    print(f"{runs} runs x {steps} steps, 16 completions per step (4 prompts x 4), 64 new tokens, 2 workers")
    print(f"median step {statistics.median(step_times):.2f} s, median reward call {statistics.median(reward_times):.3f}"
          f" s, share of step time in rewards {statistics.median(shares):.1%} (per run: "
          f"{', '.join(f'{s:.1%}' for s in shares)})")


def _timed(function, spent: list[float]):
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    timed.__name__ = function.__name__
    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["throughput", "step"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--programs", type=int, default=24)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    if args.mode == "throughput":
        run_throughput(args.runs, args.programs, args.timeout)
    else:
        run_step(args.runs, args.steps)


if __name__ == "__main__":
    main()
