"""Split assert-style test code so that the expected values never enter the sandbox.

`split_asserts(tests)` parses Python test code (HumanEval's `def check(candidate): assert candidate(...) == ...`,
MBPP's `assert f(x) == y`) and replaces each assert of a known shape by `__gainrl_record__(index, <program side>)`:
the sandbox reports the program side's value (type-exact, see `_sandbox_harness.encode_value`) and the caller
judges it with `Expectation.holds`. Known shapes, where EXPECTED is a Python literal (`ast.literal_eval`) and
PROGRAM is not:

    assert PROGRAM == EXPECTED   (or EXPECTED == PROGRAM)        assert PROGRAM != EXPECTED
    assert PROGRAM is None / True / False (and `is not`)         assert CALL(...)   and   assert not CALL(...)

They are split when they are statements of the module itself or of a module-level function without `return`,
`yield` or `await` (HumanEval's `check`), so every split assert runs whenever the test code runs to its end; one that
never reported a value fails the check. Everything else (asserts of other shapes, asserts in loops, conditions or
`with` blocks, helper code) stays in the test code and runs inside the sandbox, expected values included.
What it does not do: evaluate anything of the program's (the caller only compares reported values with literals),
or split asserts whose expected side is computed (`assert abs(f(x) - 0.5) < 1e-6` stays inside).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from gainrl.checkers._sandbox_harness import RECORD_NAME

_SINGLETONS = (None, True, False)


@dataclass(frozen=True)
class Expectation:
    """One split assert: how the reported value of its program side must relate to `expected`."""

    index: int
    kind: str  # "equal", "unequal", "is", "is not", "true", "false"
    expected: object
    source: str
    line: int

    def holds(self, value) -> bool:
        try:
            return bool(_CHECKS[self.kind](value, self.expected))
        except (TypeError, ValueError, RecursionError):
            return False


_CHECKS = {"equal": lambda value, expected: value == expected,
           "unequal": lambda value, expected: value != expected,
           "is": lambda value, expected: value is expected, "is not": lambda value, expected: value is not expected,
           "true": lambda value, _: bool(value), "false": lambda value, _: not value}


@dataclass(frozen=True)
class SplitTests:
    code: str  # the test code to run in the sandbox
    expectations: tuple[Expectation, ...]


def split_asserts(tests: str) -> SplitTests:
    """`tests` with every splittable assert replaced by a report of its program side (see the module docstring)."""
    try:
        module = ast.parse(tests)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return SplitTests(tests, ())  # the sandbox reports the error as Python would
    expectations: list[Expectation] = []
    _split_body(module.body, tests, expectations)
    for statement in module.body:
        if isinstance(statement, ast.FunctionDef) and not _may_end_early(statement):
            _split_body(statement.body, tests, expectations)
    if not expectations:
        return SplitTests(tests, ())
    return SplitTests(ast.unparse(ast.fix_missing_locations(module)), tuple(expectations))


def _may_end_early(function: ast.FunctionDef) -> bool:
    return any(isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom, ast.Await)) for node in ast.walk(function))


def _split_body(body: list[ast.stmt], tests: str, expectations: list[Expectation]) -> None:
    for position, statement in enumerate(body):
        if not isinstance(statement, ast.Assert):
            continue
        shape = _shape(statement.test)
        if shape is None:
            continue
        program_side, kind, expected = shape
        index = len(expectations)
        source = ast.get_source_segment(tests, statement.test) or ast.unparse(statement.test)
        expectations.append(Expectation(index, kind, expected, source, statement.lineno))
        report = ast.Call(ast.Name(RECORD_NAME, ast.Load()), [ast.Constant(index), program_side], [])
        body[position] = ast.copy_location(ast.Expr(report), statement)


def _shape(test: ast.expr) -> tuple[ast.expr, str, object] | None:
    """(program side, kind, expected value) for a splittable assert test, else None."""
    if isinstance(test, ast.Call):
        return test, "true", None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Call):
        return test.operand, "false", None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, operator, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(operator, (ast.Is, ast.IsNot)):
        if isinstance(right, ast.Constant) and any(right.value is value for value in _SINGLETONS) \
                and not _is_literal(left):
            return left, "is" if isinstance(operator, ast.Is) else "is not", right.value
        return None
    if not isinstance(operator, (ast.Eq, ast.NotEq)) or _is_literal(left) == _is_literal(right):
        return None
    program_side, expected_side = (right, left) if _is_literal(left) else (left, right)
    return program_side, "equal" if isinstance(operator, ast.Eq) else "unequal", ast.literal_eval(expected_side)


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True
