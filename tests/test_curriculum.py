"""The framework-free curriculum: Gaussian draws, the centre update, clamps, determinism and the state file."""

import json

import numpy as np
import pytest

from gainrl.curriculum import (
    STATE_FILE,
    CurriculumSampler,
    CurriculumSettings,
    center_shift,
    draw_ranks,
    log_weights,
)


def test_single_draws_follow_the_truncated_gaussian():
    rows, center, std, draws = 40, 12.0, 6.0, 40_000
    generator = np.random.default_rng(0)
    counts = np.bincount([draw_ranks(generator, rows, 1, center, std)[0] for _ in range(draws)], minlength=rows)
    weights = np.exp(log_weights(rows, center, std))
    expected = draws * weights / weights.sum()
    sigma = np.sqrt(expected * (1 - weights / weights.sum()))
    assert np.all(np.abs(counts - expected) <= 4 * sigma + 1)
    chi_square = ((counts - expected) ** 2 / np.maximum(expected, 1e-9))[expected > 5].sum()
    assert chi_square < 2 * (expected > 5).sum()  # about its degrees of freedom, far from a mismatch


def test_draws_are_distinct_and_concentrate_around_the_center():
    ranks = draw_ranks(np.random.default_rng(1), 7473, 256, 3000.0, 1000.0)
    assert len(set(ranks)) == 256 and all(0 <= rank < 7473 for rank in ranks)
    assert 2500 < np.median(ranks) < 3500
    with pytest.raises(ValueError, match="cannot draw"):
        draw_ranks(np.random.default_rng(1), 10, 11, 0.0, 1.0)


def test_no_underflow_when_the_center_is_far_past_the_data():
    # The reference's np.random.choice fails once center - N exceeds ~38.5 std; log-space keys never do.
    ranks = draw_ranks(np.random.default_rng(2), 7473, 256, 1e9, 1000.0)
    assert len(set(ranks)) == 256 and min(ranks) > 7473 - 256 - 50
    ranks = draw_ranks(np.random.default_rng(2), 100, 100, -1e12, 0.5)
    assert sorted(ranks) == list(range(100))


@pytest.mark.parametrize("accuracy, angle, expected", [
    (0.0, 0.0, 0.0), (0.5, 0.1, 98.7), (0.5, 0.3, 268.6), (0.5, 0.5, 380.8), (1.0, 0.0, 380.8), (1.0, 0.5, 761.6),
])
def test_shift_matches_the_worked_table_of_the_method_notes(accuracy, angle, expected):
    assert center_shift(CurriculumSettings(), accuracy, angle) == pytest.approx(expected, abs=0.1)


def test_update_rule_and_clamps_at_both_ends():
    settings = CurriculumSettings(center_init=5, rank_std=3, center_step=50, min_shift=-200, max_shift=60)
    sampler = CurriculumSampler(rows=100, prompts_per_round=4, settings=settings, seed=0)
    sampler.draw_round()
    entry = sampler.finish_round(accuracy=1.0, angle=1.0, global_step=1)
    assert entry["center"] == 5 and entry["shift"] == 60 and entry["next_center"] == 65  # raw 96.4, clipped
    sampler.draw_round()
    assert sampler.finish_round(1.0, 1.0, 2)["next_center"] == 99  # clamped to N - 1
    sampler.draw_round()
    entry = sampler.finish_round(0.0, -1.0, 3)
    assert entry["shift"] == pytest.approx(-50 * np.tanh(1.0) - 50 * np.tanh(2.0)) and entry["next_center"] > 0
    for step in range(4, 10):
        sampler.draw_round()
        sampler.finish_round(0.0, -1.0, step)
    assert sampler.center == 0.0  # clamped at 0
    assert [entry["round"] for entry in sampler.history] == list(range(9))
    assert all(entry["center"] == previous["next_center"] for previous, entry in zip(sampler.history,
                                                                                      sampler.history[1:]))


