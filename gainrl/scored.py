"""The angle-sorted dataset `gainrl score` writes, as one typed artifact: its columns, its provenance, its card, and
the one loader every consumer reads it through.

    import gainrl
    scored = gainrl.load_scored("me/gainrl-math")          # or a local folder written by `gainrl score`
    scored.data                   # datasets.Dataset, rows in rank order (row k has angle_rank k)
    scored.provenance.model       # what `gainrl score` recorded in the card (a `Provenance`)
    scored.prompt_settings        # the prompt the rows were scored with
    scored.config, scored.revision

A scored dataset is a Hub dataset repo (or a local folder in that layout) whose card's YAML metadata holds
`gainrl.configs.<config>`: one provenance record per scoring config. `load_scored` resolves the config, pins the
revision (the Hub commit, or the content fingerprint of a local folder), loads the rows at that revision, and checks
them; errors name the row, its id and the field.

What it does not cover: computing scores (`gainrl.score.command`), the source data being scored
(`gainrl.score.source`), and turning rows into training prompts (`gainrl.train.data`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from gainrl.cards import render_card
from gainrl.prompts import PromptSettings

# The columns `gainrl score` adds to every source row, in the order it writes them.
COLUMNS = ("id", "prompt_tokens", "question_tokens", "truncated", "c_intra", "c_inter", "angle_score", "angle_rank")
SCORE, RANK = "angle_score", "angle_rank"
CARD_TAGS = ("gainrl", "angle-concentration", "curriculum")
MAX_LISTED = 20


@dataclass
class Provenance:
    """What `gainrl score` records per config in the card (`gainrl.configs.<config>`); keys it does not know are kept
    in `extra` and written back unchanged."""

    source_dataset: str
    source_split: str
    question_field: str
    prompt: dict  # PromptSettings.to_dict()
    source_config: str | None = None
    source_revision: str | None = None
    source_selection: str | None = None  # `train[:200]`, `first N`: the rows scored, when not the whole split
    id_field: str | None = None  # None: ids are 0-based positions in the source split
    model: str | None = None
    model_revision: str | None = None
    layer: int | None = None  # the resolved decoder layer (None for the length metric)
    metric: str = "angle"
    inter_weight: float = 1.0
    prompt_hash: str | None = None
    max_length: int | None = None
    dtype: str | None = None
    gainrl_version: str | None = None
    date: str | None = None
    rows: int | None = None
    truncated: int | None = None
    spearman_score_vs_prompt_tokens: float | None = None
    histogram: str | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, record: dict, where: str = "the card") -> Provenance:
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING]
        missing = [name for name in required if record.get(name) is None]
        if missing:
            raise ValueError(f"{where}: the scoring provenance lacks {missing}; is this the output of `gainrl score`?")
        return cls(**{k: v for k, v in record.items() if k in known},
                   extra={k: v for k, v in record.items() if k not in known})

    def to_dict(self) -> dict:
        record = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        return {**record, **self.extra}

    def angle_layer_for(self, policy: str, override: int | None = None) -> int:
        """The one rule for the decoder layer whose MLP input gives a policy's angle: `override` when given, the
        scoring layer when the policy is the scoring model, else the last layer (-1)."""
        if override is not None:
            return override
        return self.layer if self.layer is not None and policy == self.model else -1


@dataclass
class ScoredDataset:
    """A scored dataset at one config and revision: rows in rank order and the card's provenance."""

    source: str
    config: str
    split: str
    revision: str
    data: object  # datasets.Dataset
    provenance: Provenance

    @property
    def prompt_settings(self) -> PromptSettings:
        return PromptSettings.from_dict(self.provenance.prompt)

    @property
    def scores(self) -> list[float]:
        return [float(value) for value in self.data[SCORE]]

    def __len__(self) -> int:
        return len(self.data)


# ---------------------------------------------------------------------- the card

def card_metadata(config: str, split: str, data_path: str, provenance: Provenance) -> dict:
    """YAML metadata of a freshly written scored folder: one config, its data file, its provenance."""
    return {"configs": [{"config_name": config, "default": True, "data_files": [{"split": split, "path": data_path}]}],
            "tags": list(CARD_TAGS), "gainrl": {"configs": {config: provenance.to_dict()}}}


def merge_card_metadata(metadata: dict, config: str, provenance: Provenance) -> dict:
    """An existing repo card's metadata with `config`'s provenance added (other configs keep theirs)."""
    metadata.setdefault("gainrl", {}).setdefault("configs", {})[config] = provenance.to_dict()
    metadata["tags"] = sorted(set(metadata.get("tags") or []) | set(CARD_TAGS))
    return metadata


def card_text(metadata: dict, repo_id: str, source_name: str) -> str:
    """README.md: YAML metadata (configs, provenance per config) and the rendered body."""
    from huggingface_hub import DatasetCard, DatasetCardData

    body = render_card("dataset_card.md", configs=metadata["gainrl"]["configs"], repo_id=repo_id, source=source_name)
    return str(DatasetCard.from_template(DatasetCardData(**metadata), template_str="---\n{{ card_data }}\n---\n"
                                         + body))


