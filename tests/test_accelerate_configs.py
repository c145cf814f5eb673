"""Tests for recipes/accelerate_configs: each config loads with accelerate's own parser; under parameter sharding
(FSDP2, DeepSpeed ZeRO-3) the angle hook of `gainrl.train.trainer` still sees full hidden states; on GPUs,
`gainrl train` runs under each config and draws what the DDP run draws.

CPU, 2 processes over gloo: accelerate 1.15 turns FSDP and DeepSpeed on only when a GPU-class device exists (without
one, `accelerate launch` with these configs starts independent unsharded processes), so the sharded CPU checks call
what accelerate calls underneath: torch's `fully_shard` on every decoder layer and then the root (accelerate's FSDP2
`TRANSFORMER_BASED_WRAP`), and `deepspeed.initialize` with ZeRO stage 3 (skipped when DeepSpeed is not installed,
as in the main environment). The probe registers the hook as `GainRLTrainer` does (on the scoring layer's MLP,
before the model is sharded), checks that each process holds only its shard of the parameters, and records what the
hook saw; the test compares it with the unsharded model in this process.

Run: python -m pytest tests/test_accelerate_configs.py -v     (-m slow for the sharded runs, -m gpu on a GPU machine)
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "recipes" / "accelerate_configs"
TINY_RECIPE = ROOT / "recipes" / "tiny" / "gainrl.yaml"

PROBE = '''
import json, sys
import torch, torch.distributed as dist
from transformers import AutoModelForCausalLM
from gainrl.angles import sequence_concentration
from gainrl.models import decoder_layers

backend, model_dir, output = sys.argv[1:4]
model = AutoModelForCausalLM.from_pretrained(model_dir)
seen = []
decoder_layers(model)[-1].mlp.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
if backend == "fsdp2":
    from torch.distributed.fsdp import fully_shard
    dist.init_process_group("gloo")
    for layer in decoder_layers(model):
        fully_shard(layer)
    fully_shard(model)
    engine, backward = model, lambda loss: loss.backward()
    shards = [(p.to_local().numel(), p.numel()) for p in model.parameters()]
else:
    import deepspeed
    deepspeed.init_distributed(dist_backend="gloo")
    config = {"train_micro_batch_size_per_gpu": 1, "zero_optimization": {"stage": 3}}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    engine, *_ = deepspeed.initialize(model=model, optimizer=optimizer, config=config)
    backward = engine.backward
    shards = [(p.ds_tensor.numel(), p.ds_numel) for p in engine.module.parameters()]
torch.manual_seed(0)
ids = torch.randint(0, 100, (2, 7))
mask = torch.ones_like(ids)
backward(engine(input_ids=ids, attention_mask=mask).logits.pow(2).mean())
record = {"local_numel": sum(local for local, _ in shards), "full_numel": sum(full for _, full in shards),
          "hidden_shape": list(seen[0].shape), "angle": sequence_concentration(seen[0], mask).tolist()}
with open(f"{output}.{dist.get_rank()}", "w") as handle:
    json.dump(record, handle)
dist.barrier()
dist.destroy_process_group()  # left to interpreter exit, gloo can abort the process (pytorch/pytorch#190489)
'''
DEEPSPEED = pytest.mark.skipif(importlib.util.find_spec("deepspeed") is None, reason="DeepSpeed is not installed")


@pytest.mark.parametrize("name", ["ddp", "zero2", "zero3", "fsdp"])
def test_every_config_loads_with_accelerates_parser_for_one_node_of_8_gpus(name):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(CONFIGS / f"{name}.yaml"))
    assert (config.num_processes, config.num_machines, config.mixed_precision) == (8, 1, "bf16")
    expected = {"ddp": "MULTI_GPU", "zero2": "DEEPSPEED", "zero3": "DEEPSPEED", "fsdp": "FSDP"}[name]
    assert config.distributed_type.value == expected
    if name.startswith("zero"):
        assert config.deepspeed_config["zero_stage"] == int(name[-1])
    if name == "fsdp":
        assert config.fsdp_config["fsdp_version"] == 2
        assert config.fsdp_config["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"


def unsharded_angle(model_dir) -> tuple[list[float], int]:
    from transformers import AutoModelForCausalLM

    from gainrl.angles import sequence_concentration
    from gainrl.models import decoder_layers

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    seen = []
    decoder_layers(model)[-1].mlp.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach()))
    torch.manual_seed(0)
    ids = torch.randint(0, 100, (2, 7))
    with torch.no_grad():
        model(input_ids=ids, attention_mask=torch.ones_like(ids))
    return sequence_concentration(seen[0], torch.ones_like(ids)).tolist(), model.config.hidden_size


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["fsdp2", pytest.param("zero3", marks=DEEPSPEED)])
def test_under_parameter_sharding_the_angle_hook_sees_full_hidden_states(backend, tiny_model_dir, tmp_path):
    (tmp_path / "probe.py").write_text(PROBE)
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", str(tmp_path / "probe.py"),
               backend, str(tiny_model_dir), str(tmp_path / "seen")]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    expected, hidden_size = unsharded_angle(tiny_model_dir)
    for rank in (0, 1):
        record = json.loads((tmp_path / f"seen.{rank}").read_text())
        assert 2 * record["local_numel"] <= record["full_numel"] + 1000  # each process holds about half
        assert record["hidden_shape"] == [2, 7, hidden_size]
        assert record["angle"] == pytest.approx(expected, rel=1e-4)


@pytest.fixture(scope="module")
def scored_dir(tiny_model_dir, tmp_path_factory):
    from gainrl.kit.synthetic import generate_problems
    from gainrl.score.command import ScoreArguments, run_score

    folder = tmp_path_factory.mktemp("scale-out")
    (folder / "rows.json").write_text(json.dumps(generate_problems(48, seed=3)))
    run_score(ScoreArguments(model=str(tiny_model_dir), dataset=str(folder / "rows.json"), output=str(folder / "out"),
                             config_name="tiny"))
    return folder / "out"


def train_rounds(config: str, model_dir: Path, scored_dir: Path, output: Path) -> list[dict]:
    """A few steps of `gainrl train` under `accelerate launch` with the config (bf16, every GPU of the machine)."""
    processes = str(max(torch.cuda.device_count(), 1))
    flags = ["--config", str(TINY_RECIPE), "--model_name_or_path", str(model_dir), "--dataset_name", str(scored_dir),
             "--output_dir", str(output), "--max_steps", "3", "--save_strategy", "no", "--use_cpu", "false",
             "--bf16", "true", "--per_device_train_batch_size", "2", "--num_generations", "2",
             "--max_completion_length", "8", "--rank_std", "0.1", "--center_step", "0.1", "--target_accuracy", "0.0",
             "--max_shift", "0.2"]
    command = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(CONFIGS / f"{config}.yaml"),
               "--num_processes", processes, "-m", "gainrl", "train", *flags]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in (output / "sampler_history.jsonl").read_text().splitlines()]


@pytest.mark.gpu
@pytest.mark.parametrize("config", ["zero2", pytest.param("zero3", marks=DEEPSPEED), "fsdp"])
def test_gainrl_train_under_sharding_draws_as_under_ddp(config, tiny_model_dir, scored_dir, tmp_path):
    reference = train_rounds("ddp", tiny_model_dir, scored_dir, tmp_path / "ddp")
    sharded = train_rounds(config, tiny_model_dir, scored_dir, tmp_path / config)
    assert len(sharded) == len(reference) == 3
    assert sharded[0]["ranks"] == reference[0]["ranks"]
    assert sharded[0]["angle"] == pytest.approx(reference[0]["angle"], rel=2e-2)  # bf16
