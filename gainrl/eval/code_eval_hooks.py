"""lm-eval hooks for the code tasks whose problems carry tests in a form of `gainrl.checkers.code_tests`
(`!function gainrl.eval.code_eval_hooks.<name>` in `evaluation/`): the synthetic code testbed's held-out problems and
MBPP / LiveCodeBench read from local files in their public formats, judged by `score_code` with the same metrics as
HumanEval (pass@1 and pass@k, unbiased estimator over the k sampled completions).

What it does not cover: downloading the benchmarks (no package on the registries ships MBPP or LiveCodeBench data
for offline use; point `GAINRL_MBPP_FILE` / `GAINRL_LCB_FILE` at the files), LiveCodeBench's functional
(class-method) tests, and HumanEval (`gainrl.eval.lm_eval_hooks`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from gainrl.checkers.code_tests import score_code
from gainrl.eval.lm_eval_hooks import CODE_TIMEOUT_S, _completions, _sample_metrics
from gainrl.kit.synthetic_code import generate_code_problems

SYNTHETIC_CODE_SEED = 1_000  # held out: training sets use small seeds
SYNTHETIC_CODE_PROBLEMS = 30


def _test_split(rows: list[dict]):
    import datasets

    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


def load_synthetic_code(**_metadata):
    return _test_split(generate_code_problems(SYNTHETIC_CODE_PROBLEMS, seed=SYNTHETIC_CODE_SEED))


def _data_file(variable: str, task: str) -> Path:
    path = os.environ.get(variable)
    if not path or not Path(path).is_file():
        raise FileNotFoundError(f"{task} reads its problems from a local file: set {variable} to it "
                                f"(got {path!r}); see evaluation/README.md")
    return Path(path)


def _records(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if text.lstrip().startswith("[") else [json.loads(line) for line in text.splitlines()
                                                                    if line.strip()]


def mbpp_row(record: dict) -> dict:
    """A row of MBPP's sanitized split (`task_id`, `prompt`, `test_imports`, `test_list`, ...) with assert tests."""
    tests = "\n".join([*record.get("test_imports", []), *record["test_list"]]) + "\n"
    first_test = record["test_list"][0]
    problem = f"{record['prompt'].strip()}\nYour code should pass this test:\n{first_test}"
    return {"task_id": record["task_id"], "problem": problem, "tests": tests, "solution": record.get("code") or ""}


def load_mbpp(**_metadata):
    return _test_split([mbpp_row(record) for record in _records(_data_file("GAINRL_MBPP_FILE", "gainrl_mbpp"))])


def livecodebench_row(record: dict) -> dict:
    """A LiveCodeBench code_generation row (`question_content`, `public_test_cases`, `private_test_cases` as JSON
    strings of {"input", "output", "testtype"}) with its stdin tests; private cases that are compressed are not
    decoded here."""
    cases = json.loads(record["public_test_cases"])
    private = record.get("private_test_cases")
    if private and private.lstrip().startswith("["):
        cases += json.loads(private)
    return {"task_id": record["question_id"], "problem": record["question_content"].strip(),
            "tests": json.dumps(cases)}


def is_stdin_problem(record: dict) -> bool:
    return all(case.get("testtype") == "stdin" for case in json.loads(record["public_test_cases"]))


def load_livecodebench(**_metadata):
    """The stdin problems of the file; how many functional ones were left out is printed, never silent."""
    records = _records(_data_file("GAINRL_LCB_FILE", "gainrl_livecodebench"))
    kept = [record for record in records if is_stdin_problem(record)]
    if len(kept) < len(records):
        print(f"gainrl_livecodebench: {len(records) - len(kept)} of {len(records)} problems have functional tests, "
              f"which this task does not cover; evaluating the other {len(kept)}", flush=True)
    return _test_split([livecodebench_row(record) for record in kept])


def process_code_tests(doc: dict, results: list[str]) -> dict:
    passed = [score_code(completion, doc["tests"], timeout=CODE_TIMEOUT_S) for completion in _completions(results)]
    metrics = _sample_metrics(passed)
    return {"pass@1": metrics["pass@1"], "pass@k": metrics["pass@k"]}
