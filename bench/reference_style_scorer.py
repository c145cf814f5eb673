"""The baseline for bench/bench_score.py: scoring the way the reference `data_processor.py` runs, computing
gainrl's metric so the two can be checked against each other.

Batch size 1, the full forward (all layers, final norm, lm_head), the last layer's `up_proj` input kept for every
prompt until the end, then an L x L cosine matrix per prompt and the block means over it.

    python bench/reference_style_scorer.py --model DIR --dataset FILE.json --out scores.json [--max-length 1024]
        [--device cpu|cuda] [--dtype float32|bfloat16]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gainrl.angles import PROMPT_SEGMENT, QUESTION_SEGMENT  # noqa: E402
from gainrl.prompts import PromptSettings, segment_prompt  # noqa: E402


def block_means(x: torch.Tensor, segments) -> tuple[float, float]:
    unit = torch.nn.functional.normalize(x.float(), dim=-1)
    cos = unit @ unit.T
    q = torch.from_numpy(segments == QUESTION_SEGMENT)
    p = torch.from_numpy(segments == PROMPT_SEGMENT)
    qq = cos[q][:, q]
    n = int(q.sum())
    return ((qq.sum() - qq.diagonal().sum()) / (n * (n - 1))).item(), cos[q][:, p].mean().item()


def main() -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    args = parser.parse_args()
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=getattr(torch, args.dtype)).to(args.device).eval()
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    questions = [row["problem"] for row in json.loads(Path(args.dataset).read_text())]
    prompts = [segment_prompt(tokenizer, PromptSettings(), q, args.max_length) for q in questions]
    kept = []
    hook = model.model.layers[-1].mlp.up_proj.register_forward_hook(lambda m, a, o: kept.append(a[0][0].detach()))
    with torch.no_grad():
        for prompt in prompts:
            model(input_ids=torch.tensor([prompt.input_ids], device=args.device))
    hook.remove()
    scores = [block_means(x.cpu(), prompt.segments) for x, prompt in zip(kept, prompts)]
    Path(args.out).write_text(json.dumps([{"c_intra": a, "c_inter": b} for a, b in scores]))


if __name__ == "__main__":
    main()
