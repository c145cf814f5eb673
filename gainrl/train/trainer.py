"""`GainRLTrainer`: TRL's `GRPOTrainer` with the GAIN-RL curriculum, overriding as little as possible.

How it plugs into TRL (no copy of TRL code):
* Rounds. TRL generates once per generation batch (`_generate_and_score_completions`). There the trainer closes
  the previous round (accuracy and angle averaged over all processes -> `CurriculumSampler.finish_round`), draws
  this round's ranks at the new centre, and replaces the prompts the dataloader delivered by the curriculum's rows
  (each repeated `num_generations` times; this process's slice of the global generation batch, laid out as TRL's
  `RepeatSampler` would). The dataloader only paces the loop, so its read-ahead cannot make a draw lag a round.
  Under `uniform` TRL's own shuffled sampler chooses and the trainer only records which ranks it chose.
* Every process draws with the same seeded generator from the same reduced signals; a checksum of each draw is
  compared across processes and a mismatch stops training.
* Accuracy: the fraction of the round's completions whose accuracy reward exceeds `success_threshold`, read from
  the rewards TRL has gathered over all processes (`_calculate_rewards`), so any reward scale works.
* Angle: a forward pre-hook on the scoring layer's MLP (the module object, resolved before any wrapping), active
  only during `compute_loss`'s policy forward (not generation, old/ref log-probs, or activation-checkpoint
  recomputation), measures each prompt + completion's mean pairwise cosine over non-pad tokens in O(L*H)
  (`gainrl.angles.sequence_concentration`); sums are reduced over processes when the round closes.
* Group filtering (`filter_groups`, DAPO's dynamic sampling): after the round's first pass is scored, the groups
  whose accuracy rewards are all equal are replaced by groups of prompts drawn anew at the same centre
  (`CurriculumSampler.draw_more`, excluding the round's prompts so far; uniformly under `uniform`), each extra pass
  a call of TRL's own `_generate_and_score_completions`, until every slot holds a mixed group or
  `filter_groups_max_passes` extra passes are spent (or the dataset has no unused prompt left). Each process fills
  only its own slots (`gainrl.train.group_filter`): every process generates the same number of groups per pass, and no
  completion moves between processes. "Trains on what it has": the batch keeps TRL's shape; slots still open keep
  their first-pass group, whose advantages are 0, so they add no policy-gradient term but, as in plain GRPO, count
  in the loss's token normalisation (`num_items_in_batch` is recomputed for the merged batch) and the KL term.
  Advantages are each pass's own, as TRL computes them (per group under the default `scale_rewards="group"`; per
  pass under `"batch"`). The round's accuracy counts every generated completion, dropped groups included.
* Per round, into the history and TRL's logs: `generated_tokens` (completion tokens, all passes and processes),
  `groups_generated`, `zero_variance_groups` (`curriculum/zero_variance_share`); with filtering also
  `extra_passes`, `extra_ranks`, `groups_kept` (trained groups with mixed rewards), `trained_ranks`, logged as
  `filter/groups_generated`, `filter/groups_kept`, `filter/extra_passes`, `filter/generated_tokens`.
* State: `gainrl_sampler_state.json` in every checkpoint (a complete round is closed first) and in the output dir;
  `resume_from_checkpoint` restores it, so a resumed run draws what the uninterrupted run would have drawn.
  `sampler_history.jsonl` in the output dir gets one line per round; `curriculum/*` metrics go to TRL's logs.
* Hub: checkpoints are pushed to branches `step-<global_step:06d>` without optimizer, scheduler or RNG state; the
  final `push_to_hub` goes to `hub_revision` (default `main`) with gainrl's model card, which the trainer renders
  itself (`gainrl.train.report.write_card`) from its arguments and the `TrainingData` it was given (`training_data`;
  without it, TRL's card).

What it does not cover: argument parsing, data loading and the card's contents (`gainrl.train.command`,
`gainrl.train.data`, `gainrl.train.report`), and checkpoints saved in the middle of a round when
`steps_per_generation` exceeds `gradient_accumulation_steps` (the state is saved, but TRL regenerates the round's
completions on resume), and group filtering with multimodal inputs, custom rollout fields, or (over several
processes) a per-process generation batch that splits a group.
"""

from __future__ import annotations

import json
import os
import shutil
import zlib
from pathlib import Path

import numpy as np
import torch
from accelerate.utils import gather_object
from trl import GRPOTrainer

