"""Batched pre-fill that stops at one decoder layer's MLP input and reduces it to per-prompt segment sums.

A forward pre-hook on `layers[k].mlp` receives the output of that layer's post-attention norm (what `up_proj`
sees), reduces it to (s_P, s_Q) for every prompt of the batch and aborts the forward, so no later MLP, final
norm or `lm_head` runs and no activation outlives its batch. Batches are right-padded: causal attention keeps
every real token blind to the padding after it, and positions start at 0 in every row, so a prompt's sums do
not depend on what it is batched with.

What it does not cover: architectures whose decoder layers lack an `mlp` submodule, encoder-decoder models,
tensor-parallel sharding inside one process (use `accelerate launch` to shard prompts over processes).
"""

from __future__ import annotations

import torch

from gainrl.angles import segment_sums
from gainrl.models import layer_mlp
from gainrl.prompts import SegmentedPrompt


class _StopForward(Exception):
    """Raised by the hook once the target activations are reduced; ends the forward early."""


def pad_batch(prompts: list[SegmentedPrompt], pad_id: int, device: torch.device):
    """Right-padded input ids, attention mask and segment labels for a batch of prompts."""
    width = max(p.prompt_tokens for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    segments = torch.zeros((len(prompts), width), dtype=torch.int8)
    for row, prompt in enumerate(prompts):
        length = prompt.prompt_tokens
        ids[row, :length] = torch.tensor(prompt.input_ids)
        mask[row, :length] = 1
        segments[row, :length] = torch.from_numpy(prompt.segments)
    return ids.to(device), mask.to(device), segments.to(device)


class SegmentSumPrefill:
    """Runs batches through the model up to `layers[layer].mlp` and returns (s_P, s_Q) in float32 on the CPU."""

    def __init__(self, model, layer: int = -1):
        self.model, self.device = model, next(model.parameters()).device
        self.layer, self._target = layer_mlp(model, layer)
        self._segments: torch.Tensor | None = None
        self._sums: tuple[torch.Tensor, torch.Tensor] | None = None
        self.pad_id = model.config.pad_token_id if model.config.pad_token_id is not None else 0

    def _hook(self, module, args):
        self._sums = segment_sums(args[0], self._segments)
        raise _StopForward

    @torch.inference_mode()
    def __call__(self, prompts: list[SegmentedPrompt]) -> tuple[torch.Tensor, torch.Tensor]:
        ids, mask, self._segments = pad_batch(prompts, self.pad_id, self.device)
        handle = self._target.register_forward_pre_hook(self._hook)
        try:
            self.model.get_decoder()(input_ids=ids, attention_mask=mask, use_cache=False)
        except _StopForward:
            pass
        finally:
            handle.remove()
        s_prompt, s_question = self._sums
        self._sums = self._segments = None
        return s_prompt.cpu(), s_question.cpu()