def read_card_metadata(name: str, revision: str | None) -> dict:
    from huggingface_hub import DatasetCard, hf_hub_download

    path = Path(name) / "README.md" if Path(name).is_dir() else Path(
        hf_hub_download(name, "README.md", repo_type="dataset", revision=revision))
    if not path.exists():
        raise FileNotFoundError(f"{name}: no README.md card; is this the output of `gainrl score`?")
    return DatasetCard.load(path).data.to_dict()


def read_provenance(name: str, config: str | None, revision: str | None) -> tuple[str, Provenance]:
    """(config name, its provenance) from the card `gainrl score` wrote; `config` may be None when there is one."""
    configs = (read_card_metadata(name, revision).get("gainrl") or {}).get("configs") or {}
    if not configs:
        raise ValueError(f"{name}: its card records no gainrl scoring configs, so it is not an angle-sorted dataset; "
                         f"make one with `gainrl score --model MODEL --dataset {name} --output runs/scores/NAME`")
    if config is None:
        if len(configs) > 1:
            raise ValueError(f"{name} holds several scoring configs {sorted(configs)}; choose one "
                             "(`gainrl train --dataset_config`, `gainrl demo --sorted-config`)")
        config = next(iter(configs))
    if config not in configs:
        raise ValueError(f"{name} has no scoring config {config!r}; it has {sorted(configs)}")
    return config, Provenance.from_dict(configs[config], f"{name} [{config}]")


# ---------------------------------------------------------------------- checking rows

def missing_columns(data, *fields: str | None) -> list[str]:
    """The scored columns and `fields` (None entries skipped) that `data` lacks."""
    return [name for name in (*COLUMNS, *fields) if name and name not in data.column_names]


def record_errors(data, question_field: str, *text_fields: str | None, present: tuple = ()) -> list[str]:
    """One message per bad record (naming its row, id and field), in row order: the columns (also those in
    `present`), the ranks (a permutation), and non-empty `question_field` and `text_fields`."""
    missing = missing_columns(data, question_field, *text_fields, *present)
    if missing:
        return [f"columns {missing} are missing (columns: {data.column_names}); is this the output of `gainrl score`?"]
    ranks, ids = list(data[RANK]), list(data["id"])
    errors, first_row = [], {}
    for row, (rank, identifier) in enumerate(zip(ranks, ids)):
        where = f"row {row} (id={identifier!r})"
        if not isinstance(rank, int) or not 0 <= rank < len(ranks):
            errors.append(f"{where}: field {RANK!r} = {rank!r} is not an integer in [0, {len(ranks)})")
        elif rank in first_row:
            errors.append(f"{where}: field {RANK!r} = {rank} repeats row {first_row[rank]}'s; ranks must be a "
                          "permutation")
        else:
            first_row[rank] = row
    for name in (question_field, *text_fields):
        if name:
            errors += [f"row {row} (id={ids[row]!r}): field {name!r} is missing or empty"
                       for row, value in enumerate(data[name]) if value is None or not str(value).strip()]
    return errors


def raise_record_errors(name: str, errors: list[str]) -> None:
    if errors:
        listed = "\n".join(f"  {message}" for message in errors[:MAX_LISTED])
        more = f"\n  ... and {len(errors) - MAX_LISTED} more" if len(errors) > MAX_LISTED else ""
        raise ValueError(f"{name} is not a usable scored dataset ({len(errors)} problem(s)):\n{listed}{more}")


def in_rank_order(data):
    """The rows sorted by rank (as `gainrl score` writes them; other writers may not)."""
    ranks = data[RANK]
    return data if all(rank == row for row, rank in enumerate(ranks)) else data.sort(RANK)


# ---------------------------------------------------------------------- loading

def resolve_revision(name: str, revision: str | None) -> str | None:
    """The Hub commit a revision points at; None for a local folder (its rows are fingerprinted once loaded)."""
    if Path(name).is_dir():
        return None
    from huggingface_hub import HfApi

    return HfApi().dataset_info(name, revision=revision).sha


def load_scored(source: str, config: str | None = None, split: str | None = "train", revision: str | None = None,
                *, text_fields: tuple[str | None, ...] = (), present: tuple[str | None, ...] = ()) -> ScoredDataset:
    """Load a `gainrl score` dataset (Hub id or local folder), checked, rows in rank order.

    `config` may be left out when the card records one scoring config; `split=None` takes the split the card
    records (the source split that was scored). `text_fields` must also be non-empty in every row (the question
    field always is) and the columns in `present` must exist, so a caller's own columns are checked in the same
    pass. `revision` (branch, tag or commit) is pinned to a commit before
    anything is read, so card and rows come from the same one; `.revision` is that commit, or `fingerprint:<hash>`
    of a local folder's rows.
    """
    import datasets

    commit = resolve_revision(source, revision)
    config, provenance = read_provenance(source, config, commit)
    split = split or provenance.source_split
    data = datasets.load_dataset(source, config, split=split, revision=commit)
    raise_record_errors(f"{source} [{config}/{split}]", record_errors(data, provenance.question_field,
                                                                              *text_fields, present=present))
    return ScoredDataset(source, config, split, commit or f"fingerprint:{data._fingerprint}", in_rank_order(data),
                         provenance)
