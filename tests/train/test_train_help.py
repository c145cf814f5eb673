"""Tests for gainrl.train.help: every option of gainrl's own is in one of its `train --help` groups.

Run: python -m pytest tests/train/test_train_help.py -v
"""

from dataclasses import fields

from trl import GRPOConfig

from gainrl.train.command import TrainArguments
from gainrl.train.help import TRAIN_GROUPS


def test_every_gainrl_option_is_grouped_once():
    own = {item.name for item in fields(TrainArguments)} - {item.name for item in fields(GRPOConfig)}
    grouped = [name for names in TRAIN_GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(own)
