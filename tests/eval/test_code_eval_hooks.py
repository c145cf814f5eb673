"""Tests for gainrl.eval.code_eval_hooks through the real lm-eval: the synthetic code task, MBPP read from a file in its
public (sanitized) format, and LiveCodeBench rows mapped to stdin tests; an oracle answering with the reference
solutions scores pass@1 = 1.0, a wrong one 0.0.

Run: python -m pytest tests/eval/test_code_eval_hooks.py -v
"""

import json

import pytest

from gainrl.checkers.code_tests import parse_tests
from gainrl.eval.code_eval_hooks import livecodebench_row, load_livecodebench, load_mbpp
from tests.eval.test_lm_eval_tasks import evaluate

MBPP = [{"source_file": "x", "task_id": 2, "prompt": "Write a function to find the shared elements of two lists.",
         "code": "def similar_elements(a, b):\n    return tuple(sorted(set(a) & set(b)))\n",
         "test_imports": ["import math"],
         "test_list": ["assert similar_elements((3, 4, 5, 6), (5, 7, 4, 10)) == (4, 5)",
                       "assert similar_elements((1, 2), (3, 4)) == ()"]},
        {"source_file": "x", "task_id": 3, "prompt": "Write a python function to identify non-prime numbers.",
         "code": "def is_not_prime(n):\n    return n < 2 or any(n % d == 0 for d in range(2, n))\n",
         "test_imports": [], "test_list": ["assert is_not_prime(2) == False", "assert is_not_prime(10) == True"]}]


@pytest.mark.parametrize("wrong,expected", [("false", 1.0), ("true", 0.0)])
def test_synthetic_code_task(wrong, expected):
    results = evaluate(["gainrl_synthetic_code"], limit=6, overrides={"repeats": 2}, wrong=wrong)["results"]
    assert results["gainrl_synthetic_code"]["pass@1,none"] == expected
    assert results["gainrl_synthetic_code"]["pass@k,none"] == expected


def test_mbpp_from_a_file_in_its_public_format(tmp_path, monkeypatch):
    (tmp_path / "sanitized-mbpp.json").write_text(json.dumps(MBPP))
    monkeypatch.setenv("GAINRL_MBPP_FILE", str(tmp_path / "sanitized-mbpp.json"))
    assert parse_tests(load_mbpp()["test"][0]["tests"]).kind == "assert"
    assert evaluate(["gainrl_mbpp"])["results"]["gainrl_mbpp"]["pass@1,none"] == 1.0
    assert evaluate(["gainrl_mbpp"], wrong="true")["results"]["gainrl_mbpp"]["pass@1,none"] == 0.0


def test_missing_benchmark_file_says_which_variable(monkeypatch):
    monkeypatch.delenv("GAINRL_MBPP_FILE", raising=False)
    with pytest.raises(FileNotFoundError, match="GAINRL_MBPP_FILE"):
        load_mbpp()


def test_livecodebench_rows_become_stdin_tests():
    cases = [{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]
    row = livecodebench_row({"question_id": "abc301_a", "question_content": " Add them. ",
                             "public_test_cases": json.dumps(cases), "private_test_cases": json.dumps(cases * 2)})
    assert row["problem"] == "Add them." and len(parse_tests(row["tests"])) == 3


def test_livecodebench_file_keeps_stdin_problems_and_says_what_it_left_out(tmp_path, monkeypatch, capsys):
    stdin = {"question_id": "a", "question_content": "Add.", "private_test_cases": "",
             "public_test_cases": json.dumps([{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}])}
    functional = {**stdin, "question_id": "b",
                  "public_test_cases": json.dumps([{"input": "1\n2", "output": "3", "testtype": "functional"}])}
    (tmp_path / "lcb.jsonl").write_text("\n".join(json.dumps(r) for r in (stdin, functional)))
    monkeypatch.setenv("GAINRL_LCB_FILE", str(tmp_path / "lcb.jsonl"))
    assert load_livecodebench()["test"]["task_id"] == ["a"]
    assert "1 of 2 problems have functional tests" in capsys.readouterr().out
