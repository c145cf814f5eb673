"""Benchmark the local Hub stand-in: server start time, client round-trip times and the server's peak memory.

    python bench/bench_hub.py [--runs 7] [--memory-runs 3] [--parts start,round-trips,tree,memory]
        [--baseline-src DIR] [--json out.json]

Start time: from spawning `python -m gainrl hub serve` to its first HTTP 200. Round trips: each client operation
timed on its own, against one server, median over `--runs` repetitions (each on a fresh repo and cache).
Tree: the answer time of a recursive `tree` listing of 1,000 files (20 commits of history) without and with
`expand=true` (`lastCommit` per entry), and of a one-file commit, alternating within each run. Memory: the server
process's peak resident set (VmHWM in /proc/<pid>/status) while it takes a 200 MB LFS upload
(`HfApi.upload_file`) and while it refuses a commit carrying a 100 MB regular (base64) file, each on a freshly
started server, median over `--memory-runs`. Prints Markdown tables for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import base64
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


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc (Linux only)")


def upload_lfs(endpoint: str, work: Path) -> str:
    from huggingface_hub import HfApi

    api, data = HfApi(endpoint=endpoint, token="bench"), work / "lfs-200mb.bin"
    if not data.exists():
        with open(data, "wb") as handle:
            for _ in range(200):
                handle.write(os.urandom(1 << 20))
    api.create_repo("bench/lfs", exist_ok=True)
    api.upload_file(path_or_fileobj=str(data), path_in_repo="big.bin", repo_id="bench/lfs")
    return "200 (committed)"


def upload_regular(endpoint: str, work: Path) -> str:
    import httpx

    httpx.post(f"{endpoint}/api/repos/create", json={"name": "bench/regular"})
    content = base64.b64encode(b"r" * (100 << 20)).decode()
    lines = [{"key": "header", "value": {"summary": "100 MB regular file"}},
             {"key": "file", "value": {"path": "big.txt", "content": content, "encoding": "base64"}}]
    body = "\n".join(json.dumps(line) for line in lines).encode()
    response = httpx.post(f"{endpoint}/api/models/bench/regular/commit/main", content=body, timeout=300)
    return str(response.status_code)


def server_memory(work: Path, upload, src: str | None) -> tuple[float, float, str]:
    """(MB after start and one request, peak MB during `upload`, HTTP outcome) on a fresh server, run from the
    gainrl in `src` if given (the server runs `python -m gainrl` in `work`, so PYTHONPATH picks the source)."""
    root, previous = work / f"mem-{uuid.uuid4().hex[:6]}", os.getcwd()
    os.environ.pop("PYTHONPATH", None) if src is None else os.environ.update(PYTHONPATH=src)
    os.chdir(work)
    try:
        with LocalHubProcess(root, log_path=work / "mem.log") as hub:
            urllib.request.urlopen(f"{hub.endpoint}/api/whoami-v2").close()
            idle = peak_rss_mb(hub._process.pid)
            outcome = upload(hub.endpoint, work)
            return idle, peak_rss_mb(hub._process.pid), outcome
    finally:
        os.chdir(previous)
        os.environ.pop("PYTHONPATH", None)


def memory_table(work: Path, runs: int, baseline_src: str | None) -> list[str]:
    """Peak-memory rows; with `baseline_src` (a checkout of an older gainrl) its server is measured alternately."""
    servers = {"this tree": None} | ({f"baseline ({baseline_src})": baseline_src} if baseline_src else {})
    rows = ["| server | upload | peak RSS, median (MB) | min | max | after start (MB) | answer |",
            "|---|---|---|---|---|---|---|"]
    for name, upload in [("200 MB LFS file (HfApi.upload_file)", upload_lfs),
                         ("100 MB regular file in a commit", upload_regular)]:
        results = {server: [] for server in servers}
        for _ in range(runs):
            for server, src in servers.items():
                results[server].append(server_memory(work, upload, src))
        for server, values in results.items():
            peaks = [peak for _, peak, _ in values]
            rows.append(f"| {server} | {name} | {statistics.median(peaks):.0f} | {min(peaks):.0f} | "
                        f"{max(peaks):.0f} | {statistics.median(idle for idle, _, _ in values):.0f} | "
                        f"{values[-1][2]} |")
    return rows


def tree_repo(endpoint: str, files: int, commits: int) -> str:
    """A repo of `files` small files in 10 folders, added over `commits` commits; returns its id."""
    from huggingface_hub import CommitOperationAdd, HfApi

    api, repo = HfApi(endpoint=endpoint, token="bench"), f"bench/tree-{uuid.uuid4().hex[:8]}"
    api.create_repo(repo)
    per_commit = files // commits
    for start in range(0, files, per_commit):
        operations = [CommitOperationAdd(f"folder-{i % 10}/file-{i:05d}.txt", f"{i}".encode())
                      for i in range(start, start + per_commit)]
        api.create_commit(repo, operations, commit_message=f"files {start}..{start + per_commit - 1}")
    return repo


def one_file_commit(index: int) -> bytes:
    lines = [{"key": "header", "value": {"summary": f"add {index}"}},
             {"key": "file", "value": {"path": f"runs/{index}.txt", "encoding": "base64",
                                       "content": base64.b64encode(b"x").decode()}}]
    return "\n".join(json.dumps(line) for line in lines).encode()


def tree_timings(work: Path, runs: int, files: int = 1000, commits: int = 20) -> dict[str, list[float]]:
    """Answer times of `GET tree/main?recursive=true` without and with `expand=true`, and of a one-file commit
    with and without a last-commit cache to keep up to date, alternating in each run."""
    import httpx

    timings: dict[str, list[float]] = {}
    with LocalHubProcess(work / "tree-hub", log_path=work / "tree.log") as hub, httpx.Client() as client:
        repo = tree_repo(hub.endpoint, files, commits)
        url, cache = f"{hub.endpoint}/api/models/{repo}/tree/main", hub.root / "repos" / "models" / repo / "lastcommits"

        def timed(name: str, request) -> None:  # one connection: the time is the server's answer, not client setup
            began = time.perf_counter()
            request().raise_for_status()
            timings.setdefault(name, []).append(time.perf_counter() - began)

        def listing(expand: bool):
            return lambda: client.get(url, params={"recursive": "true", "expand": str(expand).lower()})

        def commit(index: int):
            return lambda: client.post(f"{hub.endpoint}/api/models/{repo}/commit/main", content=one_file_commit(index))

        for run in range(runs):
            for cached in cache.glob("*.json"):
                cached.unlink()
            timed("commit of 1 file (no lastCommit cache)", commit(2 * run))
            timed(f"tree of {files} files, expand=true, no cache ({commits}+ commits walked)", listing(True))
            timed("commit of 1 file (lastCommit cache kept one step ahead)", commit(2 * run + 1))
            timed(f"tree of {files} files, expand=true, first listing after that commit", listing(True))
            timed(f"tree of {files} files, plain (expand=false)", listing(False))
            timed(f"tree of {files} files, expand=true, listed again", listing(True))
    return timings


def tree_ratios(raw: dict[str, list[float]]) -> list[str]:
    """Median time of each `expand=true` row over the plain listing's (the same runs, alternating)."""
    plain = statistics.median(next(v for name, v in raw.items() if "plain (expand=false)" in name))
    return [f"- {name}: {statistics.median(values) / plain:.2f}x the plain listing"
            for name, values in raw.items() if name.startswith("tree of") and "expand=true" in name]


