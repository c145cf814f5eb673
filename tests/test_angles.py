"""Tests for gainrl.angles: the O(L*H) segment-sum formulas against explicit pairwise cosines.

Run: python -m pytest tests/test_angles.py -v
"""

import math

import pytest
import torch

from gainrl.angles import PROMPT_SEGMENT, QUESTION_SEGMENT, angle_score, concentration, segment_sums


def brute_force(hidden: torch.Tensor, prompt_rows: list[int], question_rows: list[int]):
    """Mean cosines from an explicit L x L matrix, pair by pair."""
    unit = torch.nn.functional.normalize(hidden.double(), dim=-1)
    cos = unit @ unit.T
    intra = [cos[i, j].item() for i in question_rows for j in question_rows if i != j]
    inter = [cos[i, j].item() for i in question_rows for j in prompt_rows]
    return sum(intra) / len(intra), (sum(inter) / len(inter) if inter else None)


@pytest.mark.parametrize("seed", range(5))
def test_segment_sums_match_pairwise_cosines(seed):
    generator = torch.Generator().manual_seed(seed)
    hidden = torch.randn(1, 40, 16, generator=generator) + 0.5
    segments = torch.zeros(1, 40, dtype=torch.int8)
    segments[0, :12], segments[0, 15:33] = PROMPT_SEGMENT, QUESTION_SEGMENT
    s_prompt, s_question = segment_sums(hidden, segments)
    c_intra, c_inter = concentration(s_question[0], 18, s_prompt[0], 12)
    expected_intra, expected_inter = brute_force(hidden[0], list(range(12)), list(range(15, 33)))
    assert c_intra == pytest.approx(expected_intra, abs=1e-6)
    assert c_inter == pytest.approx(expected_inter, abs=1e-6)


def test_nan_in_rows_outside_the_segments_does_not_leak():
    hidden = torch.randn(2, 10, 8)
    hidden[0, 7:] = float("nan")
    segments = torch.zeros(2, 10, dtype=torch.int8)
    segments[:, :3], segments[:, 3:7] = PROMPT_SEGMENT, QUESTION_SEGMENT
    s_prompt, s_question = segment_sums(hidden, segments)
    assert torch.isfinite(s_prompt).all() and torch.isfinite(s_question).all()


def test_empty_prompt_segment_gives_no_inter_term():
    hidden = torch.randn(1, 6, 8)
    segments = torch.full((1, 6), QUESTION_SEGMENT, dtype=torch.int8)
    s_prompt, s_question = segment_sums(hidden, segments)
    c_intra, c_inter = concentration(s_question[0], 6, s_prompt[0], 0)
    assert c_inter is None and angle_score(c_intra, c_inter, 5.0) == c_intra


def test_identical_tokens_have_concentration_one_and_opposite_tokens_minus_one():
    hidden = torch.tensor([[[1.0, 0.0], [2.0, 0.0], [-3.0, 0.0]]])
    segments = torch.tensor([[PROMPT_SEGMENT, QUESTION_SEGMENT, QUESTION_SEGMENT]], dtype=torch.int8)
    s_prompt, s_question = segment_sums(hidden, segments)
    c_intra, c_inter = concentration(s_question[0], 2, s_prompt[0], 1)
    assert c_intra == pytest.approx(-1.0) and c_inter == pytest.approx(0.0)
    assert angle_score(c_intra, c_inter, 2.0) == pytest.approx(-1.0)


def test_fewer_than_two_question_tokens_is_an_error():
    with pytest.raises(ValueError, match="2 question tokens"):
        concentration(torch.ones(4), 1, torch.ones(4), 3)


def test_non_finite_score_is_an_error():
    with pytest.raises(FloatingPointError):
        angle_score(math.nan, 0.1)


def test_sequence_concentration_is_the_mean_pairwise_cosine_over_valid_tokens():
    from gainrl.angles import sequence_concentration

    generator = torch.Generator().manual_seed(4)
    hidden = torch.randn(3, 9, 16, generator=generator) + 0.7
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[0, :3] = 0  # left padding
    mask[1, 6:] = 0  # right padding
    mask[2, :8] = 0  # one token: no pairs
    hidden[0, 0] = float("nan")  # a padded row must not leak
    values = sequence_concentration(hidden, mask)
    for row in range(2):
        tokens = torch.nn.functional.normalize(hidden[row][mask[row].bool()].double(), dim=-1)
        cosines = tokens @ tokens.T
        count = tokens.shape[0]
        expected = (cosines.sum() - cosines.diagonal().sum()) / (count * (count - 1))
        assert values[row].item() == pytest.approx(expected.item(), abs=1e-5)
    assert values[2].item() == 0.0
