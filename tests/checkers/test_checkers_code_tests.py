"""Tests for gainrl.checkers.code_tests: the three test forms (JSON string or data) normalised and validated with
errors that say what is wrong, program extraction, and `score_code` on every form with correct, wrong, hanging and
forged programs, run in the real sandbox.

Run: python -m pytest tests/checkers/test_checkers_code_tests.py -v
"""

import json

import pytest

from gainrl.checkers import score_code
from gainrl.checkers.code_tests import InvalidTestsError, column_errors, extract_program, parse_tests, passed_fraction

STDIN = [{"input": "2 3\n", "output": "5\n"}, {"input": "10 -4\n", "output": "6"}]
CALL = {"fn_name": "add", "inputs": [[2, 3], [10, -4]], "outputs": [5, 6]}
ASSERT = "assert add(2, 3) == 5\nassert add(10, -4) == 6\n"
SCRIPT_OK = "a, b = map(int, input().split())\nprint(a + b)\n"
FUNCTION_OK = "def add(a, b):\n    return a + b\n"
HANG = "while True:\n    pass\n"
FORMS = {"stdin": (STDIN, SCRIPT_OK, "print(5)\n"), "call": (CALL, FUNCTION_OK, "def add(a, b):\n    return a * b\n"),
         "assert": (ASSERT, FUNCTION_OK, "def add(a, b):\n    return 5\n")}
FORGED = {
    # looks for the expected output anywhere it can read (it never enters the sandbox) and prints what it finds
    "stdin": "import os, sys\nseen = sys.stdin.read() + ' '.join(os.environ.values())\nfor root, _, files in "
             "os.walk('.'):\n    for name in files:\n        try:\n            seen += open(os.path.join(root, name))"
             ".read()\n        except OSError:\n            pass\nprint('5' if 'expected' in seen else '')\n",
    # returns an object that equals everything
    "call": "class Anything:\n    def __eq__(self, other):\n        return True\n"
            "def add(a, b):\n    return Anything()\n",
    # ends the process with success before the test code runs
    "assert": "import os\ndef add(a, b):\n    return 0\nos._exit(0)\n",
}


@pytest.mark.parametrize("value,kind,cases", [
    (STDIN, "stdin", 2), (json.dumps(STDIN), "stdin", 2), (CALL, "call", 2), (json.dumps(CALL), "call", 2),
    (ASSERT, "assert", 1), ({"inputs": ["1\n"], "outputs": ["1\n"]}, "stdin", 1),
    ([{"input": "1", "output": "1", "testtype": "stdin"}], "stdin", 1),
    (json.dumps([{"input": "1", "output": "1", "type": "stdin_stdout"}]), "stdin", 1),
    ([{"type": "function_call", "fn_name": "f", "input": [1, 2], "output": [3]}] * 2, "call", 2),
])
def test_every_form_normalises(value, kind, cases):
    tests = parse_tests(value)
    assert tests.kind == kind and len(tests) == cases and len(tests.single_cases()) == (1 if kind == "assert"
                                                                                      else cases)


@pytest.mark.parametrize("value,message", [
    ("", "empty"), ("[1, 2", "does not parse"), ("assert f(1) ==", "does not compile"), (7, "got int"),
    ([], "no cases"), ([{"input": "1"}], "'output' must be a string"),
    ([{"input": "1", "output": "1", "testtype": "functional"}], "stdin cases or only 'function_call'"),
    ([{"type": "function_call", "fn_name": "f", "input": [1], "output": 3}], "one-element list"),
    ([{"type": "function_call", "fn_name": n, "input": [1], "output": [3]} for n in "fg"], "one function"),
    ({"fn_name": "f", "inputs": [[1]], "outputs": [1, 2]}, "'outputs' has 2"),
    ({"fn_name": "1f", "inputs": [[1]], "outputs": [1]}, "function name"),
    ({"fn_name": "f", "inputs": [1], "outputs": [1]}, r"inputs\[0\] must be a list"),
])
def test_bad_tests_say_what_is_wrong(value, message):
    with pytest.raises(InvalidTestsError, match=message):
        parse_tests(value)


def test_deepcoder_function_call_items_compare_unwrapped_values():
    items = [{"type": "function_call", "fn_name": "add", "input": [2, 3], "output": [5]}]
    assert parse_tests(items).data == {"fn_name": "add", "inputs": [[2, 3]], "outputs": [5]}
    assert score_code(FUNCTION_OK, json.dumps(items), timeout=5) == 1.0


def test_column_errors_name_row_id_and_field():
    errors = column_errors([json.dumps(CALL), "[oops", ASSERT, ""], ["a", "b", "c", "d"], "tests")
    assert len(errors) == 2
    assert errors[0].startswith("row 1 (id='b'): field 'tests':") and errors[1].startswith("row 3 (id='d')")


def test_the_last_fenced_python_block_is_the_program():
    text = "Try:\n```python\nx = 1\n```\nBetter:\n```python\nx = 2\n```\nDone."
    assert extract_program(text) == "x = 2\n"
    assert extract_program("```\nprint(1)\n```") == "print(1)\n"
    assert extract_program("print(3)") == "print(3)"
    assert extract_program("Here:\n```python\ndef f():\n    return 1") == "def f():\n    return 1"  # cut off


def test_evaluation_takes_the_program_by_the_same_rule_as_training():
    from gainrl.eval.lm_eval_hooks import completion_program

    doc = {"prompt": "def f():\n    \"\"\"One.\"\"\"\n"}
    drafts = "Draft:\n```python\ndef f():\n    return 0\n```\nFixed:\n```python\ndef f():\n    return 1\n```"
    assert completion_program(doc, drafts).endswith(extract_program(drafts)) and "return 1" in extract_program(drafts)
    assert completion_program(doc, "    return 1\n") == doc["prompt"] + "    return 1\n"  # a body continues the stub


@pytest.mark.parametrize("form", FORMS)
def test_score_code_correct_wrong_hanging_and_forged(form):
    tests, correct, wrong = FORMS[form]
    assert score_code(f"Here:\n```python\n{correct}```", tests, timeout=5) == 1.0
    assert score_code(wrong, tests, timeout=5) == 0.0
    assert score_code(HANG, tests, timeout=1) == 0.0
    assert score_code(FORGED[form], tests, timeout=5) == 0.0


def test_passed_fraction_counts_cases():
    one_of_two = "def add(a, b):\n    return 5\n"
    assert passed_fraction(one_of_two, CALL, timeout=5) == 0.5
    assert passed_fraction("print(5)", STDIN, timeout=5) == 0.5
    assert passed_fraction(FUNCTION_OK, ASSERT, timeout=5) == 1.0
