"""`gainrl audit`: does a model's angle score carry information beyond prompt length?

On a seeded random subset of a dataset it measures, per prompt: `angle_score` and `prompt_tokens` (by running
`gainrl score` on the subset, so the numbers are exactly the published ones), the model's `pass_rate` over k sampled
completions, and the gradient norm of the policy loss at the scoring layer: the Frobenius norm of the gradient with
respect to that layer's `mlp.up_proj` weight, the linear layer whose inputs the angles are measured at (the paper's
argument: ||grad_W L||^2 sums the pairwise input cosines). Two losses on the same k completions: `grad_norm`, GRPO's
(group-normalised advantages; zero when all k completions agree), and `grad_norm_nll`, the mean negative log-likelihood
of the completions (unit advantages, the quantity the paper's bound is about, defined for every prompt). It reports
Spearman's rho of `angle_score` with each, and the partial rank correlation with prompt length held fixed (does the
angle say anything length does not?), with percentile bootstrap confidence intervals over prompts, and draws a
scatter plot.

Outputs in `--output` (a rerun replaces them): `subset.parquet`, `scored/` (the `gainrl score` output),
`per_prompt.jsonl`, `audit.json`, `scatter.png`. What it does not cover: the in-training angle signal, models that do
not fit one device, and resuming an interrupted audit (it starts again; it takes minutes for the subsets it is meant
for).
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from gainrl.files import write_json_atomic
from gainrl.models import layer_mlp, load_causal_lm, resolve_device, resolve_dtype
from gainrl.prompts import PromptSettings, render
from gainrl.score.command import ScoreArguments, run_score
from gainrl.score.source import load_source
from gainrl.score.stats import spearman
from gainrl.scored import load_scored
from gainrl.train.rollouts import correctness, generate_completions

MEASURES = ("prompt_tokens", "pass_rate", "grad_norm", "grad_norm_nll")


@dataclass
class AuditArguments:
    """Arguments of `gainrl audit` (flags, or keys of a YAML file given with `--config`)."""

    model: str = field(metadata={"help": "Model to audit: a Hub id or a local folder."})
    dataset: str = field(metadata={"help": "Hub dataset id, local JSON / JSONL / Parquet file, or a dataset folder."})
    output: str = field(metadata={"help": "Output folder."})
    revision: str | None = field(default=None, metadata={"help": "Model revision (branch, tag or commit)."})
    dataset_config: str | None = field(default=None, metadata={"help": "Dataset config name (Hub datasets)."})
    split: str = field(default="train", metadata={"help": "Split to audit."})
    question_field: str = field(default="problem", metadata={"help": "Column holding the question."})
    answer_field: str = field(default="answer", metadata={"help": "Column holding the reference answer (a GSM8K "
                                                                  "solution ending in '#### N' counts as N)."})
    compare_fields: str = field(default="difficulty", metadata={"help": "Comma-separated numeric columns also "
                                                                        "correlated with angle_score when present."})
    limit: int | None = field(default=200, metadata={"help": "Audit a seeded random subset of this many rows "
                                                              "(all rows when larger or unset)."})
    samples: int = field(default=8, metadata={"help": "Sampled completions per prompt (k) for the pass rate and "
                                                      "the gradient."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature (training's default)."})
    max_new_tokens: int = field(default=256, metadata={"help": "Generation limit per completion."})
    system_prompt: str | None = field(default=None, metadata={"help": "System prompt; '' for none (default: the "
                                                                      "paper's)."})
    few_shot: str | None = field(default=None, metadata={"help": "JSON file of [user, assistant] pairs, or 'none' "
                                                                 "(default: the paper's 2+2 pair)."})
    layer: int = field(default=-1, metadata={"help": "Scoring layer (negative counts from the end)."})
    inter_weight: float = field(default=1.0, metadata={"help": "w in angle_score = c_intra + w * c_inter."})
    batch_size: int = field(default=16, metadata={"help": "Prompts per generation batch."})
    bootstrap: int = field(default=2000, metadata={"help": "Bootstrap resamples for the confidence intervals."})
    seed: int = field(default=0, metadata={"help": "Seed of the subset, the sampling and the bootstrap."})
    dtype: str = field(default="auto", metadata={"help": "auto, float32 or bfloat16.",
                                                 "choices": ["auto", "float32", "bfloat16"]})
    device: str = field(default="auto", metadata={"help": "auto, cpu or cuda.", "choices": ["auto", "cpu", "cuda"]})

    def __post_init__(self):
        for name in ("samples", "max_new_tokens", "batch_size", "bootstrap"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
        if self.samples < 2:
            raise ValueError("--samples must be at least 2 (GRPO's advantages need a group)")
        if self.limit is not None and self.limit < 3:
            raise ValueError("--limit must be at least 3 (a rank correlation needs three prompts)")


# ---------------------------------------------------------------------- the subset and its angle scores

def subset_positions(rows: int, limit: int | None, seed: int) -> list[int]:
    """Sorted row positions of a seeded random subset (all rows when `limit` is unset or not smaller)."""
    if limit is None or limit >= rows:
        return list(range(rows))
    return sorted(random.Random(seed).sample(range(rows), limit))


def write_subset(args: AuditArguments, out: Path) -> Path:
    """The audited rows (question, answer, compared fields, `source_row`) as Parquet; errors name row and field."""
    import datasets

    source = load_source(args.dataset, args.dataset_config, args.split)
    for name in (args.question_field, args.answer_field):
        if name not in source.column_names:
            raise ValueError(f"{args.dataset}: no column {name!r} (columns: {source.column_names})")
    positions = subset_positions(len(source), args.limit, args.seed)
    kept = [name for name in compare_fields(args) if name in source.column_names]
    columns = {name: source.column(name) for name in (args.question_field, args.answer_field, *kept)}
    rows = []
    for position in positions:
        row = {"source_row": position, **{name: values[position] for name, values in columns.items()}}
        for name in (args.question_field, args.answer_field):
            if not isinstance(row[name], (str, int, float)) or not str(row[name]).strip():
                raise ValueError(f"{args.dataset}: row {position}: field {name!r} is empty or not text")
        row[args.answer_field] = str(row[args.answer_field])
        rows.append(row)
    path = out / "subset.parquet"
    datasets.Dataset.from_list(rows).to_parquet(str(path))
    return path


def compare_fields(args: AuditArguments) -> list[str]:
    return [name.strip() for name in args.compare_fields.split(",") if name.strip()]


def score_subset(args: AuditArguments, subset: Path, out: Path) -> list[dict]:
    """`gainrl score` on the subset (redone on every audit: seconds, next to the sampling); rows by source row."""
    folder = run_score(ScoreArguments(
        model=args.model, revision=args.revision, dataset=str(subset), output=str(out / "scored"),
        question_field=args.question_field, id_field="source_row", system_prompt=args.system_prompt,
        few_shot=args.few_shot, layer=args.layer, inter_weight=args.inter_weight, dtype=args.dtype,
        device=args.device, config_name="audit", overwrite=True))
    scored = load_scored(str(folder), split=None)  # the subset file's one split, whatever was audited
    return sorted(scored.data.to_list(), key=lambda row: row["id"])


# ---------------------------------------------------------------------- pass rates and gradient norms

def completion_log_likelihoods(model, tokenizer, prompt_text: str, completions: list[str]):
    """Mean log-probability per completion token (a differentiable tensor of length k)."""
    import torch

    prompt_ids = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    sequences = [prompt_ids + tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
                 for text in completions]
    width = max(len(sequence) for sequence in sequences)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    ids = torch.tensor([s + [pad] * (width - len(s)) for s in sequences], device=model.device)
    mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in sequences], device=model.device)
    logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
    token_logps = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    completion = mask[:, 1:].clone()
    completion[:, :len(prompt_ids) - 1] = 0
    return (token_logps * completion).sum(-1) / completion.sum(-1).clamp(min=1)


def gradient_norms(model, weight, log_likelihoods, rewards: list[float]) -> tuple[float, float]:
    """(GRPO loss gradient norm, NLL gradient norm) at `weight` for one prompt's k completions."""
    import torch

    reward = torch.tensor(rewards, dtype=torch.float32, device=log_likelihoods.device)
    advantages = (reward - reward.mean()) / (reward.std() + 1e-4)
    grpo = -(advantages * log_likelihoods).mean()
    nll = -log_likelihoods.mean()
    norms = []
    for loss in (grpo, nll):
        (gradient,) = torch.autograd.grad(loss, weight, retain_graph=True, allow_unused=False)
        norms.append(float(gradient.float().norm()))
    return norms[0], norms[1]


