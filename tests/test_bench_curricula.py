"""Tests for bench/bench_curricula.py's pure parts: the run order, the orders the sampler walks, and the report
computed from the results file (targets, steps and tokens to target, speed-ups, the half-data difference).

Run: python -m pytest tests/test_bench_curricula.py -v
"""

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import bench_curricula as bench  # noqa: E402


def run(arm: str, seed: int, accuracies: list[float], tokens_per_step: int = 100) -> dict:
    evals = [{"step": 10 * i, "prompts_seen": 80 * i, "generated_tokens": 10 * i * tokens_per_step, "wall_s": i,
              "accuracy": accuracy} for i, accuracy in enumerate(accuracies)]
    return {"arm": arm, "seed": seed, "train_fraction": 0.5 if arm.endswith("half") else 1.0, "evals": evals,
            "zero_variance": [[1, 0.5], [2, 0.25]]}


def test_runs_are_planned_seed_by_seed_and_each_arm_gets_its_own_number_of_seeds():
    plan = bench.planned_runs(list(bench.ARMS), None)
    assert plan[:len(bench.ARMS)] == [(arm, 0) for arm in bench.ARMS]
    for arm, spec in bench.ARMS.items():
        assert [seed for name, seed in plan if name == arm] == list(range(spec.seeds))
    assert bench.planned_runs(["uniform", "static"], 2) == [("uniform", 0), ("static", 0), ("uniform", 1),
                                                           ("static", 1)]


def test_the_issue_asks_for_every_arm_with_at_least_its_seeds():
    five = {"uniform", "gainrl", "length", "shuffled", "pass-rate", "uniform+filter", "gainrl+filter", "gainrl-half"}
    three = {"static", "gainrl-accuracy-only", "gainrl-angle-only"}
    assert set(bench.ARMS) == five | three
    assert all(bench.ARMS[arm].seeds >= 5 for arm in five) and all(bench.ARMS[arm].seeds >= 3 for arm in three)
    assert bench.ARMS["gainrl-accuracy-only"].overrides == {"angle_sensitivity": 0.0}
    assert bench.ARMS["gainrl-angle-only"].overrides == {"accuracy_sensitivity": 0.0}


def test_shuffled_and_pass_rate_orders_are_permutations_with_the_easiest_first():
    data = SimpleNamespace(dataset=list(range(5)), angle_order=[4, 3, 2, 1, 0])
    start = {"train_pass_rate": [0.0, 1.0, 0.5, 1.0, 0.25]}
    shuffled = bench.rank_order(bench.ARMS["shuffled"], data, start, seed=3)
    assert sorted(shuffled) == list(range(5)) and shuffled == bench.rank_order(bench.ARMS["shuffled"], data, start, 3)
    assert bench.rank_order(bench.ARMS["pass-rate"], data, start, 0) == [3, 1, 2, 4, 0]  # ties: angle order
    assert bench.rank_order(bench.ARMS["gainrl"], data, start, 0) is None


def test_report_measures_steps_and_tokens_to_uniforms_final_accuracy():
    results = {"config": {}, "runs": [
        run("uniform", 0, [0.2, 0.3, 0.4]), run("uniform", 1, [0.2, 0.3, 0.4]),
        run("gainrl", 0, [0.2, 0.4, 0.5]), run("gainrl", 1, [0.2, 0.4, 0.4]),
        run("gainrl-half", 0, [0.2, 0.25, 0.3]), run("gainrl-half", 1, [0.2, 0.3, 0.5]),
        run("length", 0, [0.2, 0.2, 0.3], tokens_per_step=50)]}
    summary = bench.summarise(results)
    assert summary["target"] == pytest.approx(0.4)
    gainrl, length = summary["arms"]["gainrl"], summary["arms"]["length"]
    assert gainrl["step_to_target"] == [10, 10] and summary["arms"]["uniform"]["step_to_target"] == [20, 20]
    assert gainrl["step_speedup"][0] == pytest.approx(2.0)
    assert gainrl["generated_tokens_to_target"] == [1000, 1000]
    assert length["step_to_target"] == [None] and length["step_speedup"] is None
    assert summary["half"]["difference"] == pytest.approx(0.0) and summary["half"]["seeds"] == 2
    assert summary["gain"] == pytest.approx([0.2, 0.2])
    text = bench.markdown(results, summary, "plots/curricula.png")
    assert "| gainrl | 2 | 0.200 | 0.450" in text and "not reached" in text and "2.00x" in text
    assert "Not run yet (seeds missing): uniform (3)" in text


