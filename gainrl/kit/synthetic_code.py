"""Synthetic Python programming problems of graded difficulty, with tests in all three forms of
`gainrl.checkers.code_tests`, seeded and reproducible: the offline code testbed.

A record has `id`, `problem` (the task), `tests` (a JSON string), `test_format` ("call", "stdin" or "assert",
cycled so every form is covered), `solution` (a reference program that passes its tests) and `difficulty`
(1.0 = easiest ... 3.0). Function problems (call and assert tests) ask for a named function; stdin problems ask for a
program that reads the input and prints the result.

    1: one arithmetic expression of an integer        2: string functions (counting, repeating, reversing words)
    3: list functions (filtered sums, running maxima, longest increasing run)

What it does not cover: problems that need more than a few lines, floats, and any claim that the level orders
difficulty for a particular model.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Callable

from gainrl.prompts import CODE_SYSTEM_PROMPT, PromptSettings

FORMATS = ("call", "stdin", "assert")
CASES_PER_PROBLEM = 4
NAMES = ("solve", "transform", "compute", "answer")


@dataclass(frozen=True)
class Family:
    """A kind of problem: its level, the task text, the argument kinds and a reference implementation maker."""

    level: int
    task: str  # formatted with the drawn parameters
    arguments: tuple[str, ...]  # "int", "str" or "list", one per parameter
    parameters: Callable[[random.Random], dict]
    implementation: Callable[[dict], Callable]
    source: str  # the reference body, formatted with the parameters; uses the argument names x, s, xs


FAMILIES = (
    Family(1, "returns {a} * x + {b}", ("int",), lambda r: {"a": r.randint(2, 9), "b": r.randint(-9, 9)},
           lambda p: lambda x: p["a"] * x + p["b"], "return {a} * x + {b}"),
    Family(1, "returns x clamped to the range [{lo}, {hi}]", ("int",),
           lambda r: {"lo": r.randint(-20, 0), "hi": r.randint(1, 20)},
           lambda p: lambda x: min(max(x, p["lo"]), p["hi"]), "return min(max(x, {lo}), {hi})"),
    Family(2, "returns how many times the letter '{c}' occurs in the string s", ("str",),
           lambda r: {"c": r.choice("aeiou")}, lambda p: lambda s: s.count(p["c"]), "return s.count('{c}')"),
    Family(2, "returns the words of the string s (separated by single spaces) in reverse order, joined by '{sep}'",
           ("str",), lambda r: {"sep": r.choice("-+/")},
           lambda p: lambda s: p["sep"].join(reversed(s.split(" "))), "return '{sep}'.join(reversed(s.split(' ')))"),
    Family(3, "returns the sum of the elements of the list xs that are divisible by {k}", ("list",),
           lambda r: {"k": r.randint(2, 5)}, lambda p: lambda xs: sum(v for v in xs if v % p["k"] == 0),
           "return sum(v for v in xs if v % {k} == 0)"),
    Family(3, "returns the length of the longest strictly increasing run of adjacent elements of the list xs "
              "(0 for an empty list)", ("list",), lambda r: {},
           lambda p: _longest_run, "run = best = 0\n    previous = None\n    for v in xs:\n"
                                   "        run = run + 1 if previous is not None and v > previous else 1\n"
                                   "        best, previous = max(best, run), v\n    return best"),
)
_ARGUMENT_NAMES = {"int": "x", "str": "s", "list": "xs"}
_WORDS = ("red", "fox", "sky", "sea", "oak", "bee", "ant", "cat")


def _longest_run(xs: list) -> int:
    run = best = 0
    previous = None
    for value in xs:
        run = run + 1 if previous is not None and value > previous else 1
        best, previous = max(best, run), value
    return best


def _draw_argument(rng: random.Random, kind: str):
    if kind == "int":
        return rng.randint(-50, 50)
    if kind == "str":
        return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 5)))
    return [rng.randint(-9, 30) for _ in range(rng.randint(0, 7))]


def _stdin_line(value) -> str:
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def _stdin_reader(kind: str) -> str:
    return {"int": "x = int(input())", "str": "s = input()",
            "list": "xs = [int(v) for v in input().split()]"}[kind]


def make_problem(rng: random.Random, family: Family, test_format: str, index: int) -> dict:
    parameters = family.parameters(rng)
    function = family.implementation(parameters)
    names = [_ARGUMENT_NAMES[kind] for kind in family.arguments]
    task = family.task.format(**parameters)
    body = family.source.format(**parameters)
    arguments = [[_draw_argument(rng, kind) for kind in family.arguments] for _ in range(CASES_PER_PROBLEM)]
    outputs = [function(*args) for args in arguments]
    fn_name = NAMES[index % len(NAMES)]
    definition = f"def {fn_name}({', '.join(names)}):\n    {body}\n"
    if test_format == "stdin":
        readers = "\n".join(_stdin_reader(kind) for kind in family.arguments)
        problem = (f"Write a Python program that reads {', '.join(names)} from standard input "
                   f"({_input_description(family.arguments)}) and prints the value that {task}.")
        tests = [{"input": "\n".join(_stdin_line(a) for a in args) + "\n", "output": _stdin_line(out) + "\n"}
                 for args, out in zip(arguments, outputs)]
        solution = f"{definition}{readers}\nprint({fn_name}({', '.join(names)}))\n"
    else:
        problem = f"Write a Python function `{fn_name}({', '.join(names)})` that {task}."
        tests = ({"fn_name": fn_name, "inputs": arguments, "outputs": outputs} if test_format == "call" else
                 "".join(f"assert {fn_name}({', '.join(map(repr, args))}) == {out!r}\n"
                         for args, out in zip(arguments, outputs)))
        solution = definition
    return {"problem": problem, "tests": json.dumps(tests) if test_format != "assert" else tests,
            "test_format": test_format, "solution": solution, "difficulty": float(family.level)}


def _input_description(kinds: tuple[str, ...]) -> str:
    return "; ".join({"int": "an integer on one line", "str": "a line of text",
                      "list": "integers separated by spaces on one line"}[kind] for kind in kinds)


def generate_code_problems(count: int, seed: int = 0, levels: tuple[int, ...] = (1, 2, 3)) -> list[dict]:
    """`count` problems, levels and test forms cycled so each gets a near-equal share; ids `code-<seed>-<n>`."""
    families = [family for family in FAMILIES if family.level in levels]
    if not families:
        raise ValueError(f"no problem family at levels {levels}; choose from {sorted({f.level for f in FAMILIES})}")
    rng, records = random.Random(seed), []
    by_level = {level: [f for f in families if f.level == level] for level in sorted({f.level for f in families})}
    order = list(by_level)
    for index in range(count):
        family = rng.choice(by_level[order[index % len(order)]])
        record = make_problem(rng, family, FORMATS[index % len(FORMATS)], index)
        records.append({"id": f"code-{seed}-{index}", **record})
    return records


def prompt_settings() -> PromptSettings:
    """The code prompt: `CODE_SYSTEM_PROMPT` and no few-shot (`--system-prompt` with `--few-shot none`)."""
    return PromptSettings(system_prompt=CODE_SYSTEM_PROMPT, few_shot=())
