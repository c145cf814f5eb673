"""Tests for gainrl.integrations.verl_legacy: GainRLSampler (imported as users do, from gainrl.integrations.verl)
built by verl's own `create_rl_sampler`, fed `DataProto` batches.

Needs verl 0.5 to 0.7, which cannot share the main environment (it pins transformers below 5.11):
`make test-verl-legacy` builds `.venv-verl-legacy` (verl 0.7.1) and runs this file there. Skipped elsewhere (the
main environment has no verl; verl 0.9 has no sampler interface, see test_integrations_verl_v1.py).

Run: make test-verl-legacy
"""

import importlib.util
import json
import math

import pytest

verl = pytest.importorskip("verl")
if importlib.util.find_spec("verl.experimental.dataset.sampler") is None:
    pytest.skip(f"verl {verl.__version__} has no curriculum-sampler interface (verl 0.5-0.7 only)",
                allow_module_level=True)

import torch  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from torchdata.stateful_dataloader import StatefulDataLoader  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402
from verl import DataProto  # noqa: E402
from verl.trainer.main_ppo import create_rl_sampler  # noqa: E402
from verl.utils.dataset.rl_dataset import RLHFDataset, collate_fn  # noqa: E402

from gainrl.curriculum import CurriculumSettings, center_shift  # noqa: E402
from gainrl.integrations.verl import GainRLSampler  # noqa: E402

GAINRL = {"rank_units": "fraction", "rank_std": 0.1, "center_step": 0.2, "max_shift": 0.3, "seed": 7}


@pytest.fixture(scope="module")
def parquet(verl_parquet):
    return verl_parquet


def data_config(batch_size=4, **gainrl):
    return OmegaConf.create({
        "train_batch_size": batch_size, "dataloader_num_workers": 0, "shuffle": False, "prompt_key": "prompt",
        "max_prompt_length": 256, "filter_overlong_prompts": False, "truncation": "error",
        "sampler": {"class_path": "pkg://gainrl.integrations.verl", "class_name": "GainRLSampler"},
        "gainrl": {**GAINRL, **gainrl}})


def verl_dataset(parquet, tiny_model_dir, config):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    return RLHFDataset(data_files=str(parquet), tokenizer=tokenizer, config=config)


def fake_batch(rewards, step):
    scores = torch.zeros(len(rewards), 5)
    scores[:, -1] = torch.tensor(rewards, dtype=torch.float32)  # verl puts a sequence's reward on its last token
    return DataProto.from_dict(tensors={"token_level_scores": scores}, meta_info={"global_steps": step})


def test_verl_builds_the_sampler_and_each_update_follows_the_update_rule(parquet, tiny_model_dir):
    config = data_config()
    dataset = verl_dataset(parquet, tiny_model_dir, config)
    sampler = create_rl_sampler(config, dataset)
    assert isinstance(sampler, GainRLSampler) and len(sampler) == 40
    ranks = [info["angle_rank"] for info in dataset.dataframe["extra_info"]]
    scores = [info["angle_score"] for info in dataset.dataframe["extra_info"]]
    settings = CurriculumSettings(**{k: v for k, v in GAINRL.items() if k != "seed"}).in_rows(40)
    iterator = iter(sampler)
    for step, rewards in enumerate(([1, 1, 1, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 1, 0], [1] * 8), start=1):
        positions = [next(iterator) for _ in range(4)]
        assert len(set(positions)) == 4
        center = sampler.curriculum.center
        sampler.update(fake_batch(rewards, step))
        entry = sampler.curriculum.history[-1]
        assert entry["ranks"] == [ranks[p] for p in positions] and entry["center"] == center
        assert entry["accuracy"] == sum(rewards) / 8
        assert entry["angle"] == pytest.approx(sum(scores[p] for p in positions) / 4)
        expected = min(max(center + center_shift(settings, entry["accuracy"], entry["angle"]), 0.0), 39.0)
        assert entry["next_center"] == pytest.approx(expected) and entry["global_step"] == step
    assert sampler.curriculum.center > 0


def test_success_threshold_reads_other_reward_scales(parquet, tiny_model_dir):
    config = data_config(success_threshold=0.0)
    sampler = create_rl_sampler(config, verl_dataset(parquet, tiny_model_dir, config))
    next(iter(sampler))
    sampler.update(fake_batch([1, -1, -1, -1, 1, 1, -1, -1], 1))  # a {-1, 1} reward: 3 of 8 correct
    assert sampler.curriculum.history[-1]["accuracy"] == 3 / 8


