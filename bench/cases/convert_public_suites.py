"""Convert the public answer-checker test suites into `bench/cases/public_suites.json`.

    python bench/cases/convert_public_suites.py MATH_VERIFY_GIT HENDRYCKS_MATH_GIT MARIO_EVAL_GIT [PRM800K_GIT]

Each argument is a git directory of a public GitHub snapshot (the project fetched them as
/work/.mirror/<owner>+<name>/repo); the test files are read at HEAD with `git show`, parsed with `ast` (never
imported or run), and every labelled pair becomes one case:
  huggingface/Math-Verify tests/*.py   each `@pytest.mark.parametrize` row of a test that calls `compare_strings`
                                       or `verify(parse(gold), parse(pred))`, with the options that call passes
                                       (extraction targets, `float_rounding`, `strict`, `allow_set_relation_comp`);
  hendrycks/math modeling/math_equivalence_test.py and MARIO-Math-Reasoning/MARIO_EVAL
  math_evaluation/tests/test_is_equiv.py   each `assertTrue/assertFalse(is_equiv(test_in, test_out))`, also inside a
                                       `for test_in, test_out in test_pairs` loop.
openai/prm800k has a grader (grading/grader.py) but no tests of it, so it contributes no cases.

Case fields: suite, source (repo, path, commit, test), prediction, gold, expected (the upstream label, 1 or 0),
form ("completion": the prediction is a model output that needs extraction; "answer": two bare answers),
math_verify (how the upstream test calls math-verify; absent for suites that do not use it), and, where the
upstream label is wrong, `label_wrong` with the right label and why (`LABEL_FIXES` below).
"""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "public_suites.json"
MATH_VERIFY_TESTS = ("test_all.py", "test_boxed.py", "test_numina_cases.py", "test_open_thoughts.py",
                     "test_strict.py", "test_yujianll.py")
VERIFY_DEFAULTS = {"float_rounding": 6, "strict": True, "allow_set_relation_comp": False}
# (prediction, gold) -> (right label, why); judged by hand, each with its reason
_DECIMAL_COMMA = ("a comma between digits is a list separator (MATH writes lists as `0,1`, `2,4`, `-1,1`) or a "
                  "thousands separator (3-digit groups after a non-zero first group), never a decimal comma: reading "
                  "`0,1` as 0.1 would accept 0.1 for the list {0, 1}")
_UNORDERED = ("a bare comma-separated list in MATH answers the instruction \"enter all the solutions, separated by "
              "commas\": the order is free; only a parenthesised tuple is ordered")
LABEL_FIXES = {
    ("$1 + \\frac{1}{\\mathrm{e}}$", "$1 - \\frac{1}{\\mathrm{e}}$"):
        (0, "1 + 1/e and 1 - 1/e differ (by 2/e); upstream's label 1 records math-verify reading \\mathrm{e} "
            "as a symbol"),
    ("0.111", "0,111"): (0, _DECIMAL_COMMA),
    ("1000,99", "1000.99"): (0, _DECIMAL_COMMA),
    ("1.22", "1,22"): (0, _DECIMAL_COMMA),
    ("Soucis : 2,74 $ a..", "2.74"): (0, _DECIMAL_COMMA),
    ("10, 4, -2", "4, 10, -2"): (1, _UNORDERED),
    ("0.1, 4, 2", "4, .1, 2"): (1, _UNORDERED),
}


def git_text(git_dir: str, path: str) -> str:
    return subprocess.run(["git", "-C", git_dir, "show", f"HEAD:{path}"], check=True, capture_output=True,
                          text=True).stdout


