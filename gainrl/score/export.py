"""`gainrl export-indices`: a scored dataset's order in the reference code's format (`angle_sorted_data/*.pt`: an
int64 permutation of source positions, best first, written with `torch.save`).

What it does not cover: verl's parquet (`gainrl.integrations.verl_data`), or reading the scored dataset (it goes
through `gainrl.scored.load_scored`).
"""

from __future__ import annotations

import torch

from gainrl.score.source import load_source
from gainrl.scored import load_scored


def export_indices(output_dir: str, out_file: str, source: str | None = None) -> int:
    """Write the `.pt` permutation; ids map back to source positions through the recorded `--id-field`."""
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
