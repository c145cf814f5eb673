"""Code-task tests in one normalised schema, and `score_code`: does a completion's program pass them?

A row's tests (a dataset column, as a JSON string or as data) take one of three forms:
  stdin     `[{"input": str, "output": str}, ...]`: one run per case, stdout compared in the caller. Items may carry
            a `testtype`/`type` of "stdin"/"stdin_stdout" (LiveCodeBench, DeepCoder's lcbv5/primeintellect), and
            `{"inputs": [str...], "outputs": [str...]}` without `fn_name` (APPS/TACO) means the same.
  call      `{"fn_name": str, "inputs": [[args...], ...], "outputs": [value, ...]}`: only the arguments enter the
            sandbox; return values come back type-exact and are compared with `==` in the caller. DeepCoder
            primeintellect's `[{"type": "function_call", "fn_name", "input": [args], "output": [value]}]` means
            the same.
  assert    a string of Python test code (HumanEval/MBPP form), e.g. `assert add(1, 2) == 3`.
`parse_tests` validates and normalises one value into `CodeTests`; `column_errors` names every bad row. Running is
`gainrl.checkers.check_code`'s job (its docstring says what each form protects against; for assert code, asserts
of other shapes than `assert f(x) == <literal>` run inside the sandbox and can be forged in process).

`extract_program` is gainrl's one rule for the program in a completion, in training rewards and in evaluation
alike: the last fenced python (or unlabelled) block, an unclosed last fence running to the end, else the whole
text. The last, not the first: a model that drafts and then corrects itself means its final block. `score_code` is 1.0
when every case passes, else 0.0; `passed_fraction` is the share of cases passed (assert code counts as one case).

What it does not cover: LiveCodeBench / lcbv5 "functional" cases (JSON-lines arguments of a `Solution` method):
convert them first; class-method entry points; and TACO's call form, whose outputs wrap each value in a list
(`{"fn_name", "inputs", "outputs": [[value], ...]}` reads as returning `[value]`): unwrap its outputs first.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from gainrl.checkers.sandbox import check_code

KINDS = ("stdin", "call", "assert")
STDIN_TYPES = ("stdin", "stdin_stdout")
# An unclosed last fence (the generation stopped inside the block) runs to the end of the text.
_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.IGNORECASE)


class InvalidTestsError(ValueError):
    """A tests value that is none of the three forms; the message says which part is wrong."""


@dataclass(frozen=True)
class CodeTests:
    """Normalised tests: `kind` is one of KINDS; `data` is what `check_code` takes for it."""

    kind: str
    data: object  # list of {"input", "output"} | {"fn_name", "inputs", "outputs"} | str

    def __len__(self) -> int:
        return {"stdin": lambda: len(self.data), "call": lambda: len(self.data["inputs"]),
                "assert": lambda: 1}[self.kind]()

    def single_cases(self) -> list:
        """One `check_code` tests value per case (assert code is one case)."""
        if self.kind == "stdin":
            return [[case] for case in self.data]
        if self.kind == "call":
            name = self.data["fn_name"]
            return [{"fn_name": name, "inputs": [arguments], "outputs": [output]}
                    for arguments, output in zip(self.data["inputs"], self.data["outputs"])]
        return [self.data]


def parse_tests(value) -> CodeTests:
    """Validate and normalise one row's tests (a JSON string, Python test code, or already-decoded data)."""
    if isinstance(value, CodeTests):
        return value
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            raise InvalidTestsError("is empty")
        if stripped[0] in "[{":
            try:
                value = json.loads(stripped)
            except ValueError as error:
                raise InvalidTestsError(f"looks like JSON but does not parse ({error})") from None
        else:
            return _assert_tests(value)
    if isinstance(value, dict):
        return _dict_tests(value)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(c, dict) and c.get("type") == "function_call" for c in value):
            return _listed_calls(value)
        return CodeTests("stdin", _stdin_cases(value))
    raise InvalidTestsError(f"must be a JSON string, test code, a list of cases or a dict, got {type(value).__name__}")


def _assert_tests(code: str) -> CodeTests:
    try:
        ast.parse(code)
    except SyntaxError as error:
        raise InvalidTestsError(f"test code does not compile (line {error.lineno}: {error.msg})") from None
    return CodeTests("assert", code)


