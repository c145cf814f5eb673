"""The reference implementation's angle metric (`data_processor.py` of wangqinsi1/GAINRL @ 20279ca), reproduced
quirks included, for comparison studies only (`gainrl score --metric reference`).

Per prompt, batch size 1: tokenize the rendered text with the tokenizer's default special tokens, truncating on
the right at `max_length`; run the full model; take the input of the last layer's `mlp.up_proj` as x [L, H] in
float32, row-normalise, C = x x^T masked by tril(diagonal=1) (diagonal and first super-diagonal kept), and

    value = C[110:-6][110:-6].mean() + 8 * C[110:-6][:110].mean()

Both subscripts slice rows (not a 2-D block), both means divide by the full width L, the offsets 110 and 6 are
the Qwen2.5 template's with the paper's prompt, and the first term is NaN whenever L <= 232. gainrl's default
`--metric angle` computes the paper's quantity instead (`gainrl.angles`). See shared docs, method.md, A.2-A.3.

What it does not cover: the reference's sort (`torch.argsort` puts NaN first in an unspecified order; gainrl ranks
NaN first with ties broken by id, so its output is deterministic).
"""

from __future__ import annotations

import warnings

import torch

from gainrl.models import layer_mlp

REFERENCE_PREFIX_TOKENS = 110
REFERENCE_TAIL_TOKENS = 6
REFERENCE_INTER_WEIGHT = 8.0


def reference_value(mlp_input: torch.Tensor) -> float:
    """The reference metric of one prompt from its [L, H] `up_proj` input (NaN where the reference gives NaN)."""
    unit = torch.nn.functional.normalize(mlp_input.float(), p=2, dim=1)
    length = unit.shape[0]
    cos = (unit @ unit.T) * torch.ones(length, length).tril(diagonal=1)
    rows = cos[REFERENCE_PREFIX_TOKENS:-REFERENCE_TAIL_TOKENS]
    first, second = rows[REFERENCE_PREFIX_TOKENS:-REFERENCE_TAIL_TOKENS], rows[:REFERENCE_PREFIX_TOKENS]
    with warnings.catch_warnings():  # the mean of an empty block is NaN, as in the reference
        warnings.simplefilter("ignore")
        return (first.mean() + REFERENCE_INTER_WEIGHT * second.mean()).item()


class ReferencePrefill:
    """Batch-1 full forward with a hook on the last layer's `mlp.up_proj`, as `data_processor.py` runs it."""

    def __init__(self, model, tokenizer, max_length: int):
        self.model, self.tokenizer, self.max_length = model, tokenizer, max_length
        self.device = next(model.parameters()).device
        self._target = layer_mlp(model, -1)[1].up_proj
        self._captured: torch.Tensor | None = None

    def _hook(self, module, args, output):
        self._captured = args[0].detach()

    @torch.inference_mode()
    def __call__(self, text: str) -> float:
        inputs = self.tokenizer([text], truncation=True, max_length=self.max_length, return_tensors="pt")
        handle = self._target.register_forward_hook(self._hook)
        try:
            self.model(**inputs.to(self.device))
        finally:
            handle.remove()
        value, self._captured = reference_value(self._captured[0].cpu()), None
        return value
