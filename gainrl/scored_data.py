"""Input and output of `gainrl score`: loading the source split, validating it, and writing the angle-sorted
dataset (a folder in the layout of a Hub dataset repo, written atomically) with its card, histogram and `.pt` export.

Also `export-indices` (the reference's `.pt` order of a scored dataset, read through `gainrl.scored.load_scored`).

What it does not cover: computing scores (`gainrl.score`), the scored dataset's columns, provenance and card
(`gainrl.scored`), or pushing (the caller pushes the written dataset).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

@dataclass
class SourceSplit:
    """The rows to score and where they came from.

    JSON / JSONL files are parsed with the `json` module and kept as records until validated: `datasets`' own JSON
    loader silently re-types columns that mix types (the string "7" next to the number 42 comes back as 7), which
    would hide exactly the bad input that must be reported.
    """

    name: str
    config: str | None
    split: str
    revision: str
    dataset: object = None  # datasets.Dataset, once built
    records: list | None = None
    positions: list[int] | None = None  # source-split positions of the rows, when a selection was made
    selection: str | None = None  # the rows chosen: a split slice (`train[:200]`) and/or `first N`

    def __len__(self) -> int:
        return len(self.records) if self.records is not None else len(self.dataset)

    @property
    def column_names(self) -> list[str]:
        if self.records is None:
            return list(self.dataset.column_names)
        return list(dict.fromkeys(key for record in self.records for key in record))

    def column(self, name: str) -> list:
        if self.records is not None:
            return [record.get(name) for record in self.records]
        return list(self.dataset[name]) if name in self.dataset.column_names else [None] * len(self.dataset)

    def materialize(self):
        """The `datasets.Dataset` of the rows (built from the records after validation)."""
        if self.dataset is None:
            import datasets
            import pyarrow

            try:
                self.dataset = datasets.Dataset.from_list(self.records)
            except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError) as error:
                mixed = [name for name in self.column_names
                         if len({type(v) for v in self.column(name) if v is not None}) > 1]
                raise ValueError(f"{self.name}: columns {mixed} mix value types across records ({error})") from None
        return self.dataset


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_json_records(path: Path) -> list[dict]:
    """A JSON list of objects, or JSON Lines; errors name the line."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        try:
            records = json.loads(text)
        except ValueError as error:
            raise ValueError(f"{path}: not valid JSON ({error})") from None
    else:
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError as error:
                    raise ValueError(f"{path}: line {number} is not valid JSON ({error})") from None
    bad = [i for i, record in enumerate(records) if not isinstance(record, dict)]
    if bad:
        raise ValueError(f"{path}: records at rows {bad[:20]} are not JSON objects")
    return records


def plain_split(spec: str) -> str:
    """The split name of a `datasets` split spec: `train[10%:20%]` -> `train`."""
    return spec.split("[", 1)[0].split("+", 1)[0].strip()


def load_source(name: str, config: str | None, split: str, limit: int | None = None) -> SourceSplit:
    """A Hub dataset id, a JSON / JSONL / Parquet file, or a folder (`save_to_disk` or a dataset repo layout).

    `split` may be a `datasets` slice (`train[:200]`, `train[10%:20%]`) and `limit` keeps the first rows of it; the
    returned split keeps the plain name and the source positions of the chosen rows.
    """
    source = _load_whole_split(name, config, plain_split(split))
    return select_rows(source, split, limit)


