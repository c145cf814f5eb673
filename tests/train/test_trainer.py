"""Tests for gainrl.train.trainer, gainrl.train.command and gainrl.train.data on a tiny model and a scored synthetic
dataset: the update rule for every recorded round, the prompts TRL generated for equal the drawn ranks, parameters
change, resume draws what the uninterrupted run drew, uniform / length / static run, two processes under
`accelerate launch` draw identically, and checkpoints pushed to the local Hub load with `from_pretrained`. Group
filtering, with a reward that is mixed for a known half of the questions: under every curriculum the round trains
on the groups it should (and the batch holds exactly them), the cap ends rounds with no mixed group, resume and two
processes draw identically.

Run: python -m pytest tests/train/test_trainer.py -v
"""

import importlib.util
import json
import subprocess
import sys
import zlib
from pathlib import Path

import datasets
import pytest
import torch

from gainrl.curriculum import center_shift
from gainrl.kit.synthetic import generate_problems
from gainrl.score.command import ScoreArguments, run_score
from gainrl.train.command import TrainArguments, build_trainer, run_train
from gainrl.train.data import load_training_data

ROWS = 48
RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "tiny" / "gainrl.yaml"
SPY_MODULE = '''
import json, os, zlib

def has_digit(prompts, completions, **kwargs):
    """1.0 when the completion holds a digit (the tiny random model does so often, not always); records the
    question of every completion it scores, one file per process."""
    with open(os.environ["GAINRL_SPY"] + "." + os.environ.get("RANK", "0"), "a") as handle:
        for prompt in prompts:
            handle.write(json.dumps(prompt[-1]["content"]) + "\\n")
    texts = [c if isinstance(c, str) else c[-1]["content"] for c in completions]
    return [float(any(ch.isdigit() for ch in text)) for text in texts]

def _record(prompts, rewards):
    with open(os.environ["GAINRL_SPY"] + ".rewards." + os.environ.get("RANK", "0"), "a") as handle:
        for prompt, reward in zip(prompts, rewards):
            handle.write(json.dumps([prompt[-1]["content"], reward]) + "\\n")

def parity_mixed(prompts, completions, **kwargs):
    """Rewards 1, 0, 1, 0, ... (mixed within every group of 2) for questions whose CRC-32 is even, all 0 for the
    others; records (question, reward) per completion, one file per process."""
    rewards = [float(zlib.crc32(p[-1]["content"].encode()) % 2 == 0 and i % 2 == 0) for i, p in enumerate(prompts)]
    _record(prompts, rewards)
    return rewards

def constant(prompts, completions, **kwargs):
    _record(prompts, [0.0] * len(prompts))
    return [0.0] * len(prompts)
'''
# The accuracy signal comes from `has_digit`, so rounds have successes and the centre moves.
MOVING = {"accuracy_reward": "has_digit", "rank_units": "fraction", "rank_std": 0.1, "center_step": 0.1,
          "target_accuracy": 0.0, "max_shift": 0.2}


@pytest.fixture(scope="module")
def scored_dir(tmp_path_factory, tiny_model_dir):
    folder = tmp_path_factory.mktemp("scored")
    (folder / "rows.json").write_text(json.dumps(generate_problems(ROWS, seed=3)))
    run_score(ScoreArguments(model=str(tiny_model_dir), dataset=str(folder / "rows.json"),
                             output=str(folder / "out"), config_name="tiny"))
    return folder / "out"


