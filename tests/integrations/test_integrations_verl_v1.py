"""Tests for gainrl.integrations.verl_v1: `GainRLTrainer` on verl 0.9's own code, on CPU.

What runs here, all of it verl's real code: Hydra composes verl's `ppo_trainer` config with each recipe's
overrides and `validate_config` accepts it; the trainer class resolves by name (`get_trainer_cls`) in this process,
in a fresh process through `VERL_USE_EXTERNAL_MODULES`, and in a Ray worker that only got the variable through the
recipe's runtime env; the trainer is built from the composed config and its `_init_tokenizer` / `_init_dataloader`
/ `_next_train_batch` fetch the curriculum's rows; the round closes from `rm_scores` put in a real TransferQueue;
the curriculum's state goes through `data.pt` as verl's checkpoint writes and loads it. What cannot run without
GPUs: verl's worker groups, the rollout engine (vLLM) and a whole `fit()`.

Needs verl 0.9 (`make test-verl` builds `.venv-verl` from constraints-verl.txt); skipped elsewhere.

Run: make test-verl
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

verl = pytest.importorskip("verl")
if importlib.util.find_spec("verl.trainer.ppo.v1") is None:
    pytest.skip(f"verl {verl.__version__} has no v1 trainer (verl 0.9 only)", allow_module_level=True)

import datasets  # noqa: E402
import torch  # noqa: E402
from hydra import compose, initialize_config_dir  # noqa: E402
from verl.trainer.ppo.utils import need_critic, need_reference_policy  # noqa: E402
from verl.trainer.ppo.v1 import get_trainer_cls  # noqa: E402
from verl.utils.config import validate_config  # noqa: E402

from gainrl.curriculum import CurriculumSettings, center_shift  # noqa: E402
from gainrl.integrations.verl import GainRLTrainer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ["qwen2.5-math-1.5b-instruct-deepscaler", "qwen2.5-math-7b-instruct-deepscaler",
           "llama-3.2-3b-instruct-deepscaler"]
PLUGIN = "gainrl.integrations.verl"
CURRICULUM = {"rank_units": "fraction", "center_init": 0.0, "rank_std": 0.1, "center_step": 0.2, "max_shift": 0.3,
              "seed": 7}


def recipe_overrides(recipe: str) -> list[str]:
    script = ROOT / "recipes" / "verl" / f"{recipe}.sh"
    printed = subprocess.run(["bash", str(script)], check=True, text=True, capture_output=True,
                             env={**os.environ, "GAINRL_VERL_LAUNCH": "printf %s\\n"}).stdout
    return printed.split()


def composed(overrides: list[str]):
    config_dir = Path(verl.__file__).parent / "trainer" / "config"
    with initialize_config_dir(config_dir=str(config_dir), version_base=None):
        return compose(config_name="ppo_trainer", overrides=overrides)


@pytest.fixture(scope="module")
def parquet(verl_parquet):
    return verl_parquet


@pytest.fixture(scope="module")
def filtered_parquet(parquet, tmp_path_factory):
    """The parquet in another order with 10 rows gone, as a reordered file or verl's length filter leaves it."""
    rows = datasets.load_dataset("parquet", data_files=str(parquet), split="train")
    path = tmp_path_factory.mktemp("verl-v1-filtered") / "train.parquet"
    rows.shuffle(seed=1).select(range(30)).to_parquet(str(path))
    return path


def trainer_config(tiny_model_dir, train_file, *extra: str):
    """The 1.5B recipe's config, shrunk to the tiny model, 4 prompts a step and the test's curriculum."""
    overrides = [o for o in recipe_overrides(RECIPES[0]) if not o.startswith("+data.gainrl.")]
    overrides += [f"+data.gainrl.{name}={value}" for name, value in CURRICULUM.items()]
    overrides += [f"actor_rollout_ref.model.path={tiny_model_dir}", f"data.train_files={train_file}",
                  f"data.val_files={train_file}", "data.train_batch_size=4", "data.max_prompt_length=256",
                  "data.filter_overlong_prompts=False", "actor_rollout_ref.actor.ppo_mini_batch_size=4",
                  "trainer.n_gpus_per_node=1", "trainer.resume_mode=disable", *extra]
    return composed(overrides)


def built_trainer(config) -> GainRLTrainer:
    """The trainer as verl's TaskRunnerV1 builds it, up to its dataloader (the worker groups need GPUs)."""
    trainer = get_trainer_cls(config.trainer.v1.trainer_mode)(config=config)
    trainer._init_tokenizer()
    trainer._init_dataloader()
    trainer._load_checkpoint()  # trainer.resume_mode=disable: sets global_steps to 0
    return trainer


def drawn_ranks(batch) -> list[int]:
    return [int(info["angle_rank"]) for info in batch["extra_info"]]