def git_commit(git_dir: str) -> str:
    return subprocess.run(["git", "-C", git_dir, "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()


def math_verify_cases(git_dir: str) -> list[dict]:
    commit, cases = git_commit(git_dir), []
    for name in MATH_VERIFY_TESTS:
        path = f"tests/{name}"
        for function in ast.parse(git_text(git_dir, path)).body:
            if isinstance(function, ast.FunctionDef):
                cases += _parametrized_cases(function, {"repo": "huggingface/Math-Verify", "path": path,
                                                        "commit": commit, "test": function.name})
    return cases


def _parametrized_cases(function: ast.FunctionDef, source: dict) -> list[dict]:
    call = _comparison_call(function)
    if call is None:
        return []
    cases = []
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("parametrize"):
            names = [n.strip() for n in ast.literal_eval(decorator.args[0]).split(",")]
            for row in decorator.args[1].elts:
                values = dict(zip(names, eval(compile(ast.Expression(row), "<row>", "eval"), {"math": math})))
                cases.append(_math_verify_case(values, call, source))
    return cases


def _comparison_call(function: ast.FunctionDef) -> ast.Call | None:
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("compare_strings", "verify"):
            return node
    return None


def _math_verify_case(values: dict, call: ast.Call, source: dict) -> dict:
    options = dict(VERIFY_DEFAULTS)
    if ast.unparse(call.func) == "compare_strings":  # the upstream helper: boxed_match_priority=0
        options.update(targets=["latex", "expr"], boxed_match_priority=0)
        for keyword in call.keywords:
            value = _argument(keyword.value, values)
            key = {"precision": "float_rounding", "match_types": "targets"}.get(keyword.arg, keyword.arg)
            options[key] = value
    else:  # verify(parse(gold), parse(pred)): math-verify's defaults
        options.update(targets=["latex", "expr"], boxed_match_priority=None)
    expected = int(values.get("expected", values.get("result")))
    return _case("math-verify", source, values["pred"], values["gold"], expected, "completion", options)


def _argument(node: ast.expr, values: dict):
    if isinstance(node, ast.Name):
        return values[node.id]
    return ast.literal_eval(node)


def is_equiv_cases(git_dir: str, repo: str, path: str, suite: str) -> list[dict]:
    commit, cases = git_commit(git_dir), []
    for cls in ast.parse(git_text(git_dir, path)).body:
        for function in getattr(cls, "body", []):
            if isinstance(function, ast.FunctionDef):
                source = {"repo": repo, "path": path, "commit": commit, "test": f"{cls.name}.{function.name}"}
                cases += _assertion_cases(function.body, {}, source, suite)
    return cases


def _assertion_cases(statements: list[ast.stmt], names: dict, source: dict, suite: str) -> list[dict]:
    cases = []
    for statement in statements:
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            try:
                names[statement.targets[0].id] = ast.literal_eval(statement.value)
            except ValueError:
                pass
        elif isinstance(statement, ast.For):
            for pair in names.get(ast.unparse(statement.iter), []):
                inner = dict(names, test_in=pair[0], test_out=pair[1])
                cases += _assertion_cases(statement.body, inner, source, suite)
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            method = ast.unparse(statement.value.func)
            if method in ("self.assertTrue", "self.assertFalse") and "test_in" in names:
                expected = int(method == "self.assertTrue")
                cases.append(_case(suite, source, names["test_in"], names["test_out"], expected, "answer", None))
    return cases


def _case(suite: str, source: dict, prediction: str, gold: str, expected: int, form: str,
          math_verify: dict | None) -> dict:
    case = {"suite": suite, "source": source, "prediction": prediction, "gold": gold, "expected": expected,
            "form": form}
    if math_verify is not None:
        case["math_verify"] = math_verify
    fix = LABEL_FIXES.get((prediction, gold))
    if fix is not None and fix[0] != expected:
        case["label_wrong"] = {"right": fix[0], "why": fix[1]}
    return case


def main() -> None:
    math_verify_git, hendrycks_git, mario_git = sys.argv[1:4]
    cases = math_verify_cases(math_verify_git)
    cases += is_equiv_cases(hendrycks_git, "hendrycks/math", "modeling/math_equivalence_test.py", "hendrycks-math")
    cases += is_equiv_cases(mario_git, "MARIO-Math-Reasoning/MARIO_EVAL", "math_evaluation/tests/test_is_equiv.py",
                            "mario-eval")
    OUT.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases -> {OUT}")


if __name__ == "__main__":
    main()
