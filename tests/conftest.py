"""Shared fixtures: a local Hub in a child process, a tiny model, unique repo names, and the markers.

The HF clients read `HF_ENDPOINT` (and the Xet, telemetry and cache settings) once, when they are first imported,
so this file picks the Hub's port and sets the environment before anything imports them. The server itself starts
lazily, the first time a test asks for the `hub` fixture.

Run: `python -m pytest` (all fast tests), `-m slow` (the slow ones), `-m browser` (Chromium tests).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from gainrl.hub.process import LocalHubProcess, free_port, hub_environment

SESSION_DIR = Path(tempfile.mkdtemp(prefix="gainrl-tests-"))
HUB_PORT = free_port()
HUB_ENDPOINT = f"http://127.0.0.1:{HUB_PORT}"
os.environ.update(hub_environment(HUB_ENDPOINT, token="hf_dummy", hf_home=str(SESSION_DIR / "hf-home")))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import datasets  # noqa: E402,F401  (imported now, so a test's HF_HUB_OFFLINE=1 cannot become this process's mode)
import huggingface_hub  # noqa: E402,F401
import pytest  # noqa: E402  (after the environment, on purpose)


def pytest_collection_modifyitems(config, items):
    import torch

    no_cuda = pytest.mark.skip(reason="needs a CUDA device")
    no_chromium = pytest.mark.skip(reason="needs the system Chromium (apt-get install chromium)")
    for item in items:
        if "gpu" in item.keywords and not torch.cuda.is_available():
            item.add_marker(no_cuda)
        if "browser" in item.keywords and shutil.which("chromium") is None:
            item.add_marker(no_chromium)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def hub():
    """The session's local Hub (a `LocalHubProcess`) at `HF_ENDPOINT`; `hub.restart()` keeps its data."""
    server = LocalHubProcess(SESSION_DIR / "hub", port=HUB_PORT, log_path=SESSION_DIR / "hub.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api(hub):
    from huggingface_hub import HfApi

    return HfApi()


@pytest.fixture
def repo_name():
    """A fresh `tester/<name>` repo id, so tests never see each other's repos."""
    return f"tester/t-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def offline(monkeypatch):
    """For child processes that must not reach any Hub: their HF clients fail fast instead of retrying.

    (In this process the clients are already imported and keep the session's settings.)
    """
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_model_dir():
    """A default tiny Qwen2 model with its tokenizer, built once per session, offline."""
    from gainrl.kit.tiny import build_tiny_model

    return build_tiny_model(SESSION_DIR / "tiny-qwen2")


@pytest.fixture
def run_gainrl():
    """Run the `gainrl` command line in a child process with the test environment."""
    import subprocess

    def run(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "gainrl", *args], capture_output=True, text=True, **kwargs)
        if check and result.returncode != 0:
            raise AssertionError(f"gainrl {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return result

    return run


SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def eval_suite_repo(hub):
    """The evaluation suite built from ../shared/data and pushed to the local Hub once per session."""
    from gainrl.eval.suite import build_suite

    repo_id = f"tester/eval-suite-{uuid.uuid4().hex[:8]}"
    build_suite(str(SESSION_DIR / "eval-suite"), str(SHARED_DATA), push_to_hub=repo_id)
    return repo_id


@pytest.fixture
def use_eval_suite(eval_suite_repo, monkeypatch):
    """Point the gainrl lm-eval tasks (GAINRL_EVAL_SUITE) at the session's suite on the local Hub."""
    monkeypatch.setenv("GAINRL_EVAL_SUITE", eval_suite_repo)
    return eval_suite_repo


@pytest.fixture(scope="session")
def verl_parquet(tiny_model_dir):
    """40 synthetic problems scored by the tiny model and exported as verl's RL parquet (`gainrl export-verl`)."""
    import json

    from gainrl.integrations.verl_data import to_verl_parquet
    from gainrl.kit.synthetic import SYSTEM_PROMPT, generate_problems
    from gainrl.score.command import ScoreArguments, run_score

    folder = SESSION_DIR / "verl"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "problems.json").write_text(json.dumps(generate_problems(40, seed=4)))
    scored = run_score(ScoreArguments(model=str(tiny_model_dir), dataset=str(folder / "problems.json"),
                                      output=str(folder / "scored"), system_prompt=SYSTEM_PROMPT, few_shot="none"))
    return to_verl_parquet(str(scored), str(folder / "train.parquet"))