from gainrl.angles import sequence_concentration
from gainrl.curriculum import CurriculumSampler, CurriculumSettings
from gainrl.models import layer_mlp
from gainrl.train.data import ROW_COLUMN
from gainrl.train.group_filter import RoundSlots, merge_groups, mixed_groups
from gainrl.train.report import write_card

HISTORY_FILE = "sampler_history.jsonl"
OPTIMIZER_STATE_PATTERNS = ("optimizer.*", "scheduler.*", "scaler.*", "rng_state*")


class GainRLTrainer(GRPOTrainer):
    """`GRPOTrainer` whose training prompts come from a `CurriculumSampler` over an angle (or length) order."""

    def __init__(self, *args, curriculum: CurriculumSettings, rank_to_row: list[int], accuracy_reward: str = "accuracy",
                 success_threshold: float = 0.5, angle_layer: int = -1, curriculum_seed: int = 0,
                 filter_groups: bool = False, filter_groups_max_passes: int = 3, training_data=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._check_filter_settings(filter_groups, filter_groups_max_passes)
        self.filter_groups, self.filter_groups_max_passes = filter_groups, filter_groups_max_passes
        if accuracy_reward not in self.reward_func_names:
            raise ValueError(f"accuracy_reward {accuracy_reward!r} is not among reward_funcs {self.reward_func_names}")
        if len(rank_to_row) != len(self.train_dataset) or sorted(rank_to_row) != list(range(len(rank_to_row))):
            raise ValueError("rank_to_row must be a permutation of the training dataset's rows")
        self.rank_to_row = list(rank_to_row)
        self.row_to_rank = {row: rank for rank, row in enumerate(self.rank_to_row)}
        self.accuracy_index = self.reward_func_names.index(accuracy_reward)
        self.success_threshold = success_threshold
        prompts_per_round = self.args.generation_batch_size // self.num_generations
        self.curriculum = CurriculumSampler(len(self.rank_to_row), prompts_per_round, curriculum, curriculum_seed)
        # successes, completions (over all processes); angle sum, sequences, generated tokens (this process's)
        self._signals = torch.zeros(5, dtype=torch.float64)
        self._round_details = new_round_details()
        self._last_mixed: list[bool] = []  # the latest pass's groups: mixed accuracy rewards or not
        self._angle_mask: torch.Tensor | None = None
        self._angle_offset = 0
        self.angle_layer, mlp = layer_mlp(self.accelerator.unwrap_model(self.model), angle_layer)
        mlp.register_forward_pre_hook(self._measure_angle)
        self._hub_pushes: list = []
        self.training_data = training_data  # gainrl.train.data.TrainingData: gainrl's card; None: TRL's card

    @property
    def drives_sampling(self) -> bool:
        return self.curriculum.settings.curriculum != "uniform"

    def _check_filter_settings(self, filter_groups: bool, max_passes: int) -> None:
        if max_passes < 0:
            raise ValueError(f"filter_groups_max_passes must be >= 0, got {max_passes}")
        local_rows = self.args.generation_batch_size // self.accelerator.num_processes
        if filter_groups and local_rows % self.num_generations:
            raise ValueError(f"filter_groups needs each process's generation batch ({local_rows} completions) to hold "
                             f"whole groups of num_generations={self.num_generations}; raise "
                             "per_device_train_batch_size or steps_per_generation")

    # ------------------------------------------------------------------ signals

    def _measure_angle(self, module, args):
        if self._angle_mask is None:
            return
        hidden = args[0].detach()
        rows = slice(self._angle_offset, self._angle_offset + hidden.shape[0])  # TRL may chunk the batch
        self._angle_offset += hidden.shape[0]
        values = sequence_concentration(hidden, self._angle_mask[rows].to(hidden.device))
        self._signals[2] += float(values.double().sum())
        self._signals[3] += values.numel()

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if model.training:
            self._angle_mask, self._angle_offset = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1), 0
        try:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        finally:
            self._angle_mask = None

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        if self.model.training:  # rewards are gathered over all processes already
            accuracy = rewards[:, self.accuracy_index]
            self._signals[0] += float((accuracy > self.success_threshold).sum())
            self._signals[1] += accuracy.numel()
            self._signals[4] += sum(len(ids) for ids in completion_ids_list)
            self._last_mixed = mixed_groups(accuracy, self.num_generations)
            self._round_details["groups_generated"] += len(self._last_mixed)
            self._round_details["zero_variance_groups"] += self._last_mixed.count(False)
        return rewards

    # ------------------------------------------------------------------ rounds

    def _generate_and_score_completions(self, inputs):
        if not self.model.training:
            return super()._generate_and_score_completions(inputs)
        self._close_round()
        inputs = self._round_inputs(inputs) if self.drives_sampling else self._observe_round(inputs)
        output = super()._generate_and_score_completions(inputs)
        return self._filter_round(output) if self.filter_groups else output

    def _round_inputs(self, delivered: list[dict]) -> list[dict]:
        ranks = self.curriculum.draw_round()
        self._check_same_draw_everywhere(ranks)
        return self._local_inputs(ranks)

    def _local_inputs(self, ranks: list[int]) -> list[dict]:
        """This process's slice of the rows for `ranks` (each repeated `num_generations` times), as TRL lays out a
        generation batch over processes."""
        rows = [self.rank_to_row[rank] for rank in ranks]
        per_process = len(rows) * self.num_generations // self.accelerator.num_processes
        start = self.accelerator.process_index * per_process
        local = [row for row in rows for _ in range(self.num_generations)][start:start + per_process]
        fetched = {row: self.train_dataset[row] for row in set(local)}
        return [dict(fetched[row]) for row in local]

    def _filter_round(self, output: dict) -> dict:
        """Group filtering: replace the groups without mixed accuracy rewards by groups of newly drawn prompts (same
        curriculum and centre, none twice in the round), at most `filter_groups_max_passes` extra passes; slots
        still open keep their first-pass group (`gainrl.train.group_filter`)."""
        slots = RoundSlots(self._last_mixed, self.accelerator.num_processes)
        outputs, pass_ranks = [output], [list(self.curriculum.pending["ranks"])]
        while len(outputs) <= self.filter_groups_max_passes:
            drawn = [rank for ranks in pass_ranks for rank in ranks]
            count = min(slots.groups_needed(), (len(self.rank_to_row) - len(drawn)) // slots.processes)
            if count == 0:
                break
            pass_ranks.append(self.curriculum.draw_more(count * slots.processes, drawn))
            self._check_same_draw_everywhere(pass_ranks[-1])
            outputs.append(super()._generate_and_score_completions(self._local_inputs(pass_ranks[-1])))
            slots.add_pass(self._last_mixed)
        trained = [pass_ranks[index][group] for index, group in slots.slots]
        self._round_details.update(extra_passes=len(outputs) - 1, extra_ranks=pass_ranks[1:],
                                   groups_kept=slots.kept, trained_ranks=trained)
        if len(outputs) == 1:
            return output
        merged = merge_groups(outputs, slots.local_plan(self.accelerator.process_index), self.num_generations,
                              self._tokenizer.pad_token_id)
        loss_mask = merged["completion_mask"] * merged.get("tool_mask", 1)
        merged["num_items_in_batch"] = self.accelerator.gather(loss_mask.sum()).sum()
        return merged

    def _observe_round(self, delivered: list[dict]) -> list[dict]:
        rows = [row for part in gather_object([[item[ROW_COLUMN] for item in delivered]]) for row in part]
        self.curriculum.observe_round([self.row_to_rank[row] for row in dict.fromkeys(rows)])
        return delivered

    def _check_same_draw_everywhere(self, ranks: list[int]) -> None:
        if self.accelerator.num_processes == 1:
            return
        checksum = zlib.crc32(np.asarray(ranks, dtype=np.int64).tobytes())
        sums = self.accelerator.gather(torch.tensor([checksum], device=self.accelerator.device))
        if len(set(sums.tolist())) != 1:
            raise RuntimeError(f"curriculum draws differ across processes (checksums {sums.tolist()})")

    def _close_round(self) -> None:
        if self.curriculum.pending is None:
            return
        reduced = self.accelerator.reduce(self._signals[2:].to(self.accelerator.device), reduction="sum").cpu()
        successes, completions = self._signals[0], self._signals[1]
        accuracy = float(successes / completions) if completions else 0.0
        mean_angle = float(reduced[0] / reduced[1]) if reduced[1] else 0.0
        entry = self.curriculum.finish_round(accuracy, mean_angle, self.state.global_step,
                                             generated_tokens=int(reduced[2]), **self._round_details)
        self._signals.zero_()
        self._round_details = new_round_details()
        self._log_round(entry)

    def _log_round(self, entry: dict) -> None:
        metrics = self._metrics["train"]
        ranks = np.asarray(entry["ranks"], dtype=np.float64)
        values = {"accuracy": entry["accuracy"], "angle": entry["angle"], "center": entry["center"],
                  "shift": entry["shift"], "rank_mean": ranks.mean(),
                  **{f"rank_p{q:02d}": np.percentile(ranks, q) for q in (5, 50, 95)}}
        if entry["groups_generated"]:
            values.update(generated_tokens=entry["generated_tokens"],
                          zero_variance_share=entry["zero_variance_groups"] / entry["groups_generated"])
        for name, value in values.items():
            if value is not None:
                metrics[f"curriculum/{name}"].append(float(value))
        if "extra_passes" in entry:
            for name in ("groups_generated", "groups_kept", "extra_passes", "generated_tokens"):
                metrics[f"filter/{name}"].append(float(entry[name]))
        if self.args.should_save:
            os.makedirs(self.args.output_dir, exist_ok=True)
            with open(Path(self.args.output_dir) / HISTORY_FILE, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")

    def _round_complete(self) -> bool:
        return self._step % (self.args.steps_per_generation * self.num_iterations) == 0

    # ------------------------------------------------------------------ state

    def _save_checkpoint(self, model, trial):
        if self._round_complete():
            self._close_round()
        if self.args.should_save:
            folder = Path(self._get_output_dir(trial=trial)) / f"checkpoint-{self.state.global_step}"
            self.curriculum.save(folder)  # before TRL saves, so the checkpoint push includes it
        super()._save_checkpoint(model, trial)

    def _load_optimizer_and_scheduler(self, checkpoint):
        super()._load_optimizer_and_scheduler(checkpoint)
        if checkpoint is not None and (Path(checkpoint) / "gainrl_sampler_state.json").exists():
            self.curriculum.load(checkpoint)
            if self.args.should_save:
                self._rewrite_history_file()

    def _rewrite_history_file(self) -> None:
        path = Path(self.args.output_dir) / HISTORY_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(".tmp")
        staging.write_text("".join(json.dumps(entry) + "\n" for entry in self.curriculum.history), encoding="utf-8")
        os.replace(staging, path)

    def train(self, resume_from_checkpoint=None, *args, **kwargs):
        if not resume_from_checkpoint and self.args.should_save:
            self._rewrite_history_file()  # a fresh run starts a fresh history
        output = super().train(resume_from_checkpoint, *args, **kwargs)
        self._close_round()
        if self.args.should_save:
            self.curriculum.save(self.args.output_dir)
        self._finish_current_push()
        return output

    # ------------------------------------------------------------------ Hub

    def create_model_card(self, model_name: str | None = None, **kwargs):
        if self.training_data is None:
            return super().create_model_card(model_name=model_name, **kwargs)
        if self.is_world_process_zero():
            write_card(self, self.training_data, model_name)

    def _push_from_checkpoint(self, checkpoint_folder: str) -> None:
        """Push the checkpoint (weights, tokenizer, trainer and sampler state) to branch `step-NNNNNN`."""
        if not self.is_world_process_zero():
            return
        from huggingface_hub import HfApi

        branch = f"step-{self.state.global_step:06d}"
        staging = Path(self.args.output_dir) / "_hub_push" / branch  # "_*" is never part of the final push
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(checkpoint_folder, staging, copy_function=_link_or_copy,
                        ignore=shutil.ignore_patterns(*OPTIMIZER_STATE_PATTERNS))
        api = HfApi(token=self.args.hub_token)
        api.create_branch(self.hub_model_id, branch=branch, exist_ok=True)
        future = api.upload_folder(repo_id=self.hub_model_id, folder_path=staging, revision=branch,
                                   commit_message=f"gainrl train: checkpoint at step {self.state.global_step}",
                                   run_as_future=True)
        future.add_done_callback(lambda _: shutil.rmtree(staging, ignore_errors=True))
        self._hub_pushes.append(future)

    def _finish_current_push(self) -> None:
        super()._finish_current_push()
        pushes, self._hub_pushes = getattr(self, "_hub_pushes", []), []
        for future in pushes:
            future.result()  # raises if an upload failed


def new_round_details() -> dict:
    """Counters a round accumulates over its passes (global: every process counts the gathered rewards)."""
    return {"groups_generated": 0, "zero_variance_groups": 0}


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
