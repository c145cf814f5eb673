"""Benchmark `gainrl score` against a reference-style scorer, and the O(L*H) metric against L x L cosines.

    python bench/bench_score.py speed --prompts 256 --runs 3      # wall time and peak RSS, A/B interleaved
    python bench/bench_score.py memory --prompts 256 2048 --which gainrl|reference|both   # peak RSS vs prompts
    python bench/bench_score.py formula --lengths 1024 4096 16384
    python bench/bench_score.py matmul                           # the machine's float32 matmul rate

The model is a random Qwen2 with Qwen2.5-0.5B's width (hidden 896, 14 heads, 2 KV heads, MLP 4864, vocabulary
151,936) and 4 layers (`--layers`), with a byte-level BPE trained on the MATH training problems so prompt lengths
are realistic; prompts are the first N of `../shared/data/math_train.json` under the paper's prompt. Both scorers
run as child processes; peak RSS comes from `wait4`. Prints Markdown rows for bench/RESULTS.md.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MATH_TRAIN = ROOT.parent / "shared" / "data" / "math_train.json"
WORK = Path(os.environ.get("GAINRL_BENCH_DIR", Path(tempfile.gettempdir()) / "gainrl-bench"))
sys.path.insert(0, str(ROOT))


def build_bench_model(layers: int, device: str = "cpu") -> Path:
    """Random Qwen2 of Qwen2.5-0.5B's width with `layers` layers, built once and cached under WORK."""
    folder = WORK / f"qwen2-896w-{layers}l"
    if (folder / "config.json").exists():
        return folder
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from gainrl.kit.tiny import TinyModelConfig, train_tokenizer

    problems = [row["problem"] for row in json.loads(MATH_TRAIN.read_text())]
    tokenizer = train_tokenizer(TinyModelConfig(vocab_size=16384), corpus=problems)
    config = Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=layers,
                         num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
                         tie_word_embeddings=True, pad_token_id=tokenizer.pad_token_id,
                         eos_token_id=tokenizer.eos_token_id)
    torch.manual_seed(0)
    Qwen2ForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def prompts_file(count: int) -> Path:
    path = WORK / f"math_train_{count}.json"
    if not path.exists():
        rows = json.loads(MATH_TRAIN.read_text())
        path.write_text(json.dumps([rows[i % len(rows)] for i in range(count)]))
    return path