def test_second_target_is_most_of_uniforms_gain_which_flat_uniform_seeds_still_reach():
    results = {"config": {}, "runs": [
        run("uniform", 0, [0.2, 0.38, 0.38]), run("uniform", 1, [0.2, 0.4, 0.42]),
        run("gainrl", 0, [0.2, 0.39, 0.4]), run("length", 0, [0.2, 0.3, 0.35])]}
    summary = bench.summarise(results)
    assert summary["target"] == pytest.approx(0.4) and summary["most_of_gain"] == pytest.approx(0.2 + 0.9 * 0.2)
    assert summary["arms"]["uniform"]["step_speedup"] is None  # seed 0 never reaches uniform's mean final
    uniform, gainrl = summary["arms"]["uniform"]["most_of_gain"], summary["arms"]["gainrl"]["most_of_gain"]
    assert uniform["step_to_target"] == [10, 10] and gainrl["step_to_target"] == [10]
    assert gainrl["step_speedup"][0] == pytest.approx(1.0)
    assert summary["arms"]["length"]["most_of_gain"]["step_to_target"] == [None]
    text = bench.markdown(results, summary, "plots/curricula.png")
    assert "Second target: 90% of uniform's mean gain, held-out accuracy **0.380**" in text
    assert "| length | not reached | - |" in text


def test_results_of_another_testbed_are_refused(tmp_path):
    path = tmp_path / "curricula.json"
    bench.write_json(path, {"config": {"a": 1}, "runs": []})
    assert bench.load_results(path, {"a": 1}) == {"config": {"a": 1}, "runs": []}
    with pytest.raises(SystemExit, match="another testbed"):
        bench.load_results(path, {"a": 2})


def test_an_unfrozen_testbed_runs_only_uniform_and_finished_runs_are_skipped():
    results = {"config": {}, "runs": [run("uniform", 0, [0.1, 0.2])]}
    todo = bench.runs_to_do({"frozen": False}, results, list(bench.ARMS), 2, filtering=True)
    assert todo == [("uniform", 1)]
    frozen = bench.runs_to_do({"frozen": True}, results, list(bench.ARMS), 1, filtering=False)
    assert ("uniform", 0) not in frozen and ("gainrl", 0) in frozen
    assert not [arm for arm, _ in frozen if bench.ARMS[arm].filter_groups]


def test_the_quickstart_is_the_committed_testbed_with_a_shorter_warm_start():
    """Same model, warm-start recipe and levels; the quickstart's warm start is shorter, at a larger learning rate,
    and slips on the levels it can compute (documented in testbed.yaml): only steps, batch size, learning rate and
    slip shares may differ."""
    from dataclasses import asdict

    from gainrl.kit.quickstart import tiny_model_config
    from gainrl.kit.warmstart import WarmStartConfig

    testbed = bench.load_testbed()
    model = asdict(tiny_model_config(seed=0))
    assert {key: model[key] for key in testbed["model"]} == testbed["model"]
    defaults = {**asdict(WarmStartConfig()), "level_mix": list(WarmStartConfig().level_mix)}
    shortened = {"steps", "batch_size", "learning_rate", "slip_share"}
    assert set(testbed["warm_start"]) == set(defaults)
    assert {k: v for k, v in testbed["warm_start"].items() if k not in shortened} \
        == {k: v for k, v in defaults.items() if k not in shortened}
    assert testbed["warm_start"]["steps"] * testbed["warm_start"]["batch_size"] \
        >= defaults["steps"] * defaults["batch_size"]


@pytest.mark.parametrize("testbed, results", [("testbed.yaml", "results/curricula.json"),
                                              ("testbed-r2.yaml", "results/curricula-r2.json")])
def test_the_committed_results_hold_every_planned_run_of_their_committed_testbed(testbed, results):
    """RESULTS.md's tables are computed from these files: each holds runs of its frozen testbed only (a changed
    testbed is refused), every arm with its seeds, each evaluated from step 0."""
    config = bench.load_testbed(ROOT / "bench" / testbed)
    committed = bench.load_results(ROOT / "bench" / results, config)
    assert config["frozen"] and committed["runs"]
    assert bench.runs_to_do(config, committed, list(bench.ARMS), None, filtering=True) == []
    assert all(run["evals"][0]["step"] == 0 for run in committed["runs"])


def test_accuracy_by_level_is_averaged_over_seeds_at_the_first_and_last_evaluation():
    runs = [run("uniform", seed, [0.1, 0.2, 0.3]) for seed in (0, 1)]
    for seed, entry in enumerate(runs):
        for index, evaluation in enumerate(entry["evals"]):
            evaluation["accuracy_by_level"] = {"level 1": 0.5 + 0.1 * index, "level 2": 0.1 * seed}
    lines = bench.level_lines({"runs": runs})
    assert lines[-1] == "| uniform | 10 | 0.60 / 0.05 | 20 | 0.70 / 0.05 |"
    assert bench.level_lines({"runs": [run("uniform", 0, [0.1, 0.2])]}) == []
