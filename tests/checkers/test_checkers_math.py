"""math_equal / score_math: equivalence rules, the paper mode, gold answers of ../shared/data, time bounds."""

import json
import multiprocessing
import re
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import pytest

from gainrl.checkers import math_equal, score_math
from gainrl.checkers.extraction import DEFAULT_FALLBACK
from gainrl.checkers.normalize import normalize_answer, parse_number
from gainrl.checkers.paper_rules import paper_equal, paper_normalize

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

EQUIVALENT = [
    ("1,000", "1000"), ("2.50", "2.5"), ("142.0", "142"), ("1.5e3", "1500"), ("1.5 \\times 10^{3}", "1500"),
    ("\\frac{1}{2}", "1/2"), ("\\dfrac12", "0.5"), ("\\tfrac{3}{4}", "0.75"), ("2\\sqrt{2}", "\\sqrt{8}"),
    ("\\pi/2", "\\frac{\\pi}{2}"), ("(1,2)", "(1, 2)"), ("[1,2)", "[1, 2)"), ("\\{1,2\\}", "\\{2,1\\}"),
    ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}"),
    ("x=5", "5"), ("5", "x = 5"), ("x^2+2x+1", "(x+1)^2"), ("5\\text{ cm}", "5"), ("12 inches", "12"),
    ("90^\\circ", "90"), ("90^{\\circ}", "90"), ("50\\%", "50"), ("\\$5", "5"), ("\\$1,000", "1000"),
    ("\\text{Monday}", "Monday"), ("\\textbf{east}", "East"), ("0.333333", "\\frac{1}{3}"),
    ("x \\in [2, 5)", "[2,5)"), ("-\\frac{35}{9}", "-35/9"), ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\pi/2)"),
    ("$\\frac{3}{2}$", "1.5"), ("\\(7\\)", "7"), ("1{,}234", "1234"),
]
NOT_EQUIVALENT = [
    ("(1,2)", "(2,1)"), ("[1,2)", "(1,2]"), ("3", "4"), ("1000001", "1000000"), ("5x", "5"),
    ("\\text{Mondya}", "Monday"), ("\\frac{1}{3}", "0.3"), ("2\\sqrt{3}", "\\sqrt{8}"), ("x^2+1", "(x+1)^2"),
    ("1.001", "1.002"), ("\\{1,2\\}", "\\{1,3\\}"), ("", "5"), (None, "5"), ("5", None),
]


@pytest.mark.parametrize("prediction, reference", EQUIVALENT)
def test_equivalent_pairs(prediction, reference):
    assert math_equal(prediction, reference)


@pytest.mark.parametrize("prediction, reference", NOT_EQUIVALENT)
def test_non_equivalent_pairs(prediction, reference):
    assert not math_equal(prediction, reference)


def test_numbers_use_exact_integers_and_a_relative_tolerance():
    assert parse_number("1e400") is not None and math_equal("1e400", "10^{400}")
    assert not math_equal("12345678901234567890", "12345678901234567891")
    assert math_equal("3.1415926", "3.14159265")


def test_score_math():
    assert score_math("We find \\boxed{\\frac{1}{2}}.", "0.5") == 1.0
    assert score_math("We find \\boxed{3}.", "4") == 0.0
    assert score_math("no final answer", "4") == 0.0


def test_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match="mode"):
        math_equal("1", "1", mode="fuzzy")


def test_paper_mode_reproduces_the_reference_rules():
    assert paper_equal("142", "142.0")  # numeric within 1e-5
    assert paper_equal("\\dfrac12", "\\frac{1}{2}") and paper_equal("0.5", "\\frac12") and paper_equal("1/2", "0.5")
    assert paper_equal("k = \\frac{3}{4}", "\\frac34")
    assert paper_equal("\\left( 1, 2 \\right)", "(1,2)")
    assert not paper_equal("5 \\text{ cm}", "5")  # no unit stripping
    assert not paper_equal("2\\sqrt2", "\\sqrt{8}")  # no symbolic equivalence
    assert not paper_equal("x^2+2x+1", "(x+1)^2")
    assert paper_normalize("90^\\circ") == "90"
    assert math_equal("5 \\text{ cm}", "5") and not math_equal("5 \\text{ cm}", "5", mode="paper")


def _suite_golds():
    from gainrl.eval.suite import SOURCES, rows_from_records
    from gainrl.files import read_json_records

    for config, source in SOURCES.items():
        for row in rows_from_records(config, read_json_records(SHARED_DATA / source.local_file), source.to_row):
            yield config, row["answer"]


