"""Step 1 of GAIN-RL: `gainrl score` and what reads or checks its scoring.

    command.py     ScoreArguments and run_score: pre-fill, score, write (and push) the angle-sorted dataset
    source.py      the source split being scored: loading, slicing, ids, validation, curriculum order
    prefill.py     the batched pre-fill that stops at the scoring layer's MLP input
    reference.py   the reference code's metric, reproduced (`--metric reference`)
    export.py      `gainrl export-indices`: the reference's `.pt` order of a scored dataset
    audit.py       `gainrl audit`: what the angle score tracks (length, pass rate, gradient norm)

The scored dataset itself (columns, provenance, card, `load_scored`) is `gainrl.scored`. `ScoreArguments` and
`run_score` are importable from here; they are looked up on first use, so importing a submodule stays cheap.
"""

__all__ = ["ScoreArguments", "run_score"]


def __getattr__(name: str):
    if name in __all__:
        from gainrl.score import command

        return getattr(command, name)
    raise AttributeError(f"module 'gainrl.score' has no attribute {name!r}")
