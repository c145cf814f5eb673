"""`gainrl score`: pre-fill a model over a dataset, score each prompt's angle concentration, write (and push) the
angle-sorted dataset. Step 1 of GAIN-RL (https://huggingface.co/papers/2506.02281).

    gainrl score --model Qwen/Qwen2.5-0.5B-Instruct --dataset math_train.json --output runs/scores/math \
        --push-to-hub me/gainrl-math
    accelerate launch -m gainrl score ...        # several GPUs: each process scores a share of the shards

Work is done in shards of source rows, each written atomically to `<output>.partial/`; a re-run of the same
command after an interruption recomputes only the missing shards. The finished folder replaces `<output>` in one
rename. The metric is defined in `gainrl.angles`, the prompt and its segments in `gainrl.prompts`.

What it does not cover: scoring prompt + completion pairs (training does that for the in-training signal), and
datasets too large for their prompts' token ids to fit in memory.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from gainrl import __version__
from gainrl.angles import angle_score, concentration
from gainrl.files import replace_dir_atomically, write_json_atomic, write_parquet_named_by_content
from gainrl.models import load_causal_lm, resolve_device, resolve_dtype
from gainrl.prompts import PromptSettings, segment_prompt
from gainrl.score.source import (
    content_digest,
    curriculum_order,
    id_errors,
    load_source,
    question_error,
    raise_bad_input,
    row_ids,
)
from gainrl.score.stats import spearman
from gainrl.scored import COLUMNS, RANK, SCORE, Provenance, card_metadata, card_text, merge_card_metadata

METRICS = ("angle", "length", "reference")


@dataclass
class ScoreArguments:
    """Arguments of `gainrl score` (flags, or keys of a YAML file given with `--config`)."""

    model: str = field(metadata={"help": "Scoring model: a Hub id or a local folder."})
    dataset: str = field(metadata={"help": "Hub dataset id, local JSON / JSONL / Parquet file, or a saved "
                                           "`datasets` folder."})
    output: str = field(metadata={"help": "Output folder, written in the layout of a Hub dataset repo."})
    revision: str | None = field(default=None, metadata={"help": "Model revision (branch, tag or commit)."})
    dataset_config: str | None = field(default=None, metadata={"help": "Dataset config name (Hub datasets)."})
    split: str = field(default="train", metadata={"help": "Split to score, or a slice of it (train[:200], "
                                                          "train[10%%:20%%]); the output split keeps the plain name."})
    limit: int | None = field(default=None, metadata={"help": "Score only the first N rows (of the slice); the "
                                                              "card records the selection (default: all rows)."})
    question_field: str = field(default="problem", metadata={"help": "Column holding the question."})
    id_field: str | None = field(default=None, metadata={"help": "Column of stable unique ids (default: the "
                                                                 "row's 0-based position in the source split)."})
    system_prompt: str | None = field(default=None, metadata={"help": "System prompt; '' for none (default: the "
                                                                      "paper's)."})
    few_shot: str | None = field(default=None, metadata={"help": "JSON file with a list of [user, assistant] "
                                                                 "pairs, or 'none' (default: the paper's 2+2 pair)."})
    metric: str = field(default="angle", metadata={"help": "angle (the paper's quantity), length (shortest "
                                                           "prompt first; the reference's shipped orderings) or "
                                                           "reference (data_processor.py reproduced, quirks "
                                                           "included).", "choices": list(METRICS)})
    inter_weight: float = field(default=1.0, metadata={"help": "Weight w in angle_score = c_intra + w * c_inter."})
    layer: int = field(default=-1, metadata={"help": "Decoder layer whose MLP input is measured; negative "
                                                     "counts from the end."})
    max_length: int = field(default=1024, metadata={"help": "Truncate rendered prompts on the right at this "
                                                            "many tokens (flagged as truncated)."})
    batch_size: int = field(default=16, metadata={"help": "Most prompts per forward pass (length-bucketed)."})
    max_batch_tokens: int = field(default=8192, metadata={"help": "Most tokens per forward pass, padding "
                                                                  "included; bounds activation memory when "
                                                                  "prompts are long."})
    dtype: str = field(default="auto", metadata={"help": "auto (bfloat16 on GPU, float32 on CPU), float32 or "
                                                         "bfloat16.", "choices": ["auto", "float32", "bfloat16"]})
    device: str = field(default="auto", metadata={"help": "auto, cpu or cuda.", "choices": ["auto", "cpu", "cuda"]})
    push_to_hub: str | None = field(default=None, metadata={"help": "Also push to this Hub dataset repo "
                                                                    "(OWNER/NAME), as config --config-name."})
    config_name: str | None = field(default=None, metadata={"help": "Config name on the Hub (default: derived "
                                                                    "from the model id)."})
    overwrite: bool = field(default=False, metadata={"help": "Replace an existing finished output."})
    shard_size: int = field(default=256, metadata={"help": "Source rows per resumable shard."})

    def __post_init__(self):
        if self.metric not in METRICS:
            raise ValueError(f"--metric must be one of {METRICS}, got {self.metric!r}")
        for name in ("max_length", "batch_size", "max_batch_tokens", "shard_size", "limit"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
        self.config_name = self.config_name or default_config_name(self.model)


def default_config_name(model: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", model.rstrip("/").split("/")[-1].lower()).strip("-") or "model"


# ---------------------------------------------------------------------- preparing prompts

def prepare_prompts(args: ScoreArguments, source, tokenizer, settings) -> tuple[list, list]:
    """(ids, segmented prompts) for every row; raises one error naming every bad record."""
    ids = row_ids(source, args.id_field)
    errors = id_errors(ids, args.id_field)
    if args.question_field not in source.column_names:
        raise ValueError(f"--question-field {args.question_field!r} is not a column of {source.name} "
                         f"(columns: {source.column_names})")
    prompts = []
    for position, question in enumerate(source.column(args.question_field)):
        problem = question_error(question, args.question_field)
        prompt = None if problem else segment_prompt(tokenizer, settings, question, args.max_length)
        if prompt is not None and prompt.question_tokens < 2:
            problem = (f"field {args.question_field!r} has {prompt.question_tokens} question token(s) after "
                       f"truncation at {args.max_length}; at least 2 are needed")
        if problem:
            errors[position] = problem
        prompts.append(prompt)
    raise_bad_input(source, errors, ids)
    return ids, prompts


# ---------------------------------------------------------------------- scoring

class PromptScorer:
    """Scores source positions with the chosen metric, in length-bucketed batches; one result dict per row."""

    def __init__(self, args: ScoreArguments, prompts: list, questions: list[str], model, tokenizer, settings):
        self.args, self.prompts, self.questions = args, prompts, questions
        self.tokenizer, self.settings = tokenizer, settings
        if args.metric == "angle":
            from gainrl.score.prefill import SegmentSumPrefill

            self.prefill = SegmentSumPrefill(model, args.layer)
        elif args.metric == "reference":
            from gainrl.score.reference import ReferencePrefill

            self.reference = ReferencePrefill(model, tokenizer, args.max_length)

    def __call__(self, positions: list[int]) -> list[dict]:
        results = {}
        for batch in self.batches(positions):
            results.update(zip(batch, self._score_batch(batch)))
        return [results[p] for p in positions]

    def batches(self, positions: list[int]) -> list[list[int]]:
        """Length-sorted batches of at most `batch_size` prompts and `max_batch_tokens` padded tokens."""
        batches, current = [], []
        for position in sorted(positions, key=lambda p: (self.prompts[p].prompt_tokens, p)):
            width = self.prompts[position].prompt_tokens  # sorted, so the newest prompt is the widest
            if current and (len(current) == self.args.batch_size or (len(current) + 1) * width >
                            self.args.max_batch_tokens):
                batches.append(current)
                current = []
            current.append(position)
        return batches + [current] if current else batches

    def _score_batch(self, batch: list[int]) -> list[dict]:
        if self.args.metric == "angle":
            return self._angle(batch)
        if self.args.metric == "reference":
            from gainrl.prompts import render

            texts = [render(self.tokenizer, self.settings, self.questions[i]) for i in batch]
            return [self._row(i, None, None, self.reference(text)) for i, text in zip(batch, texts)]
        return [self._row(i, None, None, -float(self.prompts[i].prompt_tokens)) for i in batch]

    def _angle(self, batch: list[int]) -> list[dict]:
        s_prompt, s_question = self.prefill([self.prompts[i] for i in batch])
        rows = []
        for row, i in enumerate(batch):
            prompt = self.prompts[i]
            c_intra, c_inter = concentration(s_question[row], prompt.question_tokens, s_prompt[row],
                                             prompt.system_tokens)
            rows.append(self._row(i, c_intra, c_inter, angle_score(c_intra, c_inter, self.args.inter_weight)))
        return rows

    def _row(self, position: int, c_intra, c_inter, score: float) -> dict:
        prompt = self.prompts[position]
        return {"prompt_tokens": prompt.prompt_tokens, "question_tokens": prompt.question_tokens,
                "truncated": prompt.truncated, "c_intra": c_intra, "c_inter": c_inter, SCORE: score}


# ---------------------------------------------------------------------- resumable run

def run_fingerprint(args: ScoreArguments, ids: list, questions: list[str], model_revision: str, settings) -> dict:
    keys = ("model", "revision", "dataset", "dataset_config", "split", "limit", "question_field", "id_field",
            "metric", "inter_weight", "layer", "max_length", "dtype", "shard_size")
    return {**{k: getattr(args, k) for k in keys}, "model_revision": model_revision,
            "prompt_hash": settings.digest(), "content": content_digest(ids, questions)}


def require_free_output(args: ScoreArguments) -> None:
    if Path(args.output).exists() and not args.overwrite:
        raise FileExistsError(f"--output {args.output} already holds a finished run; pass --overwrite to replace it, "
                              "or choose another --output")


def prepare_work_dir(args: ScoreArguments, fingerprint: dict) -> Path:
    require_free_output(args)
    work = Path(args.output + ".partial")
    run_file = work / "run.json"
    if run_file.exists() and json.loads(run_file.read_text()) != fingerprint:
        if not args.overwrite:
            raise FileExistsError(f"{work} holds an unfinished run with other settings; pass --overwrite to discard")
        shutil.rmtree(work)
    (work / "shards").mkdir(parents=True, exist_ok=True)
    write_json_atomic(run_file, fingerprint)
    return work


def score_missing_shards(args, work: Path, count: int, scorer: PromptScorer, rank: int = 0, world: int = 1) -> None:
    from tqdm.auto import tqdm

    shards = [s for s in range(0, count, args.shard_size) if (s // args.shard_size) % world == rank]
    missing = [s for s in shards if not (work / "shards" / f"{s // args.shard_size:06d}.json").exists()]
    todo = sum(min(args.shard_size, count - s) for s in missing)
    if len(missing) < len(shards):
        print(f"resuming {work}: {len(shards) - len(missing)} of {len(shards)} shards already done", flush=True)
    with tqdm(total=todo, unit="prompt", desc=f"scoring ({args.metric})", disable=todo == 0) as bar:
        for start in missing:
            positions = list(range(start, min(start + args.shard_size, count)))
            results = scorer(positions)
            write_json_atomic(work / "shards" / f"{start // args.shard_size:06d}.json", results)
            bar.update(len(positions))


def load_shards(args: ScoreArguments, work: Path, count: int) -> list[dict]:
    results = []
    for start in range(0, count, args.shard_size):
        results += json.loads((work / "shards" / f"{start // args.shard_size:06d}.json").read_text())
    if len(results) != count:
        raise RuntimeError(f"{work}: shards hold {len(results)} results for {count} rows")
    return results


# ---------------------------------------------------------------------- output

def assemble(source, ids: list, results: list[dict], id_field: str | None):
    """The source split plus the result columns, in curriculum order."""
    order = curriculum_order(ids, [r[SCORE] for r in results])
    ranks = [0] * len(order)
    for rank, position in enumerate(order):
        ranks[position] = rank
    columns = {"id": ids, **{name: [r[name] for r in results] for name in COLUMNS[1:-1]}, RANK: ranks}
    data = source.dataset
    for name, values in columns.items():
        if name == "id" and id_field == "id":
            continue  # the source's own id column is the id
        if name in data.column_names:
            raise ValueError(f"the source has a column named {name!r}, which gainrl score adds; rename it"
                             + (" or pass --id-field id" if name == "id" else ""))
        data = data.add_column(name, values)
    return data.select(order).flatten_indices()


def provenance_record(args, source, model_revision: str, layer: int | None, dtype: str | None, settings,
                      results: list[dict]) -> Provenance:
    from datetime import datetime, timezone

    scores = [r[SCORE] for r in results]
    return Provenance(
        source_dataset=source.name, source_config=source.config, source_split=source.split,
        source_revision=source.revision, source_selection=source.selection, question_field=args.question_field,
        id_field=args.id_field, model=args.model, model_revision=model_revision, layer=layer, metric=args.metric,
        inter_weight=args.inter_weight, prompt=settings.to_dict(), prompt_hash=settings.digest(),
        max_length=args.max_length, dtype=dtype, gainrl_version=__version__,
        date=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), rows=len(results),
        truncated=sum(r["truncated"] for r in results),
        spearman_score_vs_prompt_tokens=spearman(scores, [float(r["prompt_tokens"]) for r in results]),
        histogram=f"images/{args.config_name}-angle-histogram.png")


def save_histogram(scores: list[float], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    finite = [s for s in scores if not math.isnan(s)]
    figure, axes = plt.subplots(figsize=(6, 3.2), dpi=100)
    axes.hist(finite, bins=min(50, max(5, len(finite) // 10)), color="#4c72b0")
    axes.set(xlabel="angle_score", ylabel="prompts", title=title)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_output(args, data, provenance: Provenance, scores: list[float], work: Path) -> None:
    staging = work / "final"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "images").mkdir(parents=True)
    split = provenance.source_split  # the plain split name, also under a slice or --limit
    data_file = write_parquet_named_by_content(data, staging / "data", split)
    save_histogram(scores, staging / provenance.histogram, f"{args.config_name}: {args.metric} scores")
    metadata = card_metadata(args.config_name, split, f"data/{data_file}", provenance)
    (staging / "README.md").write_text(card_text(metadata, args.output, provenance.source_dataset))
    replace_dir_atomically(staging, Path(args.output))


def push(args, data, provenance: Provenance) -> None:
    """One config per scoring model in `--push-to-hub`; the card keeps every config's provenance."""
    from huggingface_hub import DatasetCard, HfApi

    data.push_to_hub(args.push_to_hub, config_name=args.config_name, split=provenance.source_split,
                     commit_message=f"gainrl score: {args.config_name} ({args.metric})")
    HfApi().upload_file(path_or_fileobj=str(Path(args.output) / provenance.histogram),
                        path_in_repo=provenance.histogram, repo_id=args.push_to_hub, repo_type="dataset")
    metadata = merge_card_metadata(DatasetCard.load(args.push_to_hub).data.to_dict(), args.config_name, provenance)
    DatasetCard(card_text(metadata, args.push_to_hub, provenance.source_dataset)).push_to_hub(
        args.push_to_hub, commit_message=f"gainrl score: card for {args.config_name}")