INTEGER, DECIMAL = re.compile(r"^-?\d+$"), re.compile(r"^-?\d+\.\d+$")
FRACTION = re.compile(r"^(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$")


def renderings(gold: str) -> list[str]:
    """The same answer as a model might write it."""
    forms = [f"\\boxed{{{gold}}}", f"${gold}$", f"\\displaystyle {gold}", f"\\left. {gold} \\right."]
    forms += [] if "=" in gold else [f"x = {gold}"]
    if INTEGER.match(gold):
        value = int(gold)
        forms += [f"{value}.0", f"{value} \\text{{ cm}}", f"{value}^\\circ", f"\\${value}", f"{value:,}"]
    elif DECIMAL.match(gold):
        forms += [gold + "0", f"{gold} \\text{{ m}}"]
    fraction = FRACTION.match(gold)
    if fraction:
        sign, numerator, denominator = fraction.groups()
        value = Fraction(int(numerator), int(denominator)) * (-1 if sign else 1)
        forms += [f"{sign}{numerator}/{denominator}", f"{sign}\\dfrac{{{numerator}}}{{{denominator}}}",
                  f"{float(value):.10f}"]
    return forms


def wrong_renderings(gold: str) -> list[str]:
    if INTEGER.match(gold):
        return [str(int(gold) + 1)]
    if DECIMAL.match(gold):
        return [f"{float(gold) + 1}"]
    fraction = FRACTION.match(gold)
    return [f"{fraction[1]}\\frac{{{int(fraction[2]) + 1}}}{{{fraction[3]}}}"] if fraction else []


def test_every_gold_answer_equals_its_renderings_and_not_its_neighbours():
    golds = list(_suite_golds())
    assert len(golds) == 1319 + 500 + 83 + 30 + 272 + 675
    failures = []
    for config, gold in golds:
        failures += [(config, gold, form) for form in renderings(gold)
                     if not score_math(f"Reasoning. \\boxed{{{form}}}", gold) and not math_equal(form, gold)]
        failures += [(config, gold, form, "wrongly equal") for form in wrong_renderings(gold) if math_equal(form, gold)]
    assert failures == []


def test_boxed_gold_scores_one_in_both_modes():
    for config, gold in _suite_golds():
        completion = f"Thus the answer is \\boxed{{{gold}}}."
        assert score_math(completion, gold) == 1.0, (config, gold)
        assert score_math(completion, gold, mode="paper") == 1.0, (config, gold)


ADVERSARIAL = [
    "10^{10^{10^{10}}}", "9^{9^{9^{9^{9}}}}", "{" * 3000 + "1" + "}" * 3000, "\\frac{" * 2000, "x" * 1_000_000,
    "1" * 1_000_000, "(" * 5000, "\\sqrt{" * 1000 + "2" + "}" * 1000,
    "\\begin{pmatrix}" + "1&" * 5000 + "1\\end{pmatrix}",
]