def measure_prompts(args: AuditArguments, rows: list[dict], questions: list[str], answers: list[str]) -> list[dict]:
    """Pass rate and gradient norms per prompt, from k sampled completions."""
    device = resolve_device(args.device)
    model = load_causal_lm(args.model, args.revision, resolve_dtype(args.dtype, device), device)
    tokenizer = _tokenizer(args)
    settings = PromptSettings.from_flags(args.system_prompt, args.few_shot)
    weight = layer_mlp(model, args.layer)[1].up_proj.weight
    completions = generate_completions(model, tokenizer, settings, questions, samples=args.samples,
                                       temperature=args.temperature, max_new_tokens=args.max_new_tokens,
                                       batch_size=args.batch_size, seed=args.seed)
    rewards = correctness(completions, answers)
    measured = []
    for row, question, texts, reward in zip(rows, questions, completions, rewards):
        likelihoods = completion_log_likelihoods(model, tokenizer, render(tokenizer, settings, question), texts)
        grad_norm, grad_norm_nll = gradient_norms(model, weight, likelihoods, reward)
        measured.append({"pass_rate": sum(reward) / len(reward), "grad_norm": grad_norm,
                         "grad_norm_nll": grad_norm_nll})
    return measured


def _tokenizer(args: AuditArguments):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(args.model, revision=args.revision)