# ---------------------------------------------------------------------- the job

def model_revision_of(model: str, revision: str | None) -> str:
    path = Path(model)
    if path.is_dir():
        files = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in path.iterdir() if p.is_file())
        return "local:" + content_digest([model], [json.dumps(files)])[:16]
    from huggingface_hub import HfApi

    return HfApi().model_info(model, revision=revision).sha


@dataclass
class ScoringJob:
    """Everything known before any model work: validated prompts, where they came from, the work folder."""

    settings: object
    source: object
    tokenizer: object
    ids: list
    prompts: list
    questions: list[str]
    model_revision: str


def load_job(args: ScoreArguments) -> ScoringJob:
    """Read and validate the inputs; raises one error naming every bad record before anything is written."""
    from transformers import AutoTokenizer

    settings = PromptSettings.from_flags(args.system_prompt, args.few_shot)
    source = load_source(args.dataset, args.dataset_config, args.split, args.limit)
    tokenizer = AutoTokenizer.from_pretrained(args.model, revision=args.revision)
    ids, prompts = prepare_prompts(args, source, tokenizer, settings)
    questions = source.column(args.question_field)
    source.materialize()
    return ScoringJob(settings, source, tokenizer, ids, prompts, questions,
                      model_revision_of(args.model, args.revision))


