"""`gainrl eval`: run the gainrl lm-eval tasks on a model, write lm-eval's outputs, optionally put them on its card.

A thin adapter over `lm_eval.simple_evaluate`: it indexes only gainrl's task folder
(`TaskManager(include_path=..., include_defaults=False)`, not lm-eval's ~15,000 built-in tasks), maps
`--preset paper` to the `<task>_paper` variants, applies `--samples-per-problem` (the tasks' `repeats`) and
`--max-new-tokens`, applies the model's chat template when it has one, writes the results JSON and per-sample logs
with lm-eval's `EvaluationTracker`, prints lm-eval's table, and with `--push-results` merges the numbers into the
model repo's card as `model-index` entries (dataset ids, revisions and the preset recorded).

What it does not cover: the task definitions (`evaluation/`), answer checking (`gainrl.checkers`), and installing
vLLM (`--backend vllm` needs a GPU machine with `gainrl[vllm]`).
"""

from __future__ import annotations

import importlib.util
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gainrl.eval.suite import SUITE_ENV, suite_repo
from gainrl.user_errors import UserError, looks_local

PRESETS = ("standard", "paper")
BACKENDS = ("hf", "vllm")
DTYPES = ("auto", "float32", "bfloat16", "float16")
PAPER_SUFFIX = "_paper"
NO_PAPER_VARIANT = ("gainrl_humaneval", "gainrl_synthetic", "gainrl_synthetic_code", "gainrl_mbpp",
                    "gainrl_livecodebench")