def step_scores(responses: list[tuple[float, bool]]):
    """The step's `rm_scores` as TransferQueue hands them back (one jagged row per response, the reward on its last
    token) and their tags: (summed reward, is padding) per response."""
    scores = [torch.tensor([0.0, 0.0, reward]) for reward, _ in responses]
    tags = [{"is_padding": padding, "seq_len": 3} for _, padding in responses]
    return torch.nested.as_nested_tensor(scores, layout=torch.jagged), tags


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_recipe_composes_validates_and_names_the_gainrl_trainer(recipe):
    config = composed(recipe_overrides(recipe))
    validate_config(config=config, use_reference_policy=need_reference_policy(config), use_critic=need_critic(config))
    assert config.trainer.use_v1 and config.trainer.v1.trainer_mode == "gainrl"
    assert get_trainer_cls(config.trainer.v1.trainer_mode) is GainRLTrainer
    assert config.ray_kwargs.ray_init.runtime_env.env_vars.VERL_USE_EXTERNAL_MODULES == PLUGIN
    assert config.data.dataloader_num_workers == 0 and config.data.gainrl.rank_std == 1000
    assert config.data.train_batch_size == 1024 and config.data.get("gen_batch_size") is None
    assert config.reward.custom_reward_function.path == "pkg://gainrl.integrations.verl_data"
    assert config.actor_rollout_ref.actor.ppo_max_token_len_per_gpu >= (
        config.data.max_prompt_length + config.data.max_response_length)


def resolve_in_fresh_process(env: dict) -> subprocess.CompletedProcess:
    code = "from verl.trainer.ppo.v1 import get_trainer_cls; print(get_trainer_cls('gainrl').__qualname__)"
    return subprocess.run([sys.executable, "-c", code], text=True, capture_output=True, env=env)


def test_import_verl_registers_the_trainer_only_through_VERL_USE_EXTERNAL_MODULES():
    bare = {name: value for name, value in os.environ.items() if name != "VERL_USE_EXTERNAL_MODULES"}
    without = resolve_in_fresh_process(bare)
    assert without.returncode != 0 and "Unknown trainer 'gainrl'" in without.stderr
    registered = resolve_in_fresh_process({**bare, "VERL_USE_EXTERNAL_MODULES": PLUGIN})
    assert registered.returncode == 0, registered.stderr[-2000:]
    assert registered.stdout.strip() == "GainRLTrainer"


@pytest.fixture(scope="module")
def ray_with_recipe_env():
    """A local Ray started with the runtime env verl's run_ppo builds from the 1.5B recipe (this process never sets
    VERL_USE_EXTERNAL_MODULES), and 4 logical CPUs: TransferQueue's controller and storage units reserve one each."""
    import ray
    from omegaconf import OmegaConf
    from verl.trainer.constants_ppo import get_ppo_ray_runtime_env

    assert "VERL_USE_EXTERNAL_MODULES" not in os.environ
    config = composed(recipe_overrides(RECIPES[0]))
    runtime_env = OmegaConf.merge(get_ppo_ray_runtime_env(config), config.ray_kwargs.ray_init.runtime_env)
    ray.init(num_cpus=4, include_dashboard=False, runtime_env=OmegaConf.to_container(runtime_env))
    yield config
    ray.shutdown()


@pytest.mark.slow
def test_a_ray_worker_resolves_the_trainer_from_the_recipes_runtime_env(ray_with_recipe_env):
    import ray

    @ray.remote
    def resolve(name):
        from verl.trainer.ppo.v1 import get_trainer_cls

        return get_trainer_cls(name).__module__, get_trainer_cls(name).__qualname__

    resolved = ray.get(resolve.remote(ray_with_recipe_env.trainer.v1.trainer_mode), timeout=600)
    assert resolved == ("gainrl.integrations.verl_v1", "GainRLTrainer")


@pytest.mark.slow
def test_the_round_closes_from_rm_scores_read_back_from_transfer_queue(ray_with_recipe_env, parquet, tiny_model_dir):
    import transfer_queue as tq
    from tensordict import TensorDict
    from transfer_queue import KVBatchMeta

    # verl's default is 8 storage units, each reserving a CPU: more than this machine has
    config = trainer_config(tiny_model_dir, parquet, "transfer_queue.backend.SimpleStorage.num_data_storage_units=1")
    trainer = built_trainer(config)
    trainer.global_steps = 1
    trainer._next_train_batch()
    responses = [(1.0, False)] * 3 + [(0.0, False)] * 5 + [(1.0, True)] * 2  # 3 of 8 correct, 2 padding rows
    rm_scores, tags = step_scores(responses)
    keys = [f"uid{index}_0" for index in range(len(responses))]
    tq.init(trainer.config.transfer_queue)
    try:
        tq.kv_batch_put(keys=keys, partition_id="train", fields=TensorDict({"rm_scores": rm_scores}, batch_size=[10]),
                        tags=tags)
        metrics = trainer.close_curriculum_round(KVBatchMeta(partition_id="train", keys=keys, tags=tags))
    finally:
        tq.close()
    assert metrics["curriculum/accuracy"] == 3 / 8 == trainer.curriculum_rows.curriculum.history[-1]["accuracy"]


