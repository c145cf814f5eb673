"""The source split `gainrl score` reads: a Hub dataset, a JSON / JSONL / Parquet file or a saved folder, sliced
(`train[:200]`, `--limit`), with stable row ids, validated (errors name every bad record), and put in curriculum
order.

What it does not cover: computing scores (`gainrl.score.command`), and the scored dataset it becomes (columns,
provenance, card: `gainrl.scored`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from gainrl.files import file_sha256, read_json_records


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