@dataclass
class EvalArguments:
    """Arguments of `gainrl eval` (flags, or keys of a YAML file given with `--config`)."""

    model: str = field(metadata={"help": "Model to evaluate: a Hub id or a local folder."})
    tasks: str = field(metadata={"help": "Comma-separated gainrl tasks or groups, e.g. gainrl_math, "
                                         "gainrl_gsm8k,gainrl_humaneval."})
    revision: str | None = field(default=None, metadata={"help": "Model revision (branch, tag or commit)."})
    preset: str = field(default="standard", metadata={
        "help": "standard (k sampled completions, T=0.6, top-p 0.95, math-verify checking) or paper (greedy, "
                "one sample, the paper's prompt and answer rules: the <task>_paper variants).",
        "choices": list(PRESETS)})
    samples_per_problem: int | None = field(default=None, metadata={
        "help": "k completions per problem for acc (avg@k) and pass@k (default: the task's, 4). Standard preset "
                "only."})
    max_new_tokens: int | None = field(default=None, metadata={"help": "Generation limit per completion "
                                                                       "(default: the task's)."})
    limit: float | None = field(default=None, metadata={"help": "Evaluate only this many problems per task (or "
                                                                "this fraction, when below 1)."})
    batch_size: int = field(default=8, metadata={"help": "Generation batch size."})
    backend: str = field(default="hf", metadata={"help": "hf (transformers) or vllm (GPU, needs gainrl[vllm]).",
                                                  "choices": list(BACKENDS)})
    output: str = field(default="runs/eval", metadata={"help": "Folder for lm-eval's results JSON and per-sample "
                                                               "logs."})
    push_results: bool = field(default=False, metadata={"help": "Add the results to the model repo's card "
                                                                "(model-index); --model must be a Hub id."})
    device: str = field(default="auto", metadata={"help": "auto, cpu or cuda.", "choices": ["auto", "cpu", "cuda"]})
    dtype: str = field(default="auto", metadata={"help": "auto (bfloat16 on GPU, float32 on CPU), float32, "
                                                         "bfloat16 or float16."})
    seed: int = field(default=0, metadata={"help": "Seed for sampling and lm-eval's shuffles."})

    def __post_init__(self):
        if self.preset not in PRESETS:
            raise ValueError(f"--preset must be one of {PRESETS}, got {self.preset!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"--dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"--backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.samples_per_problem is not None and self.samples_per_problem < 1:
            raise ValueError("--samples-per-problem must be at least 1")
        if self.samples_per_problem is not None and self.preset == "paper":
            raise ValueError("--samples-per-problem does not apply to --preset paper (greedy, one sample)")
        if not self.task_names:
            raise ValueError("--tasks is empty")

    @property
    def task_names(self) -> list[str]:
        names = [name.strip() for name in self.tasks.split(",") if name.strip()]
        if self.preset == "paper":
            names = [name if name.endswith(PAPER_SUFFIX) or name in NO_PAPER_VARIANT else name + PAPER_SUFFIX
                     for name in names]
        return names


def lm_eval_task_dir() -> str:
    """The folder of gainrl's lm-eval task files (installed as the package `gainrl.lm_eval_tasks`)."""
    import gainrl.lm_eval_tasks

    return str(Path(gainrl.lm_eval_tasks.__file__).parent)


def task_manager(task_overrides: dict | None = None):
    """A `TaskManager` over gainrl's tasks only; `task_overrides` (e.g. `{"repeats": 8}`) apply to every task."""
    from lm_eval.tasks import TaskManager

    class _OverridingTaskManager(TaskManager):
        def load(self, *args, **kwargs):
            loaded = super().load(*args, **kwargs)
            for task in loaded["tasks"].values():
                for key, value in (task_overrides or {}).items():
                    task.set_config(key=key, value=value)
            return loaded

    return _OverridingTaskManager(include_path=lm_eval_task_dir(), include_defaults=False)


def known_tasks() -> list[str]:
    """gainrl's task and group names (one YAML file each; files starting with `_` are shared parts)."""
    return sorted(path.stem for path in Path(lm_eval_task_dir()).glob("*.yaml") if not path.name.startswith("_"))


def check_tasks(args: EvalArguments) -> None:
    """Unknown task names fail here, before the model loads, listing gainrl's tasks."""
    known = known_tasks()
    unknown = [name for name in args.task_names if name not in known]
    if unknown:
        listed = ", ".join(name for name in known if not name.endswith(PAPER_SUFFIX))
        raise UserError(f"unknown task(s) {', '.join(unknown)}; gainrl's tasks are {listed} (each math task also "
                        f"has a `{PAPER_SUFFIX}` variant, chosen by --preset paper)")


def check_eval_suite(args: EvalArguments) -> None:
    """The math tasks read the evaluation suite (`GAINRL_EVAL_SUITE`): fail before the model loads without it."""
    if all(name in ("gainrl_humaneval",) for name in args.task_names):
        return
    repo, problem = suite_repo(), None
    if looks_local(repo) or Path(repo).exists():
        problem = None if Path(repo).expanduser().is_dir() else "no such file or folder"
    else:
        from huggingface_hub import HfApi

        try:
            HfApi().dataset_info(repo)
        except Exception as error:  # noqa: BLE001 - any failure means the suite cannot be read; say how to make one
            problem = f"not readable from {_endpoint()}: {type(error).__name__}"
    if problem:
        raise UserError(f"cannot read the evaluation suite {repo} ({problem}). Build it with `gainrl eval-suite "
                        f"build --output runs/eval-suite --data-dir shared/data` and set {SUITE_ENV}=runs/eval-suite "
                        f"(or push it with --push-to-hub OWNER/NAME and set {SUITE_ENV}=OWNER/NAME)")


def _endpoint() -> str:
    import os

    return os.environ.get("HF_ENDPOINT", "https://huggingface.co")


def has_chat_template(model: str, revision: str | None) -> bool:
    from transformers import AutoTokenizer

    return bool(getattr(AutoTokenizer.from_pretrained(model, revision=revision), "chat_template", None))


def model_arguments(args: EvalArguments) -> tuple[str, dict]:
    """lm-eval's model name and model_args for the chosen backend."""
    from gainrl.models import resolve_device, resolve_dtype

    device = resolve_device(args.device)
    dtype = str(resolve_dtype(args.dtype, device)).removeprefix("torch.")
    model_args = {"pretrained": args.model, "dtype": dtype}
    if args.revision:
        model_args["revision"] = args.revision
    if args.backend == "vllm":
        check_backend(args)
        return "vllm", model_args
    from gainrl.eval.model import MODEL_NAME  # lm-eval's "hf" model, generation fitted to the context

    return MODEL_NAME, {**model_args, "device": str(device)}


def check_backend(args: EvalArguments) -> None:
    if args.backend == "vllm" and importlib.util.find_spec("vllm") is None:
        raise RuntimeError("--backend vllm needs vLLM, which is not installed here; on a GPU machine run "
                           "`pip install 'gainrl[vllm]'`, or use --backend hf")


def run_eval(args: EvalArguments) -> dict:
    """Evaluate, write outputs under `args.output`, print the table; returns lm-eval's results dict."""
    check_tasks(args)  # the mistakes a user can fix come first, before the slow imports and the model
    check_backend(args)
    check_eval_suite(args)
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker

    from gainrl.eval.model import capped_generation

    backend, model_args = model_arguments(args)
    capped_generation.clear()
    chat = has_chat_template(args.model, args.revision)
    overrides = {"repeats": args.samples_per_problem} if args.samples_per_problem else {}
    tracker = EvaluationTracker(output_path=args.output)
    results = simple_evaluate(
        model=backend, model_args=model_args, tasks=args.task_names, task_manager=task_manager(overrides),
        batch_size=args.batch_size, limit=args.limit, apply_chat_template=chat, fewshot_as_multiturn=chat,
        gen_kwargs={"max_gen_toks": args.max_new_tokens} if args.max_new_tokens else None,
        log_samples=True, evaluation_tracker=tracker, confirm_run_unsafe_code=True,
        random_seed=args.seed, numpy_random_seed=args.seed, torch_random_seed=args.seed, fewshot_random_seed=args.seed,
    )
    results["gainrl"] = {"arguments": asdict(args), "chat_template": chat, "capped_generation": dict(capped_generation)}
    _save(tracker, results)
    _print_table(results)
    print(f"gainrl eval: results in {results_files(args.output)[-1]} (per-sample logs next to it)", flush=True)
    if args.push_results:
        from gainrl.eval.cards import push_results_to_card

        push_results_to_card(args, results)
    return results


def _save(tracker, results: dict) -> None:
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for task_name in results["configs"]:
        tracker.save_results_samples(task_name=task_name, samples=samples[task_name])
    results["samples"] = samples


def _print_table(results: dict) -> None:
    from lm_eval.utils import make_table

    print(make_table(results))
    if results.get("groups"):
        print(make_table(results, "groups"))


def results_files(output: str) -> list[Path]:
    """The results JSON files `gainrl eval` wrote under `output`, oldest first."""
    return sorted(Path(output).glob("**/results_*.json"), key=lambda path: path.stat().st_mtime)

