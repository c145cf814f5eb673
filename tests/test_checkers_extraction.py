"""extract_answer / extract_boxed: which part of a completion is the final answer."""

import pytest

from gainrl.checkers import extract_answer
from gainrl.checkers.extraction import extract_boxed


@pytest.mark.parametrize("text, expected", [
    ("so x = \\boxed{5}.", "5"),
    ("first \\boxed{1}, then \\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
    ("nested \\boxed{\\{1, \\{2\\}\\}} done", "\\{1, \\{2\\}\\}"),
    ("\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}"),
    ("answer: \\fbox{42}", "42"),
    ("$\\boxed 7$ is it", "7"),
    ("steps...\n#### 1,000\n", "1,000"),
    ("#### 3\nlater\n#### 4", "4"),
    ("So the final answer is $12$.", "12"),
    ("The answer is: 7", "7"),
    ("\\boxed{3} and then #### 4", "3"),  # a box wins over a #### line
])
def test_final_answer(text, expected):
    assert extract_answer(text) == expected


@pytest.mark.parametrize("text", [None, "", "no answer here", "\\boxed{12", "\\boxed{}", "#### \n"])
def test_no_answer_is_none(text):
    assert extract_answer(text) is None


def test_answer_is_only_counts_near_the_end():
    assert extract_answer("The answer is 5. " + "more reasoning " * 100) is None


def test_extract_boxed_ignores_other_markers():
    assert extract_boxed("#### 5") is None
    assert extract_boxed("The answer is 5") is None
    assert extract_boxed("\\boxed{ 5 }") == "5"


def test_deep_nesting_and_megabyte_inputs():
    depth = 5000
    assert extract_answer("\\boxed{" + "{" * depth + "x" + "}" * depth + "}") == "{" * depth + "x" + "}" * depth
    assert extract_answer("a" * 1_000_000 + "\\boxed{3}") == "3"
    assert extract_answer("\\boxed" + "{" * 1_000_000) is None
    assert extract_answer("}" * 1_000_000) is None
