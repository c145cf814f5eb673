"""Tests for gainrl.score.reference: the reference metric, transcribed from its documented row-slicing semantics.

Run: python -m pytest tests/score/test_reference.py -v
"""

import math

import pytest
import torch

from gainrl.score.reference import reference_value


def documented_reference(x: torch.Tensor) -> float:
    """method.md A.2, term by term: term1 over rows 220..L-13, term2 over rows 110..min(219, L-7), each summing
    C_ij for j <= i+1 and dividing by |rows| * L."""
    unit = torch.nn.functional.normalize(x.double(), dim=1)
    cos, length = unit @ unit.T, x.shape[0]

    def term(rows):
        if not rows:
            return math.nan
        total = sum(cos[i, : min(i + 2, length)].sum().item() for i in rows)
        return total / (len(rows) * length)

    return term(list(range(220, length - 12))) + 8 * term(list(range(110, min(220, length - 6))))


@pytest.mark.parametrize("length", [120, 232, 233, 260, 400])
def test_matches_the_documented_computation(length):
    x = torch.randn(length, 16, generator=torch.Generator().manual_seed(length)) + 0.3
    expected, value = documented_reference(x), reference_value(x)
    if math.isnan(expected):
        assert math.isnan(value)
    else:
        assert value == pytest.approx(expected, abs=1e-5)


def test_nan_exactly_when_the_prompt_has_at_most_232_tokens():
    assert math.isnan(reference_value(torch.randn(232, 8)))
    assert not math.isnan(reference_value(torch.randn(233, 8)))
