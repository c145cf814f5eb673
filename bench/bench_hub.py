"""Benchmark the local Hub stand-in: server start time and client round-trip times.

    python bench/bench_hub.py [--runs 7] [--json out.json]

Start time: from spawning `python -m gainrl hub serve` to its first HTTP 200. Round trips: each client operation
timed on its own, against one server, median over `--runs` repetitions (each on a fresh repo and cache).
Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gainrl.hub.process import LocalHubProcess, free_port, hub_environment  # noqa: E402


def time_start(root: Path) -> float:
    port = free_port()
    began = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "gainrl", "hub", "serve", "--root", str(root), "--port",
                                str(port), "--log-level", "warning"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/whoami-v2", timeout=1).close()
                return time.perf_counter() - began
            except OSError:
                time.sleep(0.01)
    finally:
        process.terminate()
        process.wait()


def round_trips(work: Path, model_dir: Path) -> dict[str, float]:
    """One timing per operation, on a fresh repo id."""
    import datasets
    from huggingface_hub import HfApi, hf_hub_download, snapshot_download
    from transformers import AutoModelForCausalLM

    api, repo, timings = HfApi(), f"bench/r-{uuid.uuid4().hex[:8]}", {}
    folder = work / f"folder-{uuid.uuid4().hex[:6]}"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text("hello")
    (folder / "weights.bin").write_bytes(os.urandom(12 * 1024 * 1024))
    rows = [{"id": i, "text": f"problem {i}"} for i in range(1000)]
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    cache = work / f"cache-{uuid.uuid4().hex[:6]}"
    steps = {
        "create_repo": lambda: api.create_repo(repo),
        "upload_folder (12 MB LFS + 1 small file)": lambda: api.upload_folder(repo_id=repo, folder_path=folder),
        "upload_file (small)": lambda: api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo),
        "list_repo_files": lambda: api.list_repo_files(repo),
        "model_info(files_metadata=True)": lambda: api.model_info(repo, files_metadata=True),
        "hf_hub_download (12 MB)": lambda: hf_hub_download(repo, "weights.bin", cache_dir=cache),
        "snapshot_download": lambda: snapshot_download(repo, cache_dir=cache / "snap"),
        "create_branch + create_tag": lambda: (api.create_branch(repo, branch="b"), api.create_tag(repo, tag="t")),
        "Dataset.push_to_hub (1000 rows)": lambda: datasets.Dataset.from_list(rows).push_to_hub(repo + "-ds"),
        "load_dataset (1000 rows)": lambda: datasets.load_dataset(repo + "-ds", split="train",
                                                                  cache_dir=str(cache / "ds")),
        "model.push_to_hub (tiny)": lambda: model.push_to_hub(repo + "-m"),
        "from_pretrained (tiny)": lambda: AutoModelForCausalLM.from_pretrained(repo + "-m", cache_dir=cache / "m"),
    }
    for name, step in steps.items():
        began = time.perf_counter()
        step()
        timings[name] = time.perf_counter() - began
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="repetitions; the median is reported")
    parser.add_argument("--json", default=None, help="also write the raw timings here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gainrl-bench-"))
    starts = [time_start(work / f"start-{i}") for i in range(args.runs)]
    hub = LocalHubProcess(work / "hub", log_path=work / "hub.log").start()
    os.environ.update(hub_environment(hub.endpoint, hf_home=str(work / "hf-home")))
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    from gainrl.tiny import build_tiny_model

    model_dir = build_tiny_model(work / "tiny")
    runs = [round_trips(work, model_dir) for _ in range(args.runs)]
    hub.stop()
    print("| operation | median (s) | min (s) | max (s) |\n|---|---|---|---|")
    rows = {"server start to first HTTP 200": starts} | {name: [run[name] for run in runs] for name in runs[0]}
    for name, values in rows.items():
        print(f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"start": starts, "round_trips": runs}, indent=1))


if __name__ == "__main__":
    main()