def test_static_curriculum_keeps_its_center_and_fraction_units_scale_with_the_data():
    sampler = CurriculumSampler(1000, 8, CurriculumSettings(curriculum="static", center_init=300), seed=0)
    for step in range(3):
        sampler.draw_round()
        assert sampler.finish_round(1.0, 1.0, step)["next_center"] == 300
    fractions = CurriculumSettings(rank_units="fraction", center_init=0.1, rank_std=0.05, center_step=0.02,
                                   min_shift=0.0, max_shift=0.04)
    assert CurriculumSampler(2000, 4, fractions).settings == CurriculumSettings(
        center_init=200, rank_std=100, center_step=40, max_shift=80)


def test_same_seed_same_draws_different_seed_different_draws():
    def run(seed):
        sampler = CurriculumSampler(5000, 32, CurriculumSettings(), seed=seed)
        rounds = []
        for step in range(5):
            rounds.append(sampler.draw_round())
            sampler.finish_round(0.6, 0.2, step)
        return rounds

    assert run(7) == run(7)  # what two processes with the same seed and averaged signals draw
    assert run(7) != run(8)


def test_draw_round_is_stable_until_the_round_is_finished():
    sampler = CurriculumSampler(500, 16, CurriculumSettings(), seed=3)
    assert sampler.draw_round() == sampler.draw_round()
    with pytest.raises(RuntimeError):
        CurriculumSampler(500, 16, CurriculumSettings()).finish_round(0.5, 0.0, 0)
    with pytest.raises(ValueError, match="accuracy"):
        sampler.finish_round(2.0, 0.0, 0)  # a reward scale, not a fraction


def test_state_file_round_trip_reproduces_the_next_rounds(tmp_path):
    original = CurriculumSampler(3000, 24, CurriculumSettings(), seed=11)
    for step in range(3):
        original.draw_round()
        original.finish_round(0.7, 0.1, step)
    path = original.save(tmp_path)
    assert path.name == STATE_FILE
    state = json.loads(path.read_text())
    assert {"center", "rng_state", "history"} <= set(state) and state["center"] == original.center
    assert set(state["history"][0]) >= {"round", "global_step", "center", "ranks", "accuracy", "angle", "shift",
                                        "next_center"}
    resumed = CurriculumSampler(3000, 24, CurriculumSettings(), seed=999)
    resumed.load(tmp_path)
    for step in range(3, 6):
        assert resumed.draw_round() == original.draw_round()
        assert resumed.finish_round(0.4, 0.0, step) == original.finish_round(0.4, 0.0, step)
    with pytest.raises(ValueError, match="3000 prompts"):
        CurriculumSampler(10, 2, CurriculumSettings()).load(tmp_path)


@pytest.mark.parametrize("kwargs, message", [
    ({"curriculum": "random"}, "curriculum"), ({"rank_units": "percent"}, "rank_units"), ({"rank_std": 0}, "rank_std"),
    ({"min_shift": 5, "max_shift": 1}, "min_shift"), ({"target_accuracy": 1.5}, "target_accuracy"),
])
def test_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CurriculumSettings(**kwargs)


def test_uniform_records_the_trainers_draws_without_a_centre():
    sampler = CurriculumSampler(10, 2, CurriculumSettings(curriculum="uniform"))
    with pytest.raises(ValueError, match="observe_round"):
        sampler.draw_round()
    sampler.observe_round([7, 3])
    sampler.observe_round([1, 2])  # the round is already open: its ranks stay
    entry = sampler.finish_round(1.0, 0.5, global_step=1)
    assert entry["ranks"] == [7, 3] and entry["center"] is None and entry["shift"] is None
    assert entry["next_center"] is None and sampler.center == 0.0
    with pytest.raises(ValueError, match="uniform"):
        CurriculumSampler(10, 2, CurriculumSettings()).observe_round([1, 2])