# ---------------------------------------------------------------------- statistics and outputs

def _complete(*columns) -> list[np.ndarray]:
    """The columns as float arrays, without the rows where any of them is NaN."""
    arrays = [np.asarray(values, dtype=float) for values in columns]
    keep = ~np.logical_or.reduce([np.isnan(values) for values in arrays])
    return [values[keep] for values in arrays]


def _bootstrap_interval(statistic, columns: list[np.ndarray], resamples: int, seed: int) -> list[float]:
    """95 % percentile interval of `statistic` over prompts resampled with replacement (NaN draws left out)."""
    generator = np.random.default_rng(seed)
    rows = len(columns[0])
    draws = [statistic(*(values[picked] for values in columns))
             for picked in (generator.integers(0, rows, rows) for _ in range(resamples))]
    draws = [draw for draw in draws if not math.isnan(draw)]
    return [float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))]


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    rho = spearman(x, y)
    return math.nan if rho is None else rho


def spearman_with_interval(x: list[float], y: list[float], resamples: int, seed: int) -> dict:
    """rho, a 95 % percentile bootstrap interval over prompts, and n; rho None when either side is constant."""
    x, y = _complete(x, y)
    if len(x) < 3 or math.isnan(_spearman(x, y)):
        return {"rho": None, "ci95": None, "n": int(len(x)),
                "note": "undefined: fewer than 3 prompts or a constant variable"}
    return {"rho": _spearman(x, y), "ci95": _bootstrap_interval(_spearman, [x, y], resamples, seed), "n": int(len(x))}


def partial_spearman(x: np.ndarray, y: np.ndarray, control: np.ndarray) -> float:
    """Rank correlation of x and y with the control's ranks partialled out (Pearson of rank residuals)."""
    from scipy.stats import rankdata

    ranks = [rankdata(values) for values in (x, y, control)]
    design = np.column_stack([np.ones(len(x)), ranks[2]])
    residuals = [values - design @ np.linalg.lstsq(design, values, rcond=None)[0] for values in ranks[:2]]
    if min(np.std(residual) for residual in residuals) == 0:
        return math.nan
    return float(np.corrcoef(residuals[0], residuals[1])[0, 1])


def partial_with_interval(x: list[float], y: list[float], control: list[float], resamples: int, seed: int) -> dict:
    """`partial_spearman` with a 95 % percentile bootstrap interval over prompts."""
    columns = _complete(x, y, control)
    rho = partial_spearman(*columns) if len(columns[0]) >= 4 else math.nan
    if math.isnan(rho):
        return {"rho": None, "ci95": None, "n": int(len(columns[0])),
                "note": "undefined: too few prompts or no variation left once length is accounted for"}
    return {"rho": rho, "ci95": _bootstrap_interval(partial_spearman, columns, resamples, seed),
            "n": int(len(columns[0]))}


def correlations(per_prompt: list[dict], fields: list[str], resamples: int, seed: int) -> dict:
    scores = [row["angle_score"] for row in per_prompt]
    return {name: spearman_with_interval(scores, [_number(row.get(name)) for row in per_prompt], resamples, seed)
            for name in fields}