def publish(args: ScoreArguments, job: ScoringJob, work: Path, layer: int | None, dtype: str | None) -> Provenance:
    """Merge the shards, write `--output` (and push); returns the provenance record."""
    results = load_shards(args, work, len(job.ids))
    data = assemble(job.source, job.ids, results, args.id_field)
    provenance = provenance_record(args, job.source, job.model_revision, layer, dtype, job.settings, results)
    write_output(args, data, provenance, [r[SCORE] for r in results], work)
    shutil.rmtree(work, ignore_errors=True)
    if args.push_to_hub:
        push(args, data, provenance)
    return provenance


def summary_line(args: ScoreArguments, provenance: Provenance, seconds: float) -> str:
    rho = provenance.spearman_score_vs_prompt_tokens
    selection = f" [{provenance.source_selection}]" if provenance.source_selection else ""
    pushed = f"; pushed to {args.push_to_hub} (config {args.config_name})" if args.push_to_hub else ""
    return (f"gainrl score: {provenance.rows} prompts of {provenance.source_dataset}{selection} "
            f"({provenance.truncated} truncated at {args.max_length} tokens), metric {args.metric}, "
            f"Spearman(score, length) = {'n/a' if rho is None else f'{rho:.3f}'}, in {seconds:.1f}s\n"
            f"  results: {args.output} (split {provenance.source_split}){pushed}")