def measured(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one child process."""
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"})
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed")
    return time.perf_counter() - began, usage.ru_maxrss / 1024


def gainrl_command(model: Path, data: Path, output: Path, batch_size: int, device: str, dtype: str) -> list[str]:
    return [sys.executable, "-m", "gainrl", "score", "--model", str(model), "--dataset", str(data), "--output",
            str(output), "--batch-size", str(batch_size), "--device", device, "--dtype", dtype, "--overwrite"]


def reference_command(model: Path, data: Path, output: Path, device: str = "cpu",
                      dtype: str = "float32") -> list[str]:
    return [sys.executable, str(ROOT / "bench" / "reference_style_scorer.py"), "--model", str(model), "--dataset",
            str(data), "--out", str(output), "--device", device, "--dtype", dtype]


def needed_forward_flops(model: Path, lengths: list[int]) -> float:
    """FLOPs of the forward gainrl needs: layers before the target in full, the target layer's attention."""
    config = json.loads((model / "config.json").read_text())
    d, i, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    d_kv = d // config["num_attention_heads"] * config["num_key_value_heads"]
    projections, mlp = 2 * d * d + 2 * d * d_kv, 3 * d * i
    flops = 0.0
    for length in lengths:
        attention = 2 * length * projections + 4 * length * length * d  # QK^T and AV over full rows
        flops += layers * attention + (layers - 1) * 2 * length * mlp
    return flops


def speed(args) -> None:
    model, data = build_bench_model(args.layers), prompts_file(args.prompts)
    ours, reference = [], []
    for run in range(args.runs):  # interleaved, so both see the same machine state
        ours.append(measured(gainrl_command(model, data, WORK / "ours", args.batch_size, args.device, args.dtype)))
        reference.append(measured(reference_command(model, data, WORK / "reference.json", args.device, args.dtype)))
        print(f"run {run}: gainrl {ours[-1][0]:.1f}s {ours[-1][1]:.0f}MiB, reference-style {reference[-1][0]:.1f}s "
              f"{reference[-1][1]:.0f}MiB", flush=True)
    agreement = compare_scores(WORK / "ours", WORK / "reference.json")
    lengths = load_lengths(WORK / "ours")
    flops = needed_forward_flops(model, lengths)
    wall_ours, wall_ref = statistics.median(w for w, _ in ours), statistics.median(w for w, _ in reference)
    print(f"| {args.prompts} prompts, {sum(lengths)} tokens | gainrl score {wall_ours:.1f} s, "
          f"{statistics.median(m for _, m in ours):.0f} MiB | reference-style {wall_ref:.1f} s, "
          f"{statistics.median(m for _, m in reference):.0f} MiB | speed-up {wall_ref / wall_ours:.2f}x | "
          f"needed forward {flops / 1e9:.0f} GFLOP, {flops / 1e9 / wall_ours:.1f} GFLOP/s over the whole process | "
          f"max score difference {agreement:.1e} |")


def load_lengths(output: Path) -> list[int]:
    import datasets

    return list(datasets.load_dataset(str(output), split="train")["prompt_tokens"])


def compare_scores(ours: Path, reference: Path) -> float:
    import datasets

    data = datasets.load_dataset(str(ours), split="train")
    expected = json.loads(reference.read_text())
    return max(max(abs(row["c_intra"] - expected[row["id"]]["c_intra"]),
                   abs(row["c_inter"] - expected[row["id"]]["c_inter"])) for row in data)


def memory(args) -> None:
    model = build_bench_model(args.layers)
    for count in args.prompts:
        commands = {"gainrl": gainrl_command(model, prompts_file(count), WORK / f"mem-{count}", args.batch_size,
                                             "cpu", "float32"),
                    "reference": reference_command(model, prompts_file(count), WORK / f"ref-{count}.json")}
        for name in (["gainrl", "reference"] if args.which == "both" else [args.which]):
            runs = [measured(commands[name]) for _ in range(args.runs)]
            print(f"| {name}, {count} prompts | {statistics.median(w for w, _ in runs):.1f} s | "
                  f"{statistics.median(m for _, m in runs):.0f} MiB peak RSS | {args.runs} run(s) |", flush=True)


FORMULA_CHILD = """
import sys, time, torch
sys.path.insert(0, {root!r})
from gainrl.angles import segment_sums, concentration
length, hidden, mode = {length}, 896, {mode!r}
x = torch.randn(1, length, hidden)
segments = torch.full((1, length), 2, dtype=torch.int8); segments[0, : length // 10] = 1
p, q = length // 10, length - length // 10
began = time.perf_counter()
if mode == "sums":
    s_p, s_q = segment_sums(x, segments)
    result = concentration(s_q[0], q, s_p[0], p)
else:
    unit = torch.nn.functional.normalize(x[0], dim=-1)
    cos = unit @ unit.T
    qq = cos[p:, p:]
    result = ((qq.sum() - qq.diagonal().sum()) / (q * (q - 1))).item(), cos[p:, :p].mean().item()
print(time.perf_counter() - began, result)
"""


def formula(args) -> None:
    for length in args.lengths:
        cells = []
        for mode in ("sums", "matrix"):
            times, peaks, results = [], [], None
            for _ in range(args.runs):
                code = FORMULA_CHILD.format(root=str(ROOT), length=length, mode=mode)
                process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
                output = process.stdout.read()
                _, _, usage = os.wait4(process.pid, 0)
                seconds, results = output.split(" ", 1)
                times.append(float(seconds))
                peaks.append(usage.ru_maxrss / 1024)
            cells.append(f"{statistics.median(times) * 1e3:.1f} ms, {statistics.median(peaks):.0f} MiB")
        print(f"| L = {length} | O(L*H) sums: {cells[0]} | L x L matrix: {cells[1]} | result {results.strip()} |",
              flush=True)


def matmul(args) -> None:
    import torch

    size, rates = 2048, []
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    for _ in range(args.runs):
        began = time.perf_counter()
        for _ in range(5):
            a @ b
        rates.append(5 * 2 * size ** 3 / (time.perf_counter() - began) / 1e9)
    print(f"| float32 matmul {size}x{size}, {torch.get_num_threads()} threads | {statistics.median(rates):.1f} "
          f"GFLOP/s (median of {args.runs}) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, function in (("speed", speed), ("memory", memory), ("formula", formula), ("matmul", matmul)):
        sub = commands.add_parser(name)
        sub.add_argument("--runs", type=int, default=3, help="repetitions; medians are reported")
        sub.add_argument("--layers", type=int, default=4, help="decoder layers of the benchmark model")
        sub.add_argument("--batch-size", type=int, default=16, help="gainrl score --batch-size")
        sub.set_defaults(run=function)
    commands.choices["speed"].add_argument("--prompts", type=int, default=256)
    commands.choices["speed"].add_argument("--device", default="cpu", help="cpu or cuda (both scorers)")
    commands.choices["speed"].add_argument("--dtype", default="float32", help="float32 or bfloat16 (both scorers)")
    commands.choices["memory"].add_argument("--prompts", type=int, nargs="+", default=[256, 2048])
    commands.choices["memory"].add_argument("--which", choices=["gainrl", "reference", "both"], default="gainrl",
                                            help="which scorer(s) to measure")
    commands.choices["formula"].add_argument("--lengths", type=int, nargs="+", default=[1024, 4096, 16384])
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    args.run(args)


if __name__ == "__main__":
    main()
