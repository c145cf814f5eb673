"""Tests for gainrl.kit.synthetic_code: reproducible problems covering every level and test form, whose reference
solutions pass their own tests in the sandbox while a wrong program does not; and the offline code path
`gainrl score` (code prompt, no few-shot) -> `gainrl train` with the code reward on the tiny model.

Run: python -m pytest tests/kit/test_synthetic_code.py -v
"""

import json

import pytest

from gainrl.checkers import score_code
from gainrl.checkers.code_tests import parse_tests
from gainrl.kit.synthetic_code import FORMATS, generate_code_problems, prompt_settings
from gainrl.prompts import CODE_SYSTEM_PROMPT


def test_problems_are_reproducible_and_cover_levels_and_forms():
    problems = generate_code_problems(9, seed=1)
    assert problems == generate_code_problems(9, seed=1) and problems != generate_code_problems(9, seed=2)
    assert {p["difficulty"] for p in problems} == {1.0, 2.0, 3.0}
    assert {p["test_format"] for p in problems} == set(FORMATS)
    assert all(parse_tests(p["tests"]).kind == p["test_format"] for p in problems)
    assert len({p["id"] for p in problems}) == 9


def test_reference_solutions_pass_and_wrong_programs_fail():
    for problem in generate_code_problems(6, seed=4):
        assert score_code(f"```python\n{problem['solution']}```", problem["tests"], timeout=10) == 1.0, problem
        assert score_code("print(0)\ndef solve(*a):\n    return 0\n", problem["tests"], timeout=10) == 0.0


def test_unknown_level_is_an_error():
    with pytest.raises(ValueError, match="no problem family"):
        generate_code_problems(3, levels=(7,))


@pytest.fixture(scope="module")
def scored_code(tiny_model_dir, tmp_path_factory):
    from gainrl.score.command import ScoreArguments, run_score

    folder = tmp_path_factory.mktemp("code")
    (folder / "rows.json").write_text(json.dumps(generate_code_problems(12, seed=0)))
    run_score(ScoreArguments(model=str(tiny_model_dir), dataset=str(folder / "rows.json"), id_field="id",
                             output=str(folder / "scored"), config_name="tiny", system_prompt=CODE_SYSTEM_PROMPT,
                             few_shot="none"))
    return folder / "scored"


def test_tests_column_is_checked_on_load_naming_row_id_and_field(scored_code):
    from gainrl.train.data import load_training_data

    bad_row = r"\(12 problem\(s\)\):\n  row 0 \(id='code-0-\d+'\): field 'problem': test code does not compile"
    with pytest.raises(ValueError, match=bad_row):
        load_training_data(str(scored_code), None, None, answer_field=None, tests_field="problem")
    with pytest.raises(ValueError, match=r"columns \['cases'\] are missing"):
        load_training_data(str(scored_code), None, None, answer_field=None, tests_field="cases")


def test_score_then_train_with_the_code_reward(tiny_model_dir, scored_code, tmp_path):
    from gainrl.train.command import TrainArguments, run_train

    args = TrainArguments(model_name_or_path=str(tiny_model_dir), dataset_name=str(scored_code),
                          output_dir=str(tmp_path / "run"), use_cpu=True, bf16=False, per_device_train_batch_size=4,
                          num_generations=2, max_completion_length=8, max_steps=2, logging_steps=1,
                          save_strategy="no", report_to="none", seed=0, reward_funcs=["code", "code_partial"],
                          code_reward_workers=2, code_timeout=5, rank_units="fraction", rank_std=0.2)
    assert args.accuracy_reward == "code"
    trainer = run_train(args)
    assert trainer.train_dataset[0]["prompt"][:-1] == [{"role": "system", "content": CODE_SYSTEM_PROMPT}]
    assert prompt_settings().messages("q")[0]["content"] == CODE_SYSTEM_PROMPT
    logged = [entry for entry in trainer.state.log_history if "rewards/code/mean" in entry]
    assert len(logged) == 2 and all("rewards/code_partial/mean" in entry for entry in logged)
    assert len(trainer.curriculum.history) >= 1
