"""split_asserts: which asserts leave the sandbox, what replaces them, and how the caller judges reported values."""

import ast

from gainrl.checkers._sandbox_harness import RECORD_NAME
from gainrl.checkers.assert_split import split_asserts


def test_known_shapes_are_split_and_their_expected_values_leave_the_code():
    tests = ("assert f(1) == 31415\nassert [2, 7] == f(2)\nassert f(3) != 'abc'\nassert f(4) is None\n"
             "assert f(5) is not True\nassert f(6)\nassert not f(7)\n")
    split = split_asserts(tests)
    kinds = [(e.kind, e.expected, e.line) for e in split.expectations]
    assert kinds == [("equal", 31415, 1), ("equal", [2, 7], 2), ("unequal", "abc", 3), ("is", None, 4),
                     ("is not", True, 5), ("true", None, 6), ("false", None, 7)]
    assert "31415" not in split.code and "abc" not in split.code and "assert" not in split.code
    calls = [node for node in ast.walk(ast.parse(split.code)) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Name) and node.func.id == RECORD_NAME]
    assert [ast.unparse(call.args[1]) for call in calls] == [f"f({n})" for n in range(1, 8)]


def test_humaneval_check_function_is_split_unless_it_may_return_early():
    tests = ("METADATA = {}\n\ndef check(candidate):\n    assert candidate(2) == 4, 'message 4'\n"
             "    for x in range(3):\n        assert candidate(x) == x * x\n"
             "    assert abs(candidate(0.5) - 0.25) < 1e-9\n"
             "\ncheck(square)\n")
    split = split_asserts(tests)
    assert [e.source for e in split.expectations] == ["candidate(2) == 4"]
    assert "message 4" not in split.code and "x * x" in split.code and "abs(candidate(0.5) - 0.25)" in split.code
    early = "def check(candidate):\n    if candidate is None:\n        return\n    assert candidate(2) == 4\n"
    assert split_asserts(early).expectations == () and split_asserts(early).code == early


def test_unsplittable_code_is_sent_unchanged():
    for tests in ("assert f(1) == g(1)", "assert 1 == 1", "assert f(1) < 3", "assert x", "def broken(:\n",
                  "with open('x') as h:\n    assert f(h) == 1\n"):
        assert split_asserts(tests).code == tests and split_asserts(tests).expectations == ()


def test_expectations_compare_like_python_on_builtin_values():
    split = split_asserts("assert f() == 3\nassert f() == (1, 2)\nassert f() is True\nassert not f()\n")
    equal_int, equal_tuple, is_true, falsy = split.expectations
    assert equal_int.holds(3) and equal_int.holds(3.0) and not equal_int.holds(4)
    assert equal_tuple.holds((1, 2)) and not equal_tuple.holds([1, 2])
    assert is_true.holds(True) and not is_true.holds(1)
    assert falsy.holds([]) and not falsy.holds([0])
