"""gainrl: GAIN-RL (https://huggingface.co/papers/2506.02281) as reproducible software around the Hugging Face Hub.

    import gainrl
    scored = gainrl.load_scored("me/gainrl-math")     # the angle-sorted dataset `gainrl score` wrote

Importing `gainrl` is cheap: no torch, transformers or Hub client is imported until a command needs it, and the
names below are looked up in `gainrl.scored` on first use.
"""

__version__ = "0.1.0.dev0"
__all__ = ["load_scored", "ScoredDataset", "Provenance", "__version__"]


def __getattr__(name: str):
    if name in ("load_scored", "ScoredDataset", "Provenance"):
        from gainrl import scored

        return getattr(scored, name)
    raise AttributeError(f"module 'gainrl' has no attribute {name!r}")