def test_state_round_trip_reproduces_the_following_draws(parquet, tiny_model_dir):
    config = data_config()
    dataset = verl_dataset(parquet, tiny_model_dir, config)
    first = create_rl_sampler(config, dataset)
    iterator = iter(first)
    for step in (1, 2):
        [next(iterator) for _ in range(4)]
        first.update(fake_batch([1, 1, 0, 1, 1, 1, 0, 1], step))
    state = json.loads(json.dumps(first.state_dict()))  # verl pickles it; JSON proves it is plain data
    resumed = create_rl_sampler(config, dataset)
    resumed.load_state_dict(state)
    assert resumed.curriculum.center == first.curriculum.center
    assert resumed.curriculum.history == first.curriculum.history
    continued, restarted = iter(first), iter(resumed)
    assert [next(continued) for _ in range(4)] == [next(restarted) for _ in range(4)]


def test_ranks_map_to_rows_by_id_when_rows_are_reordered_or_filtered(parquet, tiny_model_dir, tmp_path):
    import datasets

    rows = datasets.load_dataset("parquet", data_files=str(parquet), split="train")
    shuffled = rows.shuffle(seed=1).select(range(30))  # another order, and 10 rows gone (as verl's filters do)
    path = tmp_path / "shuffled.parquet"
    shuffled.to_parquet(str(path))
    config = data_config()
    dataset = verl_dataset(path, tiny_model_dir, config)
    sampler = create_rl_sampler(config, dataset)
    kept_ranks = sorted(info["angle_rank"] for info in dataset.dataframe["extra_info"])
    iterator = iter(sampler)
    positions = [next(iterator) for _ in range(4)]
    drawn = sampler.curriculum.pending["ranks"]
    assert [dataset.dataframe[p]["extra_info"]["angle_rank"] for p in positions] == [kept_ranks[r] for r in drawn]
    assert len(sampler) == 28  # 30 rows, 7 whole steps of 4


def test_a_real_verl_dataloader_draws_each_batch_after_the_previous_update(parquet, tiny_model_dir):
    config = data_config(center_step=0.5, max_shift=0.5)
    dataset = verl_dataset(parquet, tiny_model_dir, config)
    sampler = create_rl_sampler(config, dataset)
    loader = StatefulDataLoader(dataset, batch_size=4, sampler=sampler, num_workers=0, drop_last=True,
                                collate_fn=collate_fn)
    centers = []
    for step, batch in enumerate(loader, start=1):
        centers.append(sampler.curriculum.pending["center"])
        assert [info["angle_rank"] for info in batch["extra_info"]] == [
            sorted(i["angle_rank"] for i in dataset.dataframe["extra_info"])[r]
            for r in sampler.curriculum.pending["ranks"]]
        sampler.update(fake_batch([1] * 8, step))
        if step == 3:
            break
    assert centers[0] < centers[1] < centers[2]  # all correct: each batch was drawn at the moved centre
    assert not math.isnan(centers[2])


def test_bad_configuration_and_rows_are_named(parquet, tiny_model_dir):
    config = data_config(curriculum="uniform")
    with pytest.raises(ValueError, match="for uniform, use verl's own data.shuffle"):
        create_rl_sampler(config, verl_dataset(parquet, tiny_model_dir, config))
    config = data_config(rank_sd=3)
    with pytest.raises(ValueError, match=r"unknown keys \['rank_sd'\]"):
        create_rl_sampler(config, verl_dataset(parquet, tiny_model_dir, config))
    config = data_config()
    config.dataloader_num_workers = 2
    with pytest.raises(AssertionError, match="num_workers must be 0"):
        create_rl_sampler(config, verl_dataset(parquet, tiny_model_dir, config))


@pytest.mark.parametrize("recipe", ["qwen2.5-math-1.5b-instruct-deepscaler", "qwen2.5-math-7b-instruct-deepscaler",
                                    "llama-3.2-3b-instruct-deepscaler"])
def test_verl_recipes_compose_with_verls_own_config(recipe):
    """Every override of recipes/verl/legacy exists in verl's ppo_trainer config (Hydra rejects unknown keys)."""
    import os
    import subprocess
    from pathlib import Path

    from hydra import compose, initialize_config_dir

    root = Path(__file__).resolve().parents[2]
    script = root / "recipes" / "verl" / "legacy" / f"{recipe}.sh"
    printed = subprocess.run(["bash", str(script)], check=True, text=True, capture_output=True,
                             env={**os.environ, "GAINRL_VERL_LAUNCH": "printf %s\\n"}).stdout
    overrides = printed.split()
    config_dir = Path(verl.__file__).parent / "trainer" / "config"
    with initialize_config_dir(config_dir=str(config_dir), version_base=None):
        config = compose(config_name="ppo_trainer", overrides=overrides)
    assert config.data.sampler.class_name == "GainRLSampler" and config.data.dataloader_num_workers == 0
    assert config.data.gainrl.rank_std == 1000 and config.data.train_batch_size == 1024
    assert config.actor_rollout_ref.actor.ppo_max_token_len_per_gpu >= (
        config.data.max_prompt_length + config.data.max_response_length)
    assert config.custom_reward_function.path == "pkg://gainrl.integrations.verl_data"
