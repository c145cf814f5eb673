"""Tests for gainrl.train.checks: warnings for rounds of few prompts and curriculum widths out of scale with the
dataset, and TRL's batch-divisibility errors explained with the flags to change.

Run: python -m pytest tests/train/test_train_checks.py -v
"""

from types import SimpleNamespace

import pytest

from gainrl.train.checks import explained_batch_errors, setup_warnings
from gainrl.user_errors import UserError


def settings(**overrides):
    base = dict(generation_batch_size=64, num_generations=8, curriculum="gainrl", rank_units="fraction",
                rank_std=0.1, center_step=0.05, max_shift=0.1)
    return SimpleNamespace(**{**base, **overrides})


def test_a_recipe_scaled_to_the_data_gives_no_warning():
    assert setup_warnings(settings(), rows=200) == []
    assert setup_warnings(settings(rank_units="rows", rank_std=1000, center_step=500, max_shift=1000), 7473) == []


def test_trl_defaults_on_a_small_set_warn_twice():
    warnings = setup_warnings(settings(generation_batch_size=8, rank_units="rows", rank_std=1000.0,
                                       center_step=500.0, max_shift=1000.0), rows=200)
    assert len(warnings) == 2
    assert "only 1 prompt(s)" in warnings[0] and "num_generations 8" in warnings[0]
    assert "rank_std 1000, center_step 500, max_shift 1000" in warnings[1] and "200-row" in warnings[1]
    assert "rank_units: fraction" in warnings[1]
    assert len(setup_warnings(settings(generation_batch_size=8, curriculum="uniform", rank_units="rows",
                                       rank_std=1000.0), rows=200)) == 1  # widths do not matter to uniform


def test_divisibility_errors_name_the_flags():
    with pytest.raises(UserError, match="change per_device_train_batch_size, gradient_accumulation_steps or "
                                        "num_generations"):
        with explained_batch_errors():
            raise ValueError("generation_batch_size (6) must be divisible by num_generations (4).")
    with pytest.raises(ValueError, match="other"):
        with explained_batch_errors():
            raise ValueError("other")
