"""What the demo Space computes, free of Gradio: the angle view of one question and its rank in a sorted dataset.

`angle_view` renders the question exactly as `gainrl score` does (`gainrl.prompts.segment_prompt`), runs the model
up to the scoring layer's MLP input once, and returns the token-to-token cosine matrix (for the heatmap; the
question is capped, so L x L stays small), each token's segment, and `c_intra`, `c_inter` and `angle_score` from
the same O(L*H) formulas `gainrl score` uses (`gainrl.angles`), so the numbers equal the scored dataset's.
`rank_in_dataset` places a score among a sorted dataset's scores.

What it does not cover: generation and answer checking (the app calls `transformers` and `gainrl.checkers`), and
drawing (the app plots the matrix).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import torch

from gainrl.angles import angle_score, concentration, segment_sums, unit_rows
from gainrl.models import layer_mlp
from gainrl.prompts import PromptSettings, segment_prompt


@dataclass
class AngleView:
    tokens: list[str]
    cosines: np.ndarray  # [L, L], float32
    segments: np.ndarray  # [L]: 0 template tail, 1 system / few-shot / role headers (P), 2 question (Q)
    c_intra: float
    c_inter: float | None
    angle_score: float


@dataclass
class DatasetRank:
    rank: int  # 0 = would be first (highest score)
    percentile: float  # share of the dataset's scores at or below this one, in %
    rows: int


def _mlp_input(model, input_ids: list[int], layer: int) -> torch.Tensor:
    """[L, H] input of `layers[layer].mlp` for one unpadded prompt."""
    captured = {}

    def keep(module, args):
        captured["hidden"] = args[0][0].detach()

    handle = layer_mlp(model, layer)[1].register_forward_pre_hook(keep)
    try:
        with torch.inference_mode():
            ids = torch.tensor([input_ids], device=next(model.parameters()).device)
            model.get_decoder()(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=False)
    finally:
        handle.remove()
    return captured["hidden"]


def angle_view(model, tokenizer, question: str, settings: PromptSettings | None = None, layer: int = -1,
               max_length: int = 1024, inter_weight: float = 1.0) -> AngleView:
    prompt = segment_prompt(tokenizer, settings or PromptSettings(), question, max_length)
    if prompt.question_tokens < 2:
        raise ValueError("the question needs at least two tokens for an angle concentration")
    hidden = _mlp_input(model, prompt.input_ids, layer)
    segments = torch.from_numpy(prompt.segments).to(hidden.device)
    s_prompt, s_question = segment_sums(hidden[None], segments[None])
    c_intra, c_inter = concentration(s_question[0].cpu(), prompt.question_tokens, s_prompt[0].cpu(),
                                     prompt.system_tokens)
    unit = unit_rows(hidden)
    return AngleView(tokens=tokenizer.convert_ids_to_tokens(prompt.input_ids),
                     cosines=(unit @ unit.T).cpu().numpy(), segments=prompt.segments, c_intra=c_intra,
                     c_inter=c_inter, angle_score=angle_score(c_intra, c_inter, inter_weight))


def rank_in_dataset(score: float, dataset_scores: list[float]) -> DatasetRank:
    """Where `score` would rank among `dataset_scores` (highest first), and its percentile."""
    ascending = sorted(s for s in dataset_scores if not np.isnan(s))
    if not ascending:
        raise ValueError("the dataset has no finite scores")
    at_or_below = bisect.bisect_right(ascending, score)
    return DatasetRank(rank=len(ascending) - at_or_below, percentile=100.0 * at_or_below / len(ascending),
                       rows=len(ascending))