@pytest.mark.parametrize("answer", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_inputs_return_within_the_time_bound(answer):
    started = time.monotonic()
    assert math_equal(answer, "1", timeout=2.0) in (True, False)
    assert score_math(f"\\boxed{{{answer}}}", "2", timeout=2.0) in (0.0, 1.0)
    elapsed = time.monotonic() - started
    assert elapsed < 2 * (2.0 + 5.0), elapsed  # two calls, each its timeout plus a worker restart at most


def _check_in_thread(results: dict, key: int) -> None:
    results[key] = (math_equal("10^{10^{10^{10}}}", "1", timeout=1.0), math_equal("\\frac{2}{4}", "0.5"))


def test_bounded_and_correct_from_other_threads():
    results: dict = {}
    threads = [threading.Thread(target=_check_in_thread, args=(results, key)) for key in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert results == {key: (False, True) for key in range(4)}


def _check_in_worker(pair):
    return math_equal(*pair, timeout=1.0)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_bounded_and_correct_from_worker_processes(method):
    pairs = [("10^{10^{10^{10}}}", "1"), ("\\frac{2}{4}", "0.5"), ("x^2-1", "(x-1)(x+1)"), ("3", "4")]
    with multiprocessing.get_context(method).Pool(2) as pool:  # daemonic workers: they may not use multiprocessing
        assert pool.map(_check_in_worker, pairs) == [False, True, True, False]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(method)) as executor:
        assert list(executor.map(_check_in_worker, pairs)) == [False, True, True, False]


def test_many_threads_share_the_worker_pool():
    pairs = [(f"\\frac{{{n}}}{{{2 * n}}}", "1/2") for n in range(1, 41)] + [("\\sqrt{2}", "2^{1/2}")] * 10
    with ThreadPoolExecutor(8) as executor:
        assert all(executor.map(lambda pair: math_equal(*pair), pairs))


def test_normalize_answer_is_idempotent_on_gold_answers():
    for _, gold in _suite_golds():
        once = normalize_answer(gold)
        assert normalize_answer(once) == once, gold


def test_shared_data_is_present():
    assert json.loads((SHARED_DATA / "aime_eval.json").read_text())[0]["answer"]


@pytest.mark.parametrize("completion, reference", [
    ("So the values are \\boxed{1},\\boxed{2},\\boxed{3}.", "\\{1,2,3\\}"),
    ("\\boxed{(2, 2)} \\quad \\text{and} \\quad \\boxed{(6, 2)}", "(2, 2), (6, 2)"),
    ("Hence $\\boxed{k = 45}$ and $\\boxed{n = 2}$.", "k = 45, n = 2"),
    ("First \\boxed{200}, then \\boxed{255}. Summing, the final answer is $10,455$.", "10455"),
    ("Final Answer: The final answer is \\((-6, 10)\\). I hope it is correct.", "(-6, 10)"),
    ("Final Answer: The final answer is $\\text{Evelyn}$. I hope it is correct.", "\\text{Evelyn}"),
    ("The final answer is $17$.\n" + "Let me double check. " * 40, "17"),
    ("Counting digits gives \\boxed{32,\\! 349}.", "32349"),
])
def test_public_suite_findings_score_one(completion, reference):
    assert score_math(completion, reference) == 1.0


def test_a_multi_part_answer_is_not_a_single_part():
    assert score_math("\\boxed{1},\\boxed{2},\\boxed{3}", "\\{1,2,4\\}") == 0.0
    assert score_math("\\boxed{1},\\boxed{2}", "2") == 0.0


def test_a_leading_zero_group_is_no_thousands_separator():  # MATH writes lists as `0,1`; no grouping begins with 0
    assert not math_equal("0,111", "111")
    assert math_equal("11,\\! 111,\\! 111,\\! 100", "11111111100")


def test_float_rounding_option():
    assert not math_equal("3.14", "3.14159")
    assert math_equal("3.14", "3.14159", float_rounding=2)
    assert math_equal("\\frac{1}{3}", "0.333", float_rounding=3) and not math_equal("\\frac{1}{3}", "0.333")
    assert score_math("\\boxed{0.33}", "\\frac{1}{3}", float_rounding=2) == 1.0


def test_strict_option():
    assert not math_equal("f(y)", "f(x)")
    assert math_equal("f(y)", "f(x)", strict=False)


def test_set_relation_option():
    assert not math_equal("-2 \\leq x \\leq 7", "x \\in [-2, 7]")
    assert math_equal("-2 \\leq x \\leq 7", "x \\in [-2, 7]", allow_set_relation_comp=True)


def test_fallback_option():
    assert score_math("We get $x = 4$ in the end", "4") == float(DEFAULT_FALLBACK)
    assert score_math("We get $x = 4$ in the end", "4", fallback=True) == 1.0
    assert score_math("We get $x = 4$ in the end", "4", fallback=False) == 0.0


def test_a_wrong_power_of_a_unit_is_wrong():
    assert not math_equal("5 \\text{ cm}^3", "5 \\text{ cm}^2")
    assert math_equal("5 \\text{ cm}^{2}", "5\\text{ cm}^2") and math_equal("5 \\text{ cm}^2", "5")


def test_tiny_numbers_are_compared_relatively():  # math-verify rounds to 6 decimal places: 7e-11 would equal -7e-11
    assert not math_equal("7.25 \\times 10^{-10}", "7.25 \\times 10^{-11}")
    assert not math_equal("-\\left(7.25 \\times 10^{-11}\\right)", "7.25 \\times 10^{-11}")
    assert math_equal("\\frac{29}{4} \\times 10^{-11}", "7.25 \\times 10^{-11}")


def test_where_gainrl_was_already_stronger_it_stays_so():  # math-verify accepts the first pair (`\mathrm{e}`)
    assert not math_equal("1 + \\frac{1}{\\mathrm{e}}", "1 - \\frac{1}{\\mathrm{e}}")
    assert math_equal("1 - \\frac{1}{e}", "1 - \\frac{1}{\\mathrm{e}}")
    assert math_equal("12 inches", "12") and math_equal("1.5e3", "\\frac{3000}{2}")


def test_a_marked_value_in_a_sentence_is_its_number():
    assert score_math("Final Answer: The largest $n$ is 34.", "34") == 1.0
    assert score_math("The final answer is 2 \\sqrt{5} \\text{ square units}.", "2\\sqrt{5}") == 1.0
