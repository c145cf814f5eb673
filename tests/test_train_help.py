"""Tests for gainrl.train_help: every option of gainrl's own is in one of its `train --help` groups.

Run: python -m pytest tests/test_train_help.py -v
"""

from dataclasses import fields

from trl import GRPOConfig

from gainrl.train import TrainArguments
from gainrl.train_help import TRAIN_GROUPS


def test_every_gainrl_option_is_grouped_once():
    own = {item.name for item in fields(TrainArguments)} - {item.name for item in fields(GRPOConfig)}
    grouped = [name for names in TRAIN_GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(own)
