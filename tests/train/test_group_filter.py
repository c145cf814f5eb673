"""Tests for gainrl.train.group_filter: which groups count as mixed, how open slots are filled (per process), and the
merged batch (rows in slot order, re-padded prompts on the left and completions on the right).

Run: python -m pytest tests/train/test_group_filter.py -v
"""

import math

import pytest
import torch

from gainrl.train.group_filter import RoundSlots, merge_groups, mixed_groups


def test_mixed_means_two_distinct_finite_rewards():
    rewards = torch.tensor([1.0, 1.0, 0.0, 1.0, 0.5, 0.5, math.nan, 1.0, math.nan, math.nan, 0.0, math.nan])
    assert mixed_groups(rewards, 2) == [False, True, False, False, False, False]
    assert mixed_groups(rewards, 4) == [True, True, False]


def test_open_slots_are_filled_in_order_by_the_next_mixed_groups():
    slots = RoundSlots([True, False, False, True], processes=1)
    assert slots.open_slots(0) == [1, 2] and slots.groups_needed() == 2
    slots.add_pass([False, True])
    assert slots.slots == [(0, 0), (1, 1), (0, 2), (0, 3)] and slots.kept == 3
    slots.add_pass([True])
    assert slots.slots == [(0, 0), (1, 1), (2, 0), (0, 3)] and slots.kept == 4 and slots.groups_needed() == 0
    assert slots.groups_generated == 7


def test_each_process_fills_its_own_slots_with_its_own_groups():
    slots = RoundSlots([False, False, True, True], processes=2)  # process 0 owns slots 0-1, process 1 slots 2-3
    assert slots.groups_needed() == 2
    slots.add_pass([True, False, True, True])  # process 0 generated groups 0-1, process 1 groups 2-3
    assert slots.slots == [(1, 0), (0, 1), (0, 2), (0, 3)]  # process 1's mixed surplus is not moved
    assert slots.local_plan(0) == [(1, 0), (0, 1)] and slots.local_plan(1) == [(0, 0), (0, 1)]
    slots.add_pass([True, False])  # one new group each
    assert slots.local_plan(0) == [(1, 0), (2, 0)] and slots.kept == 4
    with pytest.raises(ValueError, match="evenly"):
        RoundSlots([True] * 3, processes=2)


def batch(prompt_width: int, completion_width: int, groups: int, base: float) -> dict:
    rows = 2 * groups
    return {"prompt_ids": torch.full((rows, prompt_width), 7) + torch.arange(rows)[:, None],
            "prompt_mask": torch.ones(rows, prompt_width, dtype=torch.long),
            "completion_ids": torch.full((rows, completion_width), 3),
            "completion_mask": torch.ones(rows, completion_width, dtype=torch.long),
            "advantages": base + torch.arange(rows, dtype=torch.float32), "num_items_in_batch": torch.tensor(0)}


def test_merge_takes_the_planned_groups_and_pads_each_side():
    first, second = batch(3, 2, groups=2, base=0.0), batch(1, 4, groups=1, base=10.0)
    merged = merge_groups([first, second], [(1, 0), (0, 1)], group_size=2, pad_token_id=0)
    assert "num_items_in_batch" not in merged
    assert merged["advantages"].tolist() == [10.0, 11.0, 2.0, 3.0]
    assert merged["prompt_ids"].tolist() == [[0, 0, 7], [0, 0, 8], [9, 9, 9], [10, 10, 10]]
    assert merged["prompt_mask"].tolist() == [[0, 0, 1], [0, 0, 1], [1, 1, 1], [1, 1, 1]]
    assert merged["completion_ids"].tolist() == [[3, 3, 3, 3], [3, 3, 3, 3], [3, 3, 0, 0], [3, 3, 0, 0]]
    assert merged["completion_mask"].sum(1).tolist() == [4, 4, 2, 2]


def test_merge_refuses_fields_it_cannot_place():
    first = {**batch(1, 1, groups=1, base=0.0), "pixel_values": torch.zeros(2, 3)}
    with pytest.raises(ValueError, match="pixel_values"):
        merge_groups([first], [(0, 0)], group_size=2, pad_token_id=0)
