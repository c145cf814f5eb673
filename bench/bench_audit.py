"""Signal audit: what does the angle score track? `gainrl audit` on the warm-started tiny model, three datasets.

    python bench/bench_audit.py --limit 200 --samples 8

Model: the testbed's warm-started tiny Qwen2 (`bench/testbed.yaml`, built by `bench_curricula.prepare` into its work
folder when missing). Datasets: the synthetic training split, and seeded subsets of `../shared/data/gsm8k_train.json`
and `math_train.json`. Each audit reports Spearman's rho of `angle_score` with prompt length, pass rate over k samples,
the gradient norms of the policy loss at the scoring layer and, where the data has one, the difficulty level, with
95 % bootstrap intervals, also with prompt length held fixed (partial rank correlation); scatter plots are copied
to `bench/plots/audit-<dataset>.png`. All prompts use the quickstart's prompt settings (the ones the
model was warm-started with). A larger model on a GPU: `gainrl audit --model Qwen/Qwen2.5-0.5B-Instruct ...`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
SHARED = ROOT.parent / "shared" / "data"


def datasets_to_audit(work: Path) -> dict[str, tuple[str, str]]:
    """name -> (dataset path, answer field)."""
    return {"synthetic": (str(work / "train-full.parquet"), "answer"),
            "gsm8k_train": (str(SHARED / "gsm8k_train.json"), "answer"),
            "math_train": (str(SHARED / "math_train.json"), "answer")}


def audit_one(name: str, dataset: str, answer_field: str, base: str, out: Path, args) -> dict:
    from gainrl.kit.synthetic import SYSTEM_PROMPT
    from gainrl.score.audit import AuditArguments, run_audit

    cached = out / name / "audit.json"
    if cached.exists():
        return json.loads(cached.read_text())
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the Markdown for RESULTS.md
        return run_audit(AuditArguments(model=base, dataset=dataset, output=str(out / name), answer_field=answer_field,
                                        limit=args.limit, samples=args.samples,
                                        max_new_tokens=args.max_new_tokens, system_prompt=SYSTEM_PROMPT,
                                        few_shot="none", seed=args.seed))


def _cell(found: dict | None) -> str:
    if found is None:
        return "n/a"
    if found["rho"] is None:
        return "undefined"
    return f"{found['rho']:+.2f} [{found['ci95'][0]:+.2f}, {found['ci95'][1]:+.2f}]"


def markdown(reports: dict[str, dict], plots: dict[str, str]) -> str:
    fields = ["prompt_tokens", "pass_rate", "grad_norm", "grad_norm_nll", "difficulty"]
    lines = ["| dataset | prompts | mean pass rate | " + " | ".join(f"rho vs {f}" for f in fields) + " |",
             "|---|---|---|" + "---|" * len(fields)]
    for name, report in reports.items():
        cells = [_cell(report["spearman_with_angle_score"].get(field)) for field in fields]
        lines.append(f"| {name} | {report['prompts']} | {report['mean_pass_rate']:.3f} | " + " | ".join(cells) + " |")
    partial = ["pass_rate", "grad_norm", "grad_norm_nll", "difficulty"]
    lines += ["", "The same with prompt length held fixed (partial rank correlation of angle_score with each):", "",
              "| dataset | " + " | ".join(f"partial rho vs {f}" for f in partial) + " |",
              "|---|" + "---|" * len(partial)]
    for name, report in reports.items():
        found = report["partial_spearman_given_length"]
        lines.append(f"| {name} | " + " | ".join(_cell(found.get(field)) for field in partial) + " |")
    lines.append("")
    lines += [f"![{name}]({path})" for name, path in plots.items()]
    return "\n".join(lines)


def main() -> None:
    from bench_curricula import TESTBED, load_testbed, prepare, work_folder

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=None, help="default: the testbed's eval setting")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", default=str(ROOT / "runs" / "bench-curricula"))
    parser.add_argument("--out", default=str(ROOT / "runs" / "bench-audit"))
    args = parser.parse_args()
    config = load_testbed(TESTBED)
    args.max_new_tokens = args.max_new_tokens or config["eval"]["max_new_tokens"]  # room for a worked solution
    work = work_folder(Path(args.work), config)
    with contextlib.redirect_stdout(sys.stderr):
        base = prepare(work, config)["base"]
    reports, plots = {}, {}
    for name, (dataset, answer_field) in datasets_to_audit(work).items():
        reports[name] = audit_one(name, dataset, answer_field, base, Path(args.out), args)
        plot = ROOT / "bench" / "plots" / f"audit-{name}.png"
        plot.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(args.out) / name / "scatter.png", plot)
        plots[name] = f"plots/audit-{name}.png"
    print(markdown(reports, plots))


if __name__ == "__main__":
    main()
