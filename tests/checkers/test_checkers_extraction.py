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


def test_a_marker_far_from_the_end_is_found():  # it was only looked for in the last 400 characters
    assert extract_answer("The answer is 5. " + "more reasoning " * 100, fallback=False) == "5"
    assert extract_answer("Final Answer: $7$\n" + "x" * 5000) == "7"


@pytest.mark.parametrize("text, expected", [
    ("\\boxed{1},\\boxed{2},\\boxed{3}", "1, 2, 3"),
    ("\\boxed{(2, 2)} \\quad \\text{and} \\quad \\boxed{(6, 2)}", "(2, 2), (6, 2)"),
    ("so $\\boxed{k = 45}$ and $\\boxed{n = 2}$.", "k = 45, n = 2"),
    ("\\boxed{5} \\boxed{5}", "5"),
    ("\\boxed{1}. Then we check something else: \\boxed{2}", "2"),  # prose between boxes: separate answers
])
def test_consecutive_boxes_form_one_multi_part_answer(text, expected):
    assert extract_answer(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("\\boxed{200} so far, then \\boxed{255}. Adding both parts, the final answer is $10,455$.", "10,455"),
    ("Final Answer: The final answer is \\((-6, 10)\\). I hope it is correct.", "(-6, 10)"),
    ("Final Answer: The final answer is $\\text{Evelyn}$. I hope it is correct.", "\\text{Evelyn}"),
    ("Final Answer: The final answer is 8. I hope it is correct.", "8"),
    ("The final answer is $$x^2$$ and that is all", "x^2"),
    ("The answer is $3$ because ... The final answer is \\boxed{4}", "4"),
    ("**Final Answer:** 42", "42"),
])
def test_the_last_answer_by_position_wins(text, expected):
    assert extract_answer(text) == expected


def test_a_marker_followed_by_prose_is_no_answer():
    text = "\\boxed{5}. To check, the answer is consistent with the earlier bound we derived."
    assert extract_answer(text) == "5"


@pytest.mark.parametrize("text, expected", [
    ("We get $x = 4$ in the end", "x = 4"),
    ("\\frac{10}{9}", "\\frac{10}{9}"),
    ("so the number is 10 which is 1,000.99", "1,000.99"),
    ("no number at all here, just words", None),
])
def test_prose_fallback(text, expected):
    assert extract_answer(text, fallback=True) == expected
    assert extract_answer(text, fallback=False) is None


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


def test_many_boxes_markers_and_open_delimiters():
    assert extract_answer("\\boxed{1}, " * 100_000) == "1"
    assert extract_answer("Final Answer: " * 100_000 + "5") == "5"
    assert extract_answer("\\( " * 300_000) is None
