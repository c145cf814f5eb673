"""Synthetic arithmetic word problems of graded difficulty, with exact answers, seeded and reproducible.

Records follow the schema of the real data in `shared/data`: `problem`, `answer` (a string), `solution` (worked
steps ending in `\\boxed{answer}`) and `difficulty` (the level, 1.0 = easiest ... 5.0 = hardest, a float as in
MATH). Level by level the problems need more steps and larger numbers:

    1: one addition of single-digit numbers          4: two steps of +, - or x with numbers up to 20
    2: one addition or subtraction up to 99          5: three steps of +, - or x with numbers up to 30
    3: one multiplication up to 12 x 12

What it does not cover: language variety beyond a few templates, fractions, decimals or negative answers
(every intermediate result is a non-negative integer), and any claim that level maps to difficulty for a
particular model; it only orders the arithmetic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SYSTEM_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}."

NAMES = ("Mia", "Noah", "Ava", "Liam", "Zoe", "Omar", "Lena", "Ravi", "Ines", "Tariq", "Yuki", "Sara")
ITEMS = ("apples", "marbles", "stickers", "coins", "books", "pencils", "shells", "cards", "stamps", "beads")


@dataclass(frozen=True)
class Level:
    """How one difficulty level is built: number of steps, operand range, allowed operations."""

    steps: int
    max_operand: int
    operations: str


LEVELS = {
    1: Level(steps=1, max_operand=9, operations="+"),
    2: Level(steps=1, max_operand=99, operations="+-"),
    3: Level(steps=1, max_operand=12, operations="*"),
    4: Level(steps=2, max_operand=20, operations="+-*"),
    5: Level(steps=3, max_operand=30, operations="+-*"),
}

_SENTENCES = {
    "+": "Then {pronoun} get {b} more.",
    "-": "Then {pronoun} give {b} away.",
    "*": "Then {pronoun} ends up with {b} times as many.",
}


def _step(rng: random.Random, total: int, level: Level) -> tuple[str, int]:
    """Pick one operation and operand that keep the running total a non-negative integer."""
    operation = rng.choice(level.operations)
    if operation == "-" and total == 0:
        operation = "+"
    if operation == "*":
        operand = rng.randint(2, min(level.max_operand, 12))
    elif operation == "-":
        operand = rng.randint(1, min(total, level.max_operand))
    else:
        operand = rng.randint(1, level.max_operand)
    return operation, operand


def _apply(total: int, operation: str, operand: int) -> int:
    return {"+": total + operand, "-": total - operand, "*": total * operand}[operation]


def make_problem(rng: random.Random, difficulty: int) -> dict:
    """One record at the given level (1-5)."""
    level = LEVELS[difficulty]
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    pronoun = "they"
    total = rng.randint(2, level.max_operand)
    sentences, steps = [f"{name} has {total} {item}."], []
    for _ in range(level.steps):
        operation, operand = _step(rng, total, level)
        result = _apply(total, operation, operand)
        sentences.append(_SENTENCES[operation].format(pronoun=pronoun, b=operand))
        steps.append(f"{total} {operation.replace('*', 'x')} {operand} = {result}.")
        total = result
    sentences.append(f"How many {item} does {name} have now?")
    solution = " ".join(steps) + f" The answer is \\boxed{{{total}}}."
    return {"problem": " ".join(sentences), "answer": str(total), "solution": solution,
            "difficulty": float(difficulty)}


def generate_problems(count: int, seed: int = 0, difficulties: tuple[int, ...] = (1, 2, 3, 4, 5),
                      exclude: set[str] | None = None) -> list[dict]:
    """`count` distinct problems, levels cycled in order so every level gets a near-equal share.

    Problems whose text is in `exclude` are skipped, so a test split can be kept disjoint from training.
    """
    unknown = set(difficulties) - set(LEVELS)
    if unknown:
        raise ValueError(f"difficulties {sorted(unknown)} are not levels; choose from {sorted(LEVELS)}")
    rng, seen, records = random.Random(seed), set(exclude or ()), []
    attempts = 0
    while len(records) < count:
        attempts += 1
        if attempts > 20 * count + 1000:
            raise ValueError(f"cannot make {count} distinct problems at levels {difficulties}")
        record = make_problem(rng, difficulties[len(records) % len(difficulties)])
        if record["problem"] not in seen:
            seen.add(record["problem"])
            records.append(record)
    return records


def prompt_settings():
    """How the quickstart prompts these problems everywhere (warm start, scoring, training, `gainrl_synthetic`):
    this system message and the bare question, no few-shot (short prompts keep CPU runs fast)."""
    from gainrl.prompts import PromptSettings

    return PromptSettings(system_prompt=SYSTEM_PROMPT, few_shot=())


def train_test_records(train_size: int, test_size: int, seed: int = 0) -> dict[str, list[dict]]:
    """A training split and a disjoint held-out test split."""
    train = generate_problems(train_size, seed=seed)
    test = generate_problems(test_size, seed=seed + 1, exclude={r["problem"] for r in train})
    return {"train": train, "test": test}
