"""`gainrl push-space`: upload the demo Space (`spaces/gainrl-demo`, installed as `gainrl.space_app`) to the Hub.

The upload holds `app.py`, `requirements.txt`, the README with its front matter's `models:` and `datasets:` links
set to what the Space shows, `demo_config.json` naming them, and a copy of the `gainrl` package's Python files
(gainrl is not on PyPI, and the Space imports it from beside `app.py`).

What it does not cover: Space hardware, secrets or restarts (set them on the Space's settings page), and private
models (the Space would need a token secret).
"""

from __future__ import annotations

import shutil
import tempfile
from importlib import resources
from pathlib import Path

import gainrl

SPACE_FILES = ("app.py", "requirements.txt")


def space_card(model: str, compare: str | None, sorted_dataset: str | None) -> str:
    from huggingface_hub import SpaceCard

    card = SpaceCard(resources.files("gainrl.space_app").joinpath("README.md").read_text(encoding="utf-8"))
    card.data.models = [name for name in (model, compare) if name]
    card.data.datasets = [sorted_dataset] if sorted_dataset else None
    return str(card)


def stage_space(folder: Path, config) -> None:
    """Write the Space's files for `config` (a `DemoConfig`) into `folder`."""
    template = resources.files("gainrl.space_app")
    for name in SPACE_FILES:
        (folder / name).write_text(template.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "README.md").write_text(space_card(config.model, config.compare, config.sorted_dataset),
                                      encoding="utf-8")
    (folder / "demo_config.json").write_text(config.to_json(), encoding="utf-8")
    package = Path(gainrl.__file__).resolve().parent  # the whole package, not just this stage's folder
    shutil.copytree(package, folder / "gainrl", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def push_space(repo_id: str, config, private: bool = False) -> str:
    """Create (or update) the Space `repo_id` showing `config`; returns the commit URL."""
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo_id, repo_type="space", space_sdk="gradio", exist_ok=True, private=private)
    with tempfile.TemporaryDirectory(prefix="gainrl-space-") as folder:
        stage_space(Path(folder), config)
        commit = api.upload_folder(repo_id=repo_id, repo_type="space", folder_path=folder,
                                   commit_message=f"gainrl push-space: demo of {config.model}")
    return commit.commit_url