@pytest.fixture
def spy(tmp_path, monkeypatch):
    """An importable reward module (`spy_rewards:has_digit`) and a reader for the questions it saw."""
    (tmp_path / "spy_rewards.py").write_text(SPY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("GAINRL_SPY", str(tmp_path / "spy"))

    def seen(rank: str = "0") -> list[str]:
        path = tmp_path / f"spy.{rank}"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    return seen


def train_args(model, dataset, output_dir, **overrides) -> TrainArguments:
    settings = dict(model_name_or_path=str(model), dataset_name=str(dataset), output_dir=str(output_dir),
                    use_cpu=True, bf16=False, per_device_train_batch_size=4, num_generations=2,
                    max_completion_length=8, max_steps=4, learning_rate=1e-3, lr_scheduler_type="constant",
                    logging_steps=1, save_strategy="steps", save_steps=2, report_to="none", seed=0,
                    reward_funcs=["accuracy", "spy_rewards:has_digit"], **MOVING)
    return TrainArguments(**{**settings, **overrides})


def history(folder: Path) -> list[dict]:
    return json.loads((folder / "gainrl_sampler_state.json").read_text())["history"]


def questions_by_rank(dataset_dir: Path, order: str = "angle") -> list[str]:
    data = load_training_data(str(dataset_dir), None, None)
    return [data.dataset[row]["problem"] for row in data.order(order)]


def test_rounds_follow_the_update_rule_and_use_the_drawn_prompts(tiny_model_dir, scored_dir, tmp_path, spy):
    args = train_args(tiny_model_dir, scored_dir, tmp_path / "run", max_steps=6)
    trainer = run_train(args)
    rounds = history(tmp_path / "run")
    assert [entry["round"] for entry in rounds] == list(range(6))
    assert [entry["global_step"] for entry in rounds] == list(range(1, 7))
    settings = trainer.curriculum.settings  # in rows
    for entry in rounds:
        assert 0.0 <= entry["accuracy"] <= 1.0 and 0.0 < entry["angle"] < 1.0
        assert len(set(entry["ranks"])) == 2  # 4 completions / 2 generations
        shift = center_shift(settings, entry["accuracy"], entry["angle"])
        assert entry["shift"] == pytest.approx(shift)
        assert entry["next_center"] == pytest.approx(min(max(entry["center"] + shift, 0), ROWS - 1))
    assert [b["center"] for b in rounds[1:]] == [a["next_center"] for a in rounds[:-1]]
    assert rounds[-1]["center"] > 0  # the signals moved it
    by_rank = questions_by_rank(scored_dir)
    assert spy() == [by_rank[rank] for entry in rounds for rank in entry["ranks"] for _ in range(2)]
    lines = (tmp_path / "run" / "sampler_history.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == rounds
    assert (tmp_path / "run" / "checkpoint-2" / "gainrl_sampler_state.json").exists()
    assert history(tmp_path / "run" / "checkpoint-2") == rounds[:2]
    logged = [e for e in trainer.state.log_history if "curriculum/center" in e]
    assert logged and all("curriculum/rank_p50" in e for e in logged)


def test_parameters_change(tiny_model_dir, scored_dir, tmp_path, spy):
    from transformers import AutoModelForCausalLM

    run_train(train_args(tiny_model_dir, scored_dir, tmp_path / "run", max_steps=2, save_strategy="no"))
    before = AutoModelForCausalLM.from_pretrained(tiny_model_dir).state_dict()
    after = AutoModelForCausalLM.from_pretrained(tmp_path / "run").state_dict()
    changed = [name for name in before if not torch.equal(before[name], after[name])]
    assert len(changed) > len(before) // 2


def test_resume_draws_what_the_uninterrupted_run_drew(tiny_model_dir, scored_dir, tmp_path, spy):
    run_train(train_args(tiny_model_dir, scored_dir, tmp_path / "full", max_steps=6))
    run_train(train_args(tiny_model_dir, scored_dir, tmp_path / "cut", max_steps=2))
    run_train(train_args(tiny_model_dir, scored_dir, tmp_path / "cut", max_steps=6,
                         resume_from_checkpoint=str(tmp_path / "cut" / "checkpoint-2")))
    full, resumed = history(tmp_path / "full"), history(tmp_path / "cut")
    assert len({entry["center"] for entry in full}) > 1  # the centre moved, so the check means something
    assert [e["ranks"] for e in resumed] == [e["ranks"] for e in full]
    assert [e["center"] for e in resumed] == [e["center"] for e in full]
    lines = (tmp_path / "cut" / "sampler_history.jsonl").read_text().splitlines()
    assert [json.loads(line)["round"] for line in lines] == list(range(6))


def test_length_curriculum_draws_over_the_shortest_first_order(tiny_model_dir, scored_dir, tmp_path, spy):
    run_train(train_args(tiny_model_dir, scored_dir, tmp_path / "run", curriculum="length", max_steps=3))
    rounds = history(tmp_path / "run")
    by_length = questions_by_rank(scored_dir, "length")
    assert spy() == [by_length[rank] for entry in rounds for rank in entry["ranks"] for _ in range(2)]
    tokens = datasets.load_dataset(str(scored_dir), split="train")["prompt_tokens"]
    assert sorted(tokens) == [tokens[row] for row in load_training_data(str(scored_dir), None, None).length_order]


def test_uniform_uses_trls_sampler_and_records_what_it_drew(tiny_model_dir, scored_dir, tmp_path, spy):
    run_train(train_args(tiny_model_dir, scored_dir, tmp_path / "run", curriculum="uniform", max_steps=3))
    rounds = history(tmp_path / "run")
    assert [entry["center"] for entry in rounds] == [None] * 3
    by_rank = questions_by_rank(scored_dir)
    assert spy() == [by_rank[rank] for entry in rounds for rank in entry["ranks"] for _ in range(2)]


def test_static_keeps_the_centre(tiny_model_dir, scored_dir, tmp_path, spy):
    run_train(train_args(tiny_model_dir, scored_dir, tmp_path / "run", curriculum="static", center_init=0.5,
                         max_steps=3))
    assert {entry["center"] for entry in history(tmp_path / "run")} == {0.5 * ROWS}


def train_on_two_processes(model: Path, dataset: Path, output_dir: Path, reward: str, *extra: str) -> None:
    """`gainrl train` on 2 CPU processes (DDP over gloo), 3 rounds of 2 prompts x 2 completions, `reward` the
    accuracy reward."""
    launcher = ["-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "gainrl", "train"]
    flags = ["--config", str(RECIPE), "--model_name_or_path", str(model), "--dataset_name", str(dataset),
             "--output_dir", str(output_dir), "--max_steps", "3", "--save_strategy", "no",
             "--per_device_train_batch_size", "2", "--num_generations", "2", "--max_completion_length", "8",
             "--reward_funcs", "accuracy", f"spy_rewards:{reward}", *extra]
    flags += [part for name, value in {**MOVING, "accuracy_reward": reward}.items()
              for part in (f"--{name}", str(value))]
    result = subprocess.run([sys.executable, *launcher, *flags], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


def test_two_processes_draw_identically(tiny_model_dir, scored_dir, tmp_path, spy, run_gainrl):
    train_on_two_processes(tiny_model_dir, scored_dir, tmp_path / "run", "has_digit")
    rounds = history(tmp_path / "run")
    assert len(rounds) == 3 and all(len(set(entry["ranks"])) == 2 for entry in rounds)
    by_rank = questions_by_rank(scored_dir)
    drawn = [by_rank[rank] for entry in rounds for rank in entry["ranks"] for _ in range(2)]
    per_process = [spy("0"), spy("1")]  # each process generates its half of every round
    assert per_process[0] + per_process[1] != [] and sorted(per_process[0] + per_process[1]) == sorted(drawn)
    assert per_process[0] == [q for i, q in enumerate(drawn) if (i // 2) % 2 == 0]


# `accuracy` weighs 0 in the advantage: the tiny model sometimes writes a short sum's answer by chance, which would
# cancel a group's 1, 0 parity pattern; the curriculum's accuracy is `parity_mixed`
FILTERED = {"filter_groups": True, "accuracy_reward": "parity_mixed",
            "reward_funcs": ["accuracy", "spy_rewards:parity_mixed"], "reward_weights": [0.0, 1.0]}


def scored_rewards(spy_dir: Path, rank: str = "0") -> list[tuple[str, float]]:
    path = spy_dir / f"spy.rewards.{rank}"
    return [tuple(json.loads(line)) for line in path.read_text().splitlines()]


def is_mixed(question: str) -> bool:  # `parity_mixed` gives these questions mixed rewards
    return zlib.crc32(question.encode()) % 2 == 0


def expected_trained(entry: dict, questions: list[str], processes: int = 1) -> list[int]:
    """The round's slots after filtering: each process replaces its groups without mixed rewards, in order, by the
    mixed groups of its own share of each extra pass."""
    passes, trained = [entry["ranks"], *entry["extra_ranks"]], []
    for process in range(processes):
        def share(ranks):
            return ranks[process * len(ranks) // processes:(process + 1) * len(ranks) // processes]
        slots = share(passes[0])
        for extra in passes[1:]:
            fresh = iter([rank for rank in share(extra) if is_mixed(questions[rank])])
            slots = [rank if is_mixed(questions[rank]) else next(fresh, rank) for rank in slots]
        trained += slots
    return trained


def train_capturing_batches(args: TrainArguments):
    """Train with `build_trainer`, keeping every round's training batch as `_filter_round` returns it."""
    trainer = build_trainer(args, load_training_data(args.dataset_name, None, None))
    batches, filter_round = [], trainer._filter_round
    trainer._filter_round = lambda output: batches.append(filter_round(output)) or batches[-1]
    trainer.train()
    return trainer, batches


@pytest.mark.parametrize("curriculum", ["gainrl", "uniform", "length", "static"])
def test_filter_groups_trains_on_mixed_groups_drawn_from_the_curriculum(tiny_model_dir, scored_dir, tmp_path, spy,
                                                                        curriculum):
    args = train_args(tiny_model_dir, scored_dir, tmp_path / "run", curriculum=curriculum, center_init=0.5,
                      per_device_train_batch_size=8, max_steps=3, save_strategy="no", **FILTERED)
    trainer, batches = train_capturing_batches(args)
    rounds, questions = history(tmp_path / "run"), questions_by_rank(scored_dir, trainer.curriculum.settings.curriculum)
    records = scored_rewards(tmp_path)
    assert any(entry["extra_passes"] for entry in rounds)  # some groups were replaced, so the checks mean something
    for entry, batch in zip(rounds, batches, strict=True):
        passes = [entry["ranks"], *entry["extra_ranks"]]
        drawn = [rank for ranks in passes for rank in ranks]
        assert len(set(drawn)) == len(drawn) == entry["groups_generated"] and entry["extra_passes"] == len(passes) - 1
        scored, records = records[:2 * len(drawn)], records[2 * len(drawn):]
        assert [question for question, _ in scored] == [questions[rank] for rank in drawn for _ in range(2)]
        assert entry["accuracy"] == pytest.approx(sum(reward > 0.5 for _, reward in scored) / len(scored))
        assert entry["zero_variance_groups"] == sum(not is_mixed(questions[rank]) for rank in drawn)
        assert entry["trained_ranks"] == expected_trained(entry, questions)
        assert entry["groups_kept"] == sum(is_mixed(questions[rank]) for rank in entry["trained_ranks"])
        assert entry["groups_kept"] == 4 or entry["extra_passes"] == 3
        assert 0 < entry["generated_tokens"] <= 2 * len(drawn) * 8
        tokenizer, data = trainer.processing_class, trainer.train_dataset
        prompts = [tokenizer.decode(ids[mask.bool()]) for ids, mask in zip(batch["prompt_ids"], batch["prompt_mask"])]
        trained = [data[trainer.rank_to_row[rank]]["problem"] for rank in entry["trained_ranks"] for _ in range(2)]
        assert all(question in prompt for question, prompt in zip(trained, prompts, strict=True))
        advantages = batch["advantages"].view(-1, 2)
        assert [bool(group.abs().sum()) for group in advantages] == [is_mixed(q) for q in trained[::2]]
        assert int(batch["num_items_in_batch"]) == int(batch["completion_mask"].sum())
    assert records == []


def test_filter_groups_cap_ends_rounds_without_mixed_groups(tiny_model_dir, scored_dir, tmp_path, spy):
    args = train_args(tiny_model_dir, scored_dir, tmp_path / "run", max_steps=3, save_strategy="no",
                      filter_groups=True, filter_groups_max_passes=2, accuracy_reward="constant",
                      reward_funcs=["accuracy", "spy_rewards:constant"])
    trainer, _ = train_capturing_batches(args)
    rounds = history(tmp_path / "run")
    assert len(rounds) == 3
    for entry in rounds:
        assert entry["extra_passes"] == 2 and entry["groups_kept"] == 0 and entry["zero_variance_groups"] == 6
        assert entry["groups_generated"] == 6 and len({*entry["ranks"], *sum(entry["extra_ranks"], [])}) == 6
        assert entry["trained_ranks"] == entry["ranks"]  # the first pass's groups, with zero advantages
    logged = [e for e in trainer.state.log_history if "filter/extra_passes" in e]
    assert logged and all(e["filter/extra_passes"] == 2 and e["filter/groups_kept"] == 0 for e in logged)
    assert all(e["filter/groups_generated"] == 6 and e["filter/generated_tokens"] > 0 for e in logged)
    assert len(scored_rewards(tmp_path)) == 3 * 6 * 2


def test_filter_groups_resume_draws_what_the_uninterrupted_run_drew(tiny_model_dir, scored_dir, tmp_path, spy):
    run_train(train_args(tiny_model_dir, scored_dir, tmp_path / "full", max_steps=5, **FILTERED))
    run_train(train_args(tiny_model_dir, scored_dir, tmp_path / "cut", max_steps=2, **FILTERED))
    run_train(train_args(tiny_model_dir, scored_dir, tmp_path / "cut", max_steps=5, **FILTERED,
                         resume_from_checkpoint=str(tmp_path / "cut" / "checkpoint-2")))
    keys = ("ranks", "extra_ranks", "trained_ranks", "center", "groups_kept")
    full, resumed = history(tmp_path / "full"), history(tmp_path / "cut")
    assert any(entry["extra_ranks"] for entry in full[2:]) and len({entry["center"] for entry in full}) > 1
    assert [[e[key] for key in keys] for e in resumed] == [[e[key] for key in keys] for e in full]


def test_filter_groups_two_processes_draw_identically(tiny_model_dir, scored_dir, tmp_path, spy, run_gainrl):
    train_on_two_processes(tiny_model_dir, scored_dir, tmp_path / "run", "parity_mixed", "--filter_groups", "true")
    rounds, questions = history(tmp_path / "run"), questions_by_rank(scored_dir)
    assert len(rounds) == 3 and any(entry["extra_ranks"] for entry in rounds)
    for process in (0, 1):  # each process generated its half of every pass, in order
        def half(ranks):
            return ranks[process * len(ranks) // 2:(process + 1) * len(ranks) // 2]
        drawn = [rank for e in rounds for ranks in (e["ranks"], *e["extra_ranks"]) for rank in half(ranks)]
        assert [q for q, _ in scored_rewards(tmp_path, str(process))] == [questions[r] for r in drawn for _ in "ab"]
    assert all(entry["trained_ranks"] == expected_trained(entry, questions, processes=2) for entry in rounds)


def test_filter_groups_bad_settings_are_clear_errors(tiny_model_dir, scored_dir, tmp_path):
    data = load_training_data(str(scored_dir), None, None)
    with pytest.raises(ValueError, match="filter_groups_max_passes must be >= 0"):
        build_trainer(train_args(tiny_model_dir, scored_dir, tmp_path, filter_groups=True,
                                 filter_groups_max_passes=-1, reward_funcs=["accuracy"], accuracy_reward="accuracy"),
                      data)


def test_cli_pushes_checkpoint_branches_and_the_final_model(hub, api, tiny_model_dir, scored_dir, tmp_path,
                                                            repo_name, run_gainrl, use_eval_suite):
    from huggingface_hub import ModelCard
    from transformers import AutoModelForCausalLM

    api.create_repo(repo_name + "-base")
    api.upload_folder(repo_id=repo_name + "-base", folder_path=tiny_model_dir)
    run_score(ScoreArguments(model=str(tiny_model_dir), dataset=str(scored_dir.parent / "rows.json"),
                             output=str(tmp_path / "scored"), config_name="tiny", push_to_hub=repo_name + "-data"))
    run_gainrl("train", "--config", str(RECIPE), "--model_name_or_path", repo_name + "-base", "--dataset_name",
               repo_name + "-data", "--output_dir", str(tmp_path / "run"), "--max_steps", "4", "--save_steps", "2",
               "--push_to_hub", "true", "--hub_model_id", repo_name)
    branches = {ref.name for ref in api.list_repo_refs(repo_name).branches}
    assert {"main", "step-000002", "step-000004"} <= branches
    step_files = set(api.list_repo_files(repo_name, revision="step-000002"))
    assert {"model.safetensors", "gainrl_sampler_state.json", "trainer_state.json"} <= step_files
    assert not {"optimizer.pt", "scheduler.pt", "rng_state.pth"} & step_files
    main_files = set(api.list_repo_files(repo_name))
    assert {"model.safetensors", "gainrl_sampler_state.json", "sampler_history.jsonl", "images/curriculum.png",
            "images/training_curves.png", "README.md"} <= main_files
    assert not any(name.startswith(("checkpoint-", "_")) for name in main_files)
    for revision, local in (("main", tmp_path / "run"), ("step-000002", tmp_path / "run" / "checkpoint-2")):
        pulled = AutoModelForCausalLM.from_pretrained(repo_name, revision=revision).state_dict()
        saved = AutoModelForCausalLM.from_pretrained(local).state_dict()
        assert all(torch.equal(pulled[name], saved[name]) for name in saved)
    card = ModelCard.load(repo_name)
    assert card.data.base_model == repo_name + "-base" and card.data.datasets == [repo_name + "-data"]
    assert card.data.gainrl["curriculum"]["rank_std"] == 0.1
    assert card.data.gainrl["dataset"]["config"] == "tiny"
    assert card.data.gainrl["dataset"]["revision"] == api.dataset_info(repo_name + "-data").sha
    assert "Not evaluated yet" in card.text and "images/curriculum.png" in card.text
    run_gainrl("eval", "--model", repo_name, "--tasks", "gainrl_gsm8k", "--limit", "2", "--samples-per-problem", "1",
               "--max-new-tokens", "4", "--output", str(tmp_path / "eval"), "--push-results")
    card = ModelCard.load(repo_name)
    assert "Not evaluated yet" not in card.text and "| gainrl_gsm8k | standard | acc |" in card.text
    assert card.data.gainrl["curriculum"]["rank_std"] == 0.1 and card.data.eval_results


def test_bad_dataset_names_the_record_and_field(tiny_model_dir, scored_dir, tmp_path):
    from gainrl.train.data import raise_record_errors, record_errors

    data = datasets.load_dataset(str(scored_dir), split="train")
    ranks = list(data["angle_rank"])
    ranks[5] = ranks[3]
    broken = data.remove_columns("angle_rank").add_column("angle_rank", ranks)
    answers = list(broken["answer"])
    answers[7] = ""
    broken = broken.remove_columns("answer").add_column("answer", answers)
    errors = record_errors(broken, "problem", "answer")
    assert any(f"row 5 (id={broken[5]['id']!r}): field 'angle_rank'" in e and "row 3" in e for e in errors)
    assert any(f"row 7 (id={broken[7]['id']!r}): field 'answer'" in e for e in errors)
    with pytest.raises(ValueError, match="permutation"):
        raise_record_errors("x", errors)
    assert "missing" in record_errors(data.remove_columns("angle_score"), "problem", "answer")[0]


def test_not_a_scored_dataset_is_a_clear_cli_error(tiny_model_dir, tmp_path, run_gainrl):
    folder = tmp_path / "plain"
    datasets.Dataset.from_list(generate_problems(8)).to_parquet(str(folder / "data" / "train.parquet"))
    (folder / "README.md").write_text("---\nlicense: mit\n---\n")
    result = run_gainrl("train", "--config", str(RECIPE), "--model_name_or_path", str(tiny_model_dir),
                        "--dataset_name", str(folder), "--output_dir", str(tmp_path / "run"), check=False)
    assert result.returncode == 2 and "gainrl score" in result.stderr


def test_vllm_without_vllm_is_a_clear_error(tiny_model_dir, scored_dir, tmp_path):
    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed here")
    with pytest.raises(ValueError, match=r"gainrl\[vllm\]"):
        train_args(tiny_model_dir, scored_dir, tmp_path, use_vllm=True)


def test_overridden_prompt_is_used_and_recorded(tiny_model_dir, scored_dir, tmp_path, capsys):
    data = load_training_data(str(scored_dir), None, None, system_prompt="")
    assert data.dataset[0]["prompt"][0]["role"] == "user" and "differ" in capsys.readouterr().out
    recorded = load_training_data(str(scored_dir), None, None)
    assert recorded.dataset[0]["prompt"][0]["role"] == "system"
    trainer = build_trainer(train_args(tiny_model_dir, scored_dir, tmp_path), recorded)
    assert trainer.angle_layer == recorded.provenance.layer


def test_training_prompt_renders_like_the_scoring_prompt(tiny_model_dir, scored_dir):
    from transformers import AutoTokenizer

    from gainrl.prompts import render

    data = load_training_data(str(scored_dir), None, None)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    row = data.dataset[0]
    rendered = tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
    assert rendered == render(tokenizer, data.prompt_settings, row["problem"])
    assert len(tokenizer(rendered, add_special_tokens=False)["input_ids"]) == row["prompt_tokens"]
