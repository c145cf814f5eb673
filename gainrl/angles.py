"""Angle concentration of token hidden states, computed from segment sums in O(L*H) (pure torch, no model code).

For unit vectors x_i (hidden states divided by their L2 norm) and two token segments P (system prompt, few-shot,
role headers) and Q (the question), with s_A = sum of x_i over A:

    c_intra = mean cos(x_i, x_j) over ordered pairs i != j in Q = (|s_Q|^2 - |Q|) / (|Q| (|Q| - 1))
    c_inter = mean cos(x_i, x_j) over i in Q, j in P          = (s_Q . s_P) / (|Q| |P|)
    angle_score = c_intra + w * c_inter                      (c_inter undefined, and left out, when P is empty)

Training measures one whole sequence (prompt + completion, padding excluded) the same way: its c_intra over all
valid tokens (`sequence_concentration`).

This is the signal of GAIN-RL (https://huggingface.co/papers/2506.02281). No L x L matrix is ever built.

What it does not cover: choosing the tokens of each segment (see `gainrl.prompts`), running the model (see
`gainrl.scoring`), or the reference code's different computation (see `gainrl.score.reference`).
"""

from __future__ import annotations

import math

import torch

PROMPT_SEGMENT, QUESTION_SEGMENT = 1, 2


def unit_rows(hidden: torch.Tensor) -> torch.Tensor:
    """Hidden states in float32, each divided by its L2 norm along the hidden axis."""
    return torch.nn.functional.normalize(hidden.float(), p=2, dim=-1)


def segment_sums(hidden: torch.Tensor, segments: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(s_P, s_Q) for a batch: `hidden` [B, L, H], `segments` [B, L] holding 0 (neither), 1 (P) or 2 (Q).

    Rows outside a segment are selected away with `where`, not multiplied by zero, so padding rows that hold
    NaN or inf (fully masked attention) cannot leak into the sums.
    """
    unit = unit_rows(hidden)
    zero = unit.new_zeros(())
    s_prompt = torch.where((segments == PROMPT_SEGMENT).unsqueeze(-1), unit, zero).sum(dim=1)
    s_question = torch.where((segments == QUESTION_SEGMENT).unsqueeze(-1), unit, zero).sum(dim=1)
    return s_prompt, s_question


def sequence_concentration(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per row of `hidden` [B, L, H]: the mean cosine over ordered pairs of distinct tokens where `mask` [B, L] is
    set, (|s|^2 - n) / (n (n - 1)); 0 for rows with fewer than two such tokens. Float32, on `hidden`'s device."""
    valid = mask.bool()
    sums = torch.where(valid.unsqueeze(-1), unit_rows(hidden), hidden.new_zeros((), dtype=torch.float32)).sum(dim=1)
    count = valid.sum(dim=1).float()
    values = (sums.pow(2).sum(dim=-1) - count) / (count * (count - 1)).clamp(min=1.0)
    return torch.where(count >= 2, values, torch.zeros_like(values))


def concentration(s_question: torch.Tensor, n_question: int, s_prompt: torch.Tensor,
                  n_prompt: int) -> tuple[float, float | None]:
    """(c_intra, c_inter) of one prompt from its segment sums; c_inter is None when P is empty."""
    if n_question < 2:
        raise ValueError(f"c_intra needs at least 2 question tokens, got {n_question}")
    s_question, s_prompt = s_question.double(), s_prompt.double()
    c_intra = (s_question.dot(s_question).item() - n_question) / (n_question * (n_question - 1))
    c_inter = s_question.dot(s_prompt).item() / (n_question * n_prompt) if n_prompt else None
    return c_intra, c_inter


def angle_score(c_intra: float, c_inter: float | None, inter_weight: float = 1.0) -> float:
    """c_intra + w * c_inter, or c_intra alone when there is no prompt segment."""
    score = c_intra if c_inter is None else c_intra + inter_weight * c_inter
    if not math.isfinite(score):
        raise FloatingPointError(f"angle score is not finite ({score}); the hidden states hold NaN or inf")
    return score