def correlations_beyond_length(per_prompt: list[dict], fields: list[str], resamples: int, seed: int) -> dict:
    """Partial rank correlations of angle_score with each field, prompt length held fixed."""
    scores, lengths = [row["angle_score"] for row in per_prompt], [row["prompt_tokens"] for row in per_prompt]
    return {name: partial_with_interval(scores, [_number(row.get(name)) for row in per_prompt], lengths, resamples,
                                        seed) for name in fields if name != "prompt_tokens"}


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def save_scatter(per_prompt: list[dict], found: dict, path: Path, title: str) -> None:
    from matplotlib.figure import Figure

    names = [name for name in found if any(not math.isnan(_number(r.get(name))) for r in per_prompt)]
    figure = Figure(figsize=(3.6 * len(names), 3.4), layout="constrained")
    scores = [row["angle_score"] for row in per_prompt]
    for axis, name in zip(figure.subplots(1, len(names), squeeze=False)[0], names):
        axis.scatter(scores, [_number(row.get(name)) for row in per_prompt], s=8, alpha=0.6)
        rho = found[name]["rho"]
        interval = found[name]["ci95"]
        label = "undefined" if rho is None else f"{rho:+.2f} [{interval[0]:+.2f}, {interval[1]:+.2f}]"
        axis.set(xlabel="angle_score", ylabel=name, title=f"Spearman {label}")
        if name.startswith("grad_norm") and min(_number(r.get(name)) for r in per_prompt) > 0:
            axis.set_yscale("log")
    figure.suptitle(title, fontsize=9)
    figure.savefig(path, dpi=110)


def run_audit(args: AuditArguments) -> dict:
    """Score the subset, sample and differentiate, correlate; write the outputs; returns `audit.json`'s content."""
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    rows = score_subset(args, write_subset(args, out), out)
    subset = _subset_rows(out)
    questions = [subset[row["id"]][args.question_field] for row in rows]
    answers = [subset[row["id"]][args.answer_field] for row in rows]
    measured = measure_prompts(args, rows, questions, answers)
    fields = ["prompt_tokens", "pass_rate", "grad_norm", "grad_norm_nll"] + [
        name for name in compare_fields(args) if name in next(iter(subset.values()))]
    per_prompt = [{"source_row": row["id"], "angle_score": row["angle_score"], "prompt_tokens": row["prompt_tokens"],
                   **{name: subset[row["id"]][name] for name in fields if name in subset[row["id"]]}, **measure}
                  for row, measure in zip(rows, measured)]
    found = correlations(per_prompt, fields, args.bootstrap, args.seed)
    beyond_length = correlations_beyond_length(per_prompt, fields, args.bootstrap, args.seed)
    report = {"arguments": asdict(args), "prompts": len(per_prompt), "spearman_with_angle_score": found,
              "partial_spearman_given_length": beyond_length,
              "mean_pass_rate": float(np.mean([row["pass_rate"] for row in per_prompt]))}
    (out / "per_prompt.jsonl").write_text("".join(json.dumps(row) + "\n" for row in per_prompt))
    write_json_atomic(out / "audit.json", report)
    save_scatter(per_prompt, found, out / "scatter.png", f"{args.model} on {args.dataset} ({len(per_prompt)} prompts)")
    _print_summary(report)
    return report


def _subset_rows(out: Path) -> dict[int, dict]:
    import datasets

    subset = datasets.load_dataset("parquet", data_files=str(out / "subset.parquet"), split="train")
    return {row["source_row"]: row for row in subset.to_list()}


def _print_summary(report: dict) -> None:
    print(f"gainrl audit: {report['prompts']} prompts, mean pass rate {report['mean_pass_rate']:.3f}")
    for name, found in report["spearman_with_angle_score"].items():
        if found["rho"] is None:
            print(f"  Spearman(angle_score, {name}): {found['note']}")
        else:
            low, high = found["ci95"]
            print(f"  Spearman(angle_score, {name}) = {found['rho']:+.3f}  95% CI [{low:+.3f}, {high:+.3f}]")
    for name, found in report["partial_spearman_given_length"].items():
        if found["rho"] is not None:
            low, high = found["ci95"]
            print(f"  same, prompt length held fixed (partial), {name}: {found['rho']:+.3f}  95% CI "
                  f"[{low:+.3f}, {high:+.3f}]")