def timing_rows(rows: dict[str, list[float]]) -> list[str]:
    lines = ["| operation | median (s) | min (s) | max (s) |", "|---|---|---|---|"]
    return lines + [f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |"
                    for name, values in rows.items()]


def client_timings(work: Path, runs: int) -> dict[str, list[float]]:
    hub = LocalHubProcess(work / "hub", log_path=work / "hub.log").start()
    os.environ.update(hub_environment(hub.endpoint, hf_home=str(work / "hf-home")))
    from gainrl.kit.tiny import build_tiny_model

    model_dir = build_tiny_model(work / "tiny")
    results = [round_trips(work, model_dir) for _ in range(runs)]
    hub.stop()
    return {name: [run[name] for run in results] for name in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="repetitions; the median is reported")
    parser.add_argument("--memory-runs", type=int, default=3, help="repetitions of each memory measurement")
    parser.add_argument("--parts", default="start,round-trips,tree,memory", help="comma-separated parts to run")
    parser.add_argument("--baseline-src", default=None, help="also measure the memory of the server in this "
                        "source tree (e.g. `git archive main gainrl | tar -x -C DIR`), alternating with this one")
    parser.add_argument("--json", default=None, help="also write the raw figures here")
    args = parser.parse_args()
    os.environ.update(HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_PROGRESS_BARS="1")
    with tempfile.TemporaryDirectory(prefix="gainrl-bench-") as folder:  # removed at the end, 200 MB file included
        run_parts(Path(folder), args.parts.split(","), args)


def run_parts(work: Path, parts: list[str], args: argparse.Namespace) -> None:
    raw: dict[str, list[float]] = {}
    if "start" in parts:
        raw["server start to first HTTP 200"] = [time_start(work / f"start-{i}") for i in range(args.runs)]
    if "round-trips" in parts:
        raw.update(client_timings(work, args.runs))
    if "tree" in parts:
        raw.update(tree_timings(work, args.runs))
    if raw:
        print("\n".join(timing_rows(raw)))
    if "tree" in parts:
        print("\n".join(tree_ratios(raw)))
    if "memory" in parts:
        print("\n".join(memory_table(work, args.memory_runs, args.baseline_src)))
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1))

if __name__ == "__main__":
    main()