def test_the_dataloader_draws_the_curriculums_rows_by_stable_id(filtered_parquet, tiny_model_dir):
    trainer = built_trainer(trainer_config(tiny_model_dir, filtered_parquet))
    assert trainer.registered_name == "gainrl" and trainer.trainer_mode == "sync"
    kept = sorted(int(info["angle_rank"]) for info in trainer.train_dataset.dataframe["extra_info"])
    assert len(kept) == 30 and len(trainer.train_dataloader) == 7  # 30 rows: 7 whole steps of 4
    batch = trainer._next_train_batch()  # verl's own fetch, as prepare_step submits it to the rollout
    pending = trainer.curriculum_rows.curriculum.pending
    assert drawn_ranks(batch) == [kept[rank] for rank in pending["ranks"]]
    assert len(set(drawn_ranks(batch))) == 4 and pending["center"] == 0.0


def test_the_round_closes_by_the_rule_from_the_steps_rm_scores(parquet, tiny_model_dir):
    trainer = built_trainer(trainer_config(tiny_model_dir, parquet))
    settings = CurriculumSettings(**{k: v for k, v in CURRICULUM.items() if k != "seed"}).in_rows(40)
    steps = ([1, 1, 1, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 1, 0], [1] * 8)
    for step, rewards in enumerate(steps, start=1):
        trainer.global_steps = step
        batch = trainer._next_train_batch()
        center = trainer.curriculum_rows.curriculum.center
        padded = [(float(reward), False) for reward in rewards] + [(1.0, True), (1.0, True)]  # padding: not counted
        metrics = trainer.close_round_from_scores(*step_scores(padded))
        entry = trainer.curriculum_rows.curriculum.history[-1]
        assert entry["ranks"] == [int(info["angle_rank"]) for info in batch["extra_info"]]
        assert entry["accuracy"] == sum(rewards) / 8 and entry["global_step"] == step
        assert entry["angle"] == pytest.approx(sum(info["angle_score"] for info in batch["extra_info"]) / 4)
        expected = min(max(center + center_shift(settings, entry["accuracy"], entry["angle"]), 0.0), 39.0)
        assert entry["next_center"] == pytest.approx(expected)
        assert metrics["curriculum/accuracy"] == entry["accuracy"] and metrics["curriculum/center"] == center
    assert trainer.curriculum_rows.curriculum.center > 0


def test_the_curriculum_round_trips_through_verls_dataloader_checkpoint(parquet, tiny_model_dir, tmp_path):
    config = trainer_config(tiny_model_dir, parquet)
    first = built_trainer(config)
    for step in (1, 2):
        first._next_train_batch()
        first.global_steps = step
        first.close_round_from_scores(*step_scores([(1.0, False)] * 6 + [(0.0, False)] * 2))
    data_pt = tmp_path / "global_step_2" / "data.pt"
    data_pt.parent.mkdir()
    torch.save(first.train_dataloader.state_dict(), data_pt)  # as PPOTrainer._save_checkpoint writes it
    resumed = built_trainer(trainer_config(tiny_model_dir, parquet))
    resumed.train_dataloader.load_state_dict(torch.load(data_pt, weights_only=False))  # as _load_checkpoint
    resumed_draw = drawn_ranks(resumed._next_train_batch())  # the loader applies the state when iterated
    assert resumed.curriculum_rows.curriculum.history == first.curriculum_rows.curriculum.history
    assert resumed.curriculum_rows.curriculum.center == first.curriculum_rows.curriculum.center > 0
    assert resumed_draw == drawn_ranks(first._next_train_batch())


@pytest.mark.parametrize(("override", "named"), [
    ("algorithm.filter_groups.enable=True", "algorithm.filter_groups.enable=True"),
    ("trainer.v1.sampler.sync_refill_failed_groups=True", "sync_refill_failed_groups"),
    ("data.gen_batch_size=2", "data.gen_batch_size=2"),
    ("data.dataloader_num_workers=8", "data.dataloader_num_workers=8"),
    ("+trainer.v1.sampler.custom_sampler.path=pkg://my.buffer", "trainer.v1.sampler.custom_sampler"),
])
def test_modes_it_cannot_serve_are_refused_by_name(parquet, tiny_model_dir, override, named):
    config = trainer_config(tiny_model_dir, parquet, override)
    with pytest.raises(ValueError, match=f"trainer_mode=gainrl cannot serve: .*{named}"):
        GainRLTrainer(config)


def test_the_users_import_path_explains_the_removed_sampler():
    import gainrl.integrations.verl as plugin

    assert plugin.GainRLTrainer is GainRLTrainer and plugin.TRAINER_NAME == "gainrl"
    with pytest.raises(ImportError, match="trainer.v1.trainer_mode=gainrl"):
        plugin.GainRLSampler