def _dict_tests(value: dict) -> CodeTests:
    inputs, outputs = value.get("inputs"), value.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise InvalidTestsError("a dict of tests needs lists 'inputs' and 'outputs'")
    if len(inputs) != len(outputs):
        raise InvalidTestsError(f"'inputs' has {len(inputs)} entries but 'outputs' has {len(outputs)}")
    if not inputs:
        raise InvalidTestsError("has no cases")
    name = value.get("fn_name")
    if name is None:
        return CodeTests("stdin", _stdin_cases([{"input": i, "output": o} for i, o in zip(inputs, outputs)]))
    if not isinstance(name, str) or not name.isidentifier():
        raise InvalidTestsError(f"'fn_name' must be a function name, got {name!r:.100}")
    for index, arguments in enumerate(inputs):
        if not isinstance(arguments, list):
            raise InvalidTestsError(f"inputs[{index}] must be a list of arguments, got {arguments!r:.100}")
    return CodeTests("call", {"fn_name": name, "inputs": inputs, "outputs": outputs})


def _listed_calls(items: list[dict]) -> CodeTests:
    """DeepCoder primeintellect's `[{"type": "function_call", "fn_name", "input": [args], "output": [value]}]`."""
    names = {case.get("fn_name") for case in items}
    if len(names) != 1:
        raise InvalidTestsError(f"function_call cases must all call one function, got {sorted(map(str, names))}")
    for index, case in enumerate(items):
        if not isinstance(case.get("output"), list) or len(case["output"]) != 1:
            raise InvalidTestsError(f"case {index}: a function_call 'output' must be a one-element list [value], "
                                    f"got {case.get('output')!r:.100}")
    return _dict_tests({"fn_name": names.pop(), "inputs": [case.get("input") for case in items],
                        "outputs": [case["output"][0] for case in items]})


def _stdin_cases(items) -> list[dict]:
    if not items:
        raise InvalidTestsError("has no cases")
    cases = []
    for index, case in enumerate(items):
        if not isinstance(case, dict):
            raise InvalidTestsError(f"case {index} must be a dict with 'input' and 'output', got {case!r:.100}")
        kind = case.get("testtype", case.get("type", "stdin"))
        if kind not in STDIN_TYPES:
            raise InvalidTestsError(f"case {index} has type {kind!r}: a list holds stdin cases or only "
                                    "'function_call' ones; write function-call tests as {'fn_name', 'inputs', "
                                    "'outputs'}")
        for key in ("input", "output"):
            if not isinstance(case.get(key), str):
                raise InvalidTestsError(f"case {index}: '{key}' must be a string, got {case.get(key)!r:.100}")
        cases.append({"input": case["input"], "output": case["output"]})
    return cases


def column_errors(values, ids, field: str) -> list[str]:
    """One message per row whose tests do not parse, naming its row, id and field, in row order."""
    errors = []
    for row, (value, identifier) in enumerate(zip(values, ids)):
        try:
            parse_tests(value)
        except InvalidTestsError as error:
            errors.append(f"row {row} (id={identifier!r}): field {field!r}: {error}")
    return errors


def extract_program(completion: str) -> str:
    """The last fenced python (or unlabelled) code block of a completion (an unclosed last fence runs to the end),
    else the whole text."""
    blocks = _FENCE.findall(completion)
    return blocks[-1] if blocks else completion


def score_code(completion: str, tests, *, timeout: float = 10.0, memory_mb: int = 1024,
               isolation: str = "auto") -> float:
    """1.0 when the completion's program passes every case of `tests` (any accepted form), else 0.0."""
    parsed = parse_tests(tests)
    result = check_code(extract_program(completion), parsed.data, timeout=timeout, memory_mb=memory_mb,
                        isolation=isolation)
    return 1.0 if result.passed else 0.0


def passed_fraction(completion: str, tests, *, timeout: float = 10.0, memory_mb: int = 1024,
                    isolation: str = "auto") -> float:
    """The share of `tests`' cases the completion's program passes (one sandboxed run per case)."""
    parsed, program = parse_tests(tests), extract_program(completion)
    passed = sum(check_code(program, case, timeout=timeout, memory_mb=memory_mb, isolation=isolation).passed
                 for case in parsed.single_cases())
    return passed / len(parsed)