def _load_whole_split(name: str, config: str | None, split: str) -> SourceSplit:
    import datasets

    path = Path(name)
    if path.is_file():
        suffix = path.suffix.lower()
        revision = f"sha256:{file_sha256(path)}"
        if suffix in (".json", ".jsonl"):
            return SourceSplit(name, None, split, revision, records=read_json_records(path))
        if suffix != ".parquet":
            raise ValueError(f"--dataset {name}: unsupported file type {path.suffix!r} (use JSON, JSONL or Parquet)")
        return SourceSplit(name, None, split, revision, datasets.load_dataset("parquet", data_files=str(path),
                                                                              split="train"))
    if path.is_dir() and ((path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists()):
        saved = datasets.load_from_disk(str(path))
        data = saved[split] if isinstance(saved, datasets.DatasetDict) else saved
        return SourceSplit(name, None, split, f"fingerprint:{data._fingerprint}", data)
    if path.is_dir():
        data = datasets.load_dataset(str(path), config, split=split)
        return SourceSplit(name, config, split, f"fingerprint:{data._fingerprint}", data)
    from huggingface_hub import HfApi

    data = datasets.load_dataset(name, config, split=split)
    return SourceSplit(name, config, split, HfApi().dataset_info(name).sha, data)


def select_rows(source: SourceSplit, spec: str, limit: int | None) -> SourceSplit:
    """Keep the rows of the split slice `spec` (`datasets`' ReadInstruction syntax), then the first `limit`."""
    from datasets import ReadInstruction

    positions, notes = list(range(len(source))), []
    if spec.strip() != source.split:
        try:
            ranges = ReadInstruction.from_spec(spec).to_absolute({source.split: len(source)})
        except (ValueError, KeyError) as error:
            raise ValueError(f"--split {spec!r}: not a slice of split {source.split!r} ({error}); use e.g. "
                             f"{source.split}[:200] or {source.split}[10%:20%]") from None
        positions, notes = [p for part in ranges for p in range(part.from_, part.to)], [spec.strip()]
    if limit is not None:
        positions, notes = positions[:limit], notes + [f"first {limit}"]
    if not notes:
        return source
    if source.records is not None:
        source.records = [source.records[p] for p in positions]
    else:
        source.dataset = source.dataset.select(positions)
    source.positions, source.selection = positions, ", ".join(notes)
    return source


def row_ids(source: SourceSplit, id_field: str | None) -> list:
    """Stable ids: the `--id-field` values, else 0-based positions in the source split (also under a selection)."""
    if id_field is None:
        return list(source.positions) if source.positions is not None else list(range(len(source)))
    if id_field not in source.column_names:
        raise ValueError(f"--id-field {id_field!r} is not a column of {source.name} (columns: {source.column_names})")
    return source.column(id_field)


def id_errors(ids: list, id_field: str | None) -> dict[int, str]:
    """Row position -> problem, for missing, mistyped and duplicate ids."""
    errors, first_seen = {}, {}
    kinds = {type(value) for value in ids if value is not None}
    for position, value in enumerate(ids):
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[position] = f"field {id_field!r} (id) is missing or empty"
        elif len(kinds) > 1 or not isinstance(value, (int, str)):
            errors[position] = f"field {id_field!r} (id) must be all strings or all integers, got {value!r}"
        elif value in first_seen:
            errors[position] = f"duplicate id {value!r} (also row {first_seen[value]})"
        else:
            first_seen[value] = position
    return errors


def question_error(value, field: str) -> str | None:
    if value is None:
        return f"field {field!r} is missing"
    if not isinstance(value, str):
        return f"field {field!r} is not a string ({type(value).__name__})"
    if not value.strip():
        return f"field {field!r} is empty or white space"
    return None


def raise_bad_input(source: SourceSplit, errors: dict[int, str], ids: list) -> None:
    if not errors:
        return
    lines = [f"  record id={ids[position]!r} (row {position}): {message}"
             for position, message in sorted(errors.items())]
    raise ValueError(f"bad input in {source.name} (split {source.split}): {len(errors)} bad record(s), nothing "
                     "was written:\n" + "\n".join(lines))


def curriculum_order(ids: list, scores: list[float]) -> list[int]:
    """Source positions, best first: highest score first, NaN (reference metric only) before all, ties by id."""
    def key(position: int):
        score = scores[position]
        return (0, 0.0, ids[position]) if math.isnan(score) else (1, -score, ids[position])

    return sorted(range(len(ids)), key=key)


def content_digest(ids: list, questions: list[str]) -> str:
    return hashlib.sha256(json.dumps([ids, questions], default=str).encode()).hexdigest()


def write_json_atomic(path: Path, value) -> None:
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(staging, "w") as handle:
        json.dump(value, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, path)


def write_parquet_named_by_content(data, folder: Path, split: str) -> str:
    """Write `<split>-<sha256[:12]>.parquet` and return its name.

    The content hash in the name matters: `datasets` caches a local folder by its card's config, not by the
    files' contents, so a re-scored folder under a fixed file name would load the stale cached rows.
    """
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".{split}.parquet.tmp"
    data.to_parquet(str(staging))
    name = f"{split}-{file_sha256(staging)[:12]}.parquet"
    staging.rename(folder / name)
    return name


def replace_dir_atomically(staging: Path, target: Path) -> None:
    """Put the finished `staging` folder at `target`; an old `target` is moved away first, never half-overwritten."""
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        os.rename(target, old)
    os.rename(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def spearman(a: list[float], b: list[float]) -> float | None:
    from scipy.stats import spearmanr

    pairs = [(x, y) for x, y in zip(a, b) if not math.isnan(x)]
    if len(pairs) < 3 or len({x for x, _ in pairs}) < 2 or len({y for _, y in pairs}) < 2:
        return None
    return float(spearmanr([x for x, _ in pairs], [y for _, y in pairs]).statistic)


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


def export_indices(output_dir: str, out_file: str, source: str | None = None) -> int:
    """Write the reference's `.pt` format: an int64 permutation of source positions, best first."""
    import torch

    from gainrl.scored import load_scored

    scored = load_scored(output_dir, split=None)
    provenance = scored.provenance
    if provenance.id_field is None:
        positions = list(scored.data["id"])
    else:
        original = load_source(source or provenance.source_dataset, provenance.source_config, provenance.source_split)
        where = {value: position for position, value in enumerate(original.column(provenance.id_field))}
        positions = [where[value] for value in scored.data["id"]]
    torch.save(torch.tensor(positions, dtype=torch.int64), out_file)
    return len(positions)
