"""Group filtering (DAPO's dynamic sampling) for a GRPO round, free of the trainer: which generated group fills
each of the round's slots, and the merged training batch.

A round has K slots, one per prompt group (a prompt's `num_generations` completions); with P processes, process p
owns slots [p*K/P, (p+1)*K/P) and its rows of the generation batch, as TRL lays them out. A group is *mixed* when
its accuracy rewards take at least two distinct finite values; any other group carries no GRPO advantage. After a
pass, every slot holding a group that is not mixed is open; the next pass generates, on every process, as many new
groups as the process with most open slots needs (so every process generates the same number of rows, which TRL's
collective operations require), and each process fills its own open slots, in order, with its own new mixed groups
(surplus mixed groups are not trained on). Slots still open when the passes stop keep their first-pass group:
the batch keeps TRL's shape, and those groups add no policy-gradient term (their advantages are 0).

What it does not cover: drawing prompts (`gainrl.curriculum`), generating and scoring them (TRL), and moving
groups between processes (a process never trains on another's groups).
"""

from __future__ import annotations

import torch

LEFT_PADDED = {"prompt_ids", "prompt_mask"}
RIGHT_PADDED = {"completion_ids", "completion_mask", "tool_mask", "old_per_token_logps", "ref_per_token_logps",
                "sampling_per_token_logps", "importance_sampling_ratio"}
PER_ROW = {"advantages"}
RECOMPUTED = {"num_items_in_batch"}


def mixed_groups(rewards: torch.Tensor, group_size: int) -> list[bool]:
    """For consecutive groups of `group_size` rewards: True where a group holds two distinct finite values."""
    grouped = rewards.detach().double().cpu().view(-1, group_size)
    finite = torch.isfinite(grouped)
    highest = torch.where(finite, grouped, -torch.inf).amax(dim=1)
    lowest = torch.where(finite, grouped, torch.inf).amin(dim=1)
    return (highest > lowest).tolist()


class RoundSlots:
    """Which (pass, group) fills each slot of a round; groups are indexed globally within their pass, process-major."""

    def __init__(self, first_pass_mixed: list[bool], processes: int) -> None:
        if len(first_pass_mixed) % processes:
            raise ValueError(f"{len(first_pass_mixed)} groups cannot be split evenly over {processes} processes")
        self.processes = processes
        self.mixed = [list(first_pass_mixed)]
        self.slots = [(0, group) for group in range(len(first_pass_mixed))]

    @property
    def slots_per_process(self) -> int:
        return len(self.slots) // self.processes

    def _is_mixed(self, slot: int) -> bool:
        pass_index, group = self.slots[slot]
        return self.mixed[pass_index][group]

    def open_slots(self, process: int) -> list[int]:
        first = process * self.slots_per_process
        return [slot for slot in range(first, first + self.slots_per_process) if not self._is_mixed(slot)]

    def groups_needed(self) -> int:
        """New groups each process must generate in the next pass (the most open slots any process has)."""
        return max(len(self.open_slots(process)) for process in range(self.processes))

    def add_pass(self, mixed: list[bool]) -> None:
        """Record a pass of `len(mixed)` new groups (each process generated an equal share) and fill open slots."""
        per_process = len(mixed) // self.processes
        self.mixed.append(list(mixed))
        for process in range(self.processes):
            new = range(process * per_process, (process + 1) * per_process)
            candidates = [group for group in new if mixed[group]]
            for slot, group in zip(self.open_slots(process), candidates):
                self.slots[slot] = (len(self.mixed) - 1, group)

    @property
    def kept(self) -> int:
        """Slots holding a mixed group."""
        return sum(self._is_mixed(slot) for slot in range(len(self.slots)))

    @property
    def groups_generated(self) -> int:
        return sum(len(mixed) for mixed in self.mixed)

    def local_plan(self, process: int) -> list[tuple[int, int]]:
        """(pass, group index within that pass on this process) for each of the process's slots, in order."""
        plan = []
        for slot in range(process * self.slots_per_process, (process + 1) * self.slots_per_process):
            pass_index, group = self.slots[slot]
            plan.append((pass_index, group - process * (len(self.mixed[pass_index]) // self.processes)))
        return plan


def merge_groups(outputs: list[dict], plan: list[tuple[int, int]], group_size: int, pad_token_id: int) -> dict:
    """The training batch made of the planned groups, taken from each pass's local TRL batch, re-padded to common
    widths (prompts on the left, completions on the right); `num_items_in_batch` is left for the caller."""
    unknown = set(outputs[0]) - LEFT_PADDED - RIGHT_PADDED - PER_ROW - RECOMPUTED
    if unknown:
        raise ValueError(f"filter_groups cannot merge the batch field(s) {sorted(unknown)} (multimodal inputs and "
                         "custom rollout fields are not supported with group filtering)")
    used = sorted({pass_index for pass_index, _ in plan})
    starts, total = {}, 0
    for pass_index in used:
        starts[pass_index], total = total, total + len(outputs[pass_index]["advantages"])
    index = torch.tensor([starts[pass_index] + row for pass_index, group in plan
                          for row in range(group * group_size, (group + 1) * group_size)])
    merged = {}
    for key in [key for key in outputs[0] if key not in RECOMPUTED]:
        padding = pad_token_id if key in ("prompt_ids", "completion_ids") else (1 if key == "tool_mask" else 0)
        stacked = _concatenate([outputs[pass_index][key] for pass_index in used], padding, left=key in LEFT_PADDED)
        merged[key] = stacked[index.to(stacked.device)]
    return merged


def _concatenate(parts: list[torch.Tensor], padding: float, left: bool) -> torch.Tensor:
    if parts[0].dim() == 1:
        return torch.cat(parts)
    width = max(part.shape[1] for part in parts)
    padded = []
    for part in parts:
        extra = torch.full((part.shape[0], width - part.shape[1]), padding, dtype=part.dtype, device=part.device)
        padded.append(torch.cat([extra, part] if left else [part, extra], dim=1))
    return torch.cat(padded)