def run_score(args: ScoreArguments) -> Path:
    from accelerate import PartialState

    # cpu=True lets `accelerate launch --multi_gpu` on a machine without CUDA run its processes over gloo
    require_free_output(args)
    began, state, job = time.monotonic(), PartialState(cpu=resolve_device(args.device).type == "cpu"), load_job(args)
    with state.main_process_first():  # the main process checks and prepares; the others then find it ready
        work = prepare_work_dir(args, run_fingerprint(args, job.ids, job.questions, job.model_revision,
                                                      job.settings))
    model, dtype = None, None
    if args.metric != "length":
        device = state.device if state.num_processes > 1 else resolve_device(args.device)
        dtype = resolve_dtype(args.dtype, device)
        model = load_causal_lm(args.model, args.revision, dtype, device)
    scorer = PromptScorer(args, job.prompts, job.questions, model, job.tokenizer, job.settings)
    score_missing_shards(args, work, len(job.ids), scorer, state.process_index, state.num_processes)
    state.wait_for_everyone()
    if state.is_main_process:
        layer = scorer.prefill.layer if args.metric == "angle" else None
        provenance = publish(args, job, work, layer, str(dtype).removeprefix("torch.") if dtype else None)
        print(summary_line(args, provenance, time.monotonic() - began), flush=True)
    return Path(args.output)
