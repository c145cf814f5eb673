"""Tests for gainrl.kit.quickstart: the offline demonstration runs end to end in a fresh process.

The default suite runs a shortened quickstart (small splits, few steps); the `slow` test runs the real default
(`make quickstart`'s settings) and is run by `make test-slow`.

Run: python -m pytest tests/kit/test_quickstart.py -v
"""

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from gainrl.hub.process import LocalHubProcess, hub_environment
from gainrl.kit.quickstart import CURRICULA, EVAL_TASK, QuickstartConfig, check_environment_is_fresh
from gainrl.kit.synthetic import prompt_settings

SHORT = ("--train-size", "60", "--test-size", "20", "--sft-steps", "10", "--train-steps", "4", "--eval-limit", "8")

LOAD_SCRIPT = """
import json, sys
import datasets
from transformers import AutoModelForCausalLM, AutoTokenizer
summary = json.load(open(sys.argv[1]))
data = datasets.load_dataset(summary["dataset"]["repo"], summary["dataset"]["config"], split="train")
print("dataset", len(data), data.column_names)
for name, repo in summary["models"].items():
    model = AutoModelForCausalLM.from_pretrained(repo)
    AutoTokenizer.from_pretrained(repo)
    print("model", name, repo, model.num_parameters())
"""


def load_with_standard_clients(hub_root, summary_path, tmp_path) -> str:
    """Serve `hub_root` again and load the summary's dataset and models in a fresh process with plain clients."""
    with LocalHubProcess(hub_root) as hub:
        env = {**os.environ, **hub_environment(hub.endpoint, hf_home=str(tmp_path / "fresh-hf-home"))}
        result = subprocess.run([sys.executable, "-c", LOAD_SCRIPT, str(summary_path)], env=env, capture_output=True,
                                text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def printed_eval_reproduces_the_table(output: str, summary: dict, hub_root, run_dir, tmp_path) -> bool:
    """Run the printed `gainrl eval` line of the gainrl-trained model; its number must be the table's."""
    repo = summary["models"]["gainrl"]
    line = next(line.strip() for line in output.splitlines() if " gainrl eval " in line and f"--model {repo} " in line)
    assignment, _, command = line.partition(" gainrl eval ")
    name, _, value = assignment.partition("=")
    with LocalHubProcess(hub_root) as hub:
        env = {**os.environ, **hub_environment(hub.endpoint, hf_home=str(tmp_path / "eval-hf-home")), name: value}
        result = subprocess.run([sys.executable, "-m", "gainrl", "eval", *shlex.split(command), "--output",
                                 str(tmp_path / "re-eval")], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    written = json.loads(next((tmp_path / "re-eval").glob("**/results_*.json")).read_text())
    assert written["results"][EVAL_TASK]["acc,none"] == summary["eval"]["gainrl"][EVAL_TASK], line
    # the sampled completions too (a tiny model's accuracy is often 0 either way; a batch size or seed changes them)
    again, table_run = (sampled_completions(folder) for folder in (tmp_path / "re-eval", run_dir / "eval" / "gainrl"))
    assert again == table_run and again, line
    return True


def sampled_completions(folder) -> list:
    samples = next(Path(folder).glob(f"**/samples_{EVAL_TASK}_*.jsonl")).read_text().splitlines()
    return sorted((record["doc_id"], record["resps"]) for record in map(json.loads, samples))


def check_summary(summary: dict, hub_root, run_dir) -> None:
    config = QuickstartConfig()
    assert summary["hub_root"] == str(hub_root.resolve())
    assert summary["dataset"] == {"repo": config.scored_repo, "config": "tiny-qwen2"}
    assert summary["source_dataset"] == config.dataset_repo
    assert summary["models"] == {"base": config.model_repo, **{c: config.trained_repo(c) for c in CURRICULA}}
    for name in ("base", *CURRICULA):
        written = json.loads(next((run_dir / "eval" / name).glob("**/results_*.json")).read_text())
        assert summary["eval"][name] == {EVAL_TASK: written["results"][EVAL_TASK]["acc,none"]}
        assert 0.0 <= summary["eval"][name][EVAL_TASK] <= 1.0
    assert set(summary["warm_start_accuracy"]) == {f"level {n}" for n in range(1, 6)} | {"all"}
    assert [Path(path).name for path in summary["plots"]] == ["quickstart.png"]
    assert (run_dir / "plots" / "quickstart.png").stat().st_size > 0
    assert summary["timings"]["total"] > 0 and len(summary["timings"]) >= 9


def test_short_quickstart_runs_every_stage_and_its_summary_loads(run_gainrl, tmp_path):
    hub_root, run_dir = tmp_path / "hub", tmp_path / "run"
    output = run_gainrl("quickstart", "--hub-root", str(hub_root), "--out", str(run_dir), *SHORT, cwd=tmp_path).stdout
    config = QuickstartConfig()
    assert "num_rows: 60" in output and "Qwen2ForCausalLM" in output
    assert "warm-started model, greedy accuracy on the held-out split: level 1" in output
    assert "held-out accuracy (gainrl_synthetic" in output and "export HF_ENDPOINT=http://127.0.0.1:8088" in output
    assert f"gainrl demo --model {config.trained_repo('gainrl')} --compare {config.model_repo}" in output
    summary = json.loads((run_dir / "summary.json").read_text())
    check_summary(summary, hub_root, run_dir)
    loaded = load_with_standard_clients(hub_root, run_dir / "summary.json", tmp_path)
    assert "dataset 60" in loaded and loaded.count("model ") == 3
    assert printed_eval_reproduces_the_table(output, summary, hub_root, run_dir, tmp_path)
    with LocalHubProcess(hub_root) as hub:
        api = HfApi(endpoint=hub.endpoint)
        assert "warm_start.json" in api.list_repo_files(config.model_repo)
        for curriculum in CURRICULA:
            refs = {ref.name for ref in api.list_repo_refs(config.trained_repo(curriculum)).branches}
            assert {"main", "step-000002", "step-000004"} <= refs
            card = api.model_info(config.trained_repo(curriculum)).card_data
            assert card.gainrl["curriculum"]["curriculum"] == curriculum
        suite = api.list_repo_files(config.eval_suite_repo, repo_type="dataset")
        assert any(name.startswith("synthetic/") for name in suite)


def test_eval_task_prompts_as_scoring_and_training_do_and_a_rerun_on_the_same_hub_works(run_gainrl, tmp_path):
    """lm-eval's rendered prompt (logged per sample) equals gainrl's rendering of the scored dataset's prompt."""
    from transformers import AutoTokenizer

    from gainrl.prompts import render
    from gainrl.scored import load_scored

    run_dir = tmp_path / "run"
    arguments = ("quickstart", "--hub-root", str(tmp_path / "hub"), "--out", str(run_dir), "--train-size", "30",
                 "--test-size", "10", "--sft-steps", "2", "--train-steps", "1", "--eval-limit", "3")
    run_gainrl(*arguments, cwd=tmp_path)
    settings = load_scored(str(run_dir / "scored-synthetic")).prompt_settings
    assert settings == prompt_settings()
    tokenizer = AutoTokenizer.from_pretrained(run_dir / "base-model")
    samples = next((run_dir / "eval" / "gainrl").glob("**/samples_gainrl_synthetic_*.jsonl")).read_text()
    for line in samples.splitlines():
        sample = json.loads(line)
        assert sample["arguments"]["gen_args_0"]["arg_0"] == render(tokenizer, settings, sample["doc"]["problem"])
    assert "num_rows: 30" in run_gainrl(*arguments, cwd=tmp_path).stdout


@pytest.mark.slow
@pytest.mark.timeout(2400)  # a hang guard only: the run takes about 7 minutes on 2 cores
def test_default_quickstart_as_make_quickstart_runs_it(run_gainrl, tmp_path):
    hub_root, run_dir = tmp_path / "hub", tmp_path / "run"
    run_gainrl("quickstart", "--hub-root", str(hub_root), "--out", str(run_dir), cwd=tmp_path)
    summary = json.loads((run_dir / "summary.json").read_text())
    check_summary(summary, hub_root, run_dir)
    assert summary["warm_start_accuracy"]["level 1"] > summary["warm_start_accuracy"]["level 5"]
    base = summary["eval"]["base"][EVAL_TASK]
    assert all(summary["eval"][name][EVAL_TASK] >= base + 0.05 for name in CURRICULA), summary["eval"]  # issue 15
    assert "dataset 1000" in load_with_standard_clients(hub_root, run_dir / "summary.json", tmp_path)


def test_refuses_to_run_after_hf_libraries_were_imported():
    import huggingface_hub  # noqa: F401  (the test session imported it already)

    with pytest.raises(RuntimeError, match="fresh process"):
        check_environment_is_fresh()
