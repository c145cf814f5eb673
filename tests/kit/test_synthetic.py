"""Tests for gainrl.kit.synthetic: schema, exact answers, graded levels, reproducibility, disjoint splits.

Run: python -m pytest tests/kit/test_synthetic.py -v
"""

import json
import re
from pathlib import Path

import pytest

from gainrl.kit.synthetic import LEVELS, generate_problems, train_test_records

SHARED_MATH = Path(__file__).resolve().parents[3] / "shared" / "data" / "math_train.json"


def replay_solution(solution: str) -> int:
    """Check every step `a op b = c.` of a solution and return the boxed result."""
    steps = re.findall(r"(\d+) ([+\-x]) (\d+) = (\d+)\.", solution)
    for left, operation, right, result in steps:
        expected = {"+": int(left) + int(right), "-": int(left) - int(right), "x": int(left) * int(right)}[operation]
        assert expected == int(result), solution
    for previous, current in zip(steps, steps[1:]):
        assert previous[3] == current[0], f"steps do not chain: {solution}"
    return int(re.search(r"\\boxed\{(\d+)\}", solution).group(1))


def test_records_have_the_real_data_schema_and_exact_answers():
    for record in generate_problems(500, seed=3):
        assert set(record) == {"problem", "answer", "solution", "difficulty"}
        assert isinstance(record["answer"], str) and isinstance(record["difficulty"], float)
        assert replay_solution(record["solution"]) == int(record["answer"]) >= 0


@pytest.mark.skipif(not SHARED_MATH.exists(), reason="needs ../shared/data")
def test_schema_matches_the_shared_math_file():
    real = json.loads(SHARED_MATH.read_text())[0]
    synthetic = generate_problems(1)[0]
    for field in ("problem", "answer", "difficulty"):
        assert type(synthetic[field]) is type(real[field]), field


def test_levels_are_balanced_and_graded():
    records = generate_problems(1000, seed=0)
    counts = {level: sum(r["difficulty"] == level for r in records) for level in LEVELS}
    assert set(counts.values()) == {200}
    steps = {level: max(r["solution"].count("=") for r in records if r["difficulty"] == level) for level in LEVELS}
    assert [steps[level] for level in sorted(LEVELS)] == [LEVELS[level].steps for level in sorted(LEVELS)]


def test_same_seed_same_problems_other_seed_other_problems():
    assert generate_problems(50, seed=7) == generate_problems(50, seed=7)
    assert generate_problems(50, seed=7) != generate_problems(50, seed=8)


def test_problems_are_distinct_and_splits_disjoint():
    splits = train_test_records(800, 200, seed=0)
    train = {r["problem"] for r in splits["train"]}
    test = {r["problem"] for r in splits["test"]}
    assert len(train) == 800 and len(test) == 200 and not train & test


def test_unknown_level_is_an_error():
    with pytest.raises(ValueError, match="levels"):
        generate_problems(3, difficulties=(1, 9))


def test_impossible_count_is_an_error_not_a_hang():
    with pytest.raises(ValueError, match="distinct"):
        generate_problems(10_000, difficulties=(1,))


def test_repeats_allowed_when_asked_but_excluded_problems_never_come_back():
    held_out = {r["problem"] for r in generate_problems(50, seed=1, difficulties=(1,))}
    records = generate_problems(1000, seed=2, difficulties=(1,), exclude=held_out, distinct=False)
    assert len(records) == 1000 and len({r["problem"] for r in records}) < 1000
    assert not held_out & {r["problem"] for r in records}


def test_numbers_are_written_with_digits_and_each_digit_is_one_token():
    from gainrl.kit.tiny import TinyModelConfig, train_tokenizer

    tokenizer = train_tokenizer(TinyModelConfig(corpus_size=300))
    for record in generate_problems(20, seed=4):
        digits = [token for token in tokenizer.tokenize(record["problem"]) if any(c.isdigit() for c in token)]
        assert all(len(token.lstrip("Ġ")) == 1 for token in digits), digits
