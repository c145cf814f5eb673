"""The `gainrl` command line: one entry point with a subcommand per job.

    gainrl hub serve --root DIR        local Hub stand-in for offline work and tests
    gainrl tiny --out DIR              build a small random causal LM with its tokenizer, offline
    gainrl score --model M --dataset D --output DIR    angle-sorted dataset (optionally pushed to the Hub)
    gainrl export-indices DIR --out F.pt               that ordering in the reference's .pt format
    gainrl export-verl DIR --output F.parquet          a scored dataset as verl's RL parquet (GainRLSampler)
    gainrl train --config recipes/tiny/gainrl.yaml   GRPO with the GAIN-RL curriculum (TRL), checkpoints to the Hub
    gainrl eval --model M --tasks T    lm-eval on gainrl's benchmark tasks (results JSON, table, card)
    gainrl audit --model M --dataset D --output DIR   Spearman of angle_score with length, pass rate, grad norm
    gainrl eval-suite build --output DIR [--data-dir D] [--push-to-hub R]   the evaluation suite dataset
    gainrl demo --model M [--compare M2] [--sorted-dataset D]   the Gradio demo, locally
    gainrl push-space OWNER/NAME --model M [--sorted-dataset D]   upload the demo Space
    gainrl quickstart                  the offline end-to-end demonstration

Each subcommand imports torch, transformers or the Hub clients only when it runs, so `gainrl --help` and
`gainrl hub serve` start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HUB_SERVE_DESCRIPTION = (
    "Serve the Hugging Face Hub HTTP API subset that huggingface_hub, datasets, transformers, TRL, lm-eval and the "
    "hf CLI need, from files under --root. It is a local stand-in for offline work and tests, NOT a replacement "
    "for the Hub. Point clients at it with HF_ENDPOINT=http://HOST:PORT and HF_HUB_DISABLE_XET=1."
)


def _add_hub(subparsers) -> None:
    hub = subparsers.add_parser("hub", help="local Hub stand-in", description="Local Hub stand-in commands.")
    hub_commands = hub.add_subparsers(dest="hub_command", required=True, metavar="{serve}")
    serve = hub_commands.add_parser("serve", help="serve a local Hub-compatible API", description=HUB_SERVE_DESCRIPTION)
    serve.add_argument("--root", required=True, help="folder holding the repositories; created if missing, "
                       "reused (with all its repos, branches and tags) on restart")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s, this machine only)")
    serve.add_argument("--port", type=int, default=8088, help="TCP port (default: %(default)s)")
    serve.add_argument("--token", default=None, help="require this bearer token on every request "
                       "(default: accept any token or none)")
    serve.add_argument("--user", default="local", help="user name reported by whoami and used as the namespace of "
                       "repo ids given without one (default: %(default)s)")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                       help="server log level; 'debug' also logs every request (default: %(default)s)")
    serve.set_defaults(run=_run_hub_serve)


def _run_hub_serve(args) -> int:
    from gainrl.hub.server import serve

    serve(args.root, host=args.host, port=args.port, token=args.token, user=args.user, log_level=args.log_level)
    return 0


def _add_tiny(subparsers) -> None:
    tiny = subparsers.add_parser("tiny", help="build a tiny random causal LM offline", description=(
        "Build a small, deterministic causal LM (random weights) with a byte-level BPE tokenizer trained offline "
        "on synthetic math text, ChatML special tokens and a chat template, saved with save_pretrained."))
    tiny.add_argument("--out", required=True, help="output folder (loadable with from_pretrained)")
    tiny.add_argument("--arch", default="qwen2", choices=["qwen2", "llama"], help="architecture (default: %(default)s)")
    tiny.add_argument("--hidden", type=int, default=64, help="hidden size (default: %(default)s)")
    tiny.add_argument("--layers", type=int, default=2, help="number of decoder layers (default: %(default)s)")
    tiny.add_argument("--heads", type=int, default=4, help="attention heads; must divide --hidden "
                      "(default: %(default)s)")
    tiny.add_argument("--kv-heads", type=int, default=None, help="key-value heads (default: half of --heads)")
    tiny.add_argument("--intermediate", type=int, default=None, help="MLP size (default: twice --hidden)")
    tiny.add_argument("--vocab-size", type=int, default=512, help="tokenizer vocabulary size, including 256 byte "
                      "tokens and 3 special tokens (default: %(default)s)")
    tiny.add_argument("--seed", type=int, default=0, help="seed for weights and tokenizer "
                      "corpus (default: %(default)s)")
    tiny.set_defaults(run=_run_tiny)


def _run_tiny(args) -> int:
    from gainrl.tiny import TinyModelConfig, build_tiny_model

    config = TinyModelConfig(arch=args.arch, hidden=args.hidden, layers=args.layers, heads=args.heads,
                             kv_heads=args.kv_heads, intermediate=args.intermediate, vocab_size=args.vocab_size,
                             seed=args.seed)
    print(f"saved tiny {config.arch} model to {build_tiny_model(args.out, config)}")
    return 0


def _add_quickstart(subparsers) -> None:
    from gainrl.quickstart import QuickstartConfig

    defaults = QuickstartConfig()
    quick = subparsers.add_parser("quickstart", help="offline end-to-end demonstration", description=(
        "Start a local Hub, build a synthetic arithmetic dataset and a tiny model, warm-start the model with a "
        "short supervised fine-tune, score the training split with gainrl score, train two runs (gainrl and uniform "
        "curricula) with gainrl train, evaluate base and both with gainrl eval, push everything, write "
        "summary.json and plots, load it all back, print how to do the same, and stop the Hub. Needs no network."))
    quick.add_argument("--hub-root", default=".gainrl-hub", help="local Hub storage folder, kept after the run "
                       "(default: %(default)s)")
    quick.add_argument("--out", default="runs/quickstart", help="folder for built artefacts (default: %(default)s)")
    quick.add_argument("--port", type=int, default=0, help="port for the local Hub during the run "
                       "(default: any free port)")
    quick.add_argument("--namespace", default="local", help="namespace of the pushed repos (default: %(default)s)")
    quick.add_argument("--train-size", type=int, default=defaults.train_size, help="synthetic training problems "
                       "(default: %(default)s)")
    quick.add_argument("--test-size", type=int, default=defaults.test_size, help="held-out test problems "
                       "(default: %(default)s)")
    quick.add_argument("--seed", type=int, default=0, help="seed for model and data (default: %(default)s)")
    quick.add_argument("--sft-steps", type=int, default=defaults.sft_steps, help="supervised warm-start steps "
                       "(default: %(default)s)")
    quick.add_argument("--eval-limit", type=int, default=None, help="evaluate only this many held-out problems "
                       "(default: all)")
    quick.add_argument("--train-steps", type=int, default=defaults.train_steps, help="GRPO steps of each training run "
                       "(default: %(default)s)")
    quick.set_defaults(run=_run_quickstart)


def _run_quickstart(args) -> int:
    from gainrl.quickstart import QuickstartConfig, run_quickstart

    run_quickstart(QuickstartConfig(hub_root=args.hub_root, out_dir=args.out, port=args.port,
                                    namespace=args.namespace, train_size=args.train_size,
                                    test_size=args.test_size, seed=args.seed, train_steps=args.train_steps,
                                    sft_steps=args.sft_steps, eval_limit=args.eval_limit))
    return 0


# Commands whose arguments are dataclasses parsed by trl.TrlParser (flags, or a YAML recipe with --config):
# name -> (module, arguments class, runner, one-line help, description).
DATACLASS_COMMANDS = {
    "score": ("gainrl.score", "ScoreArguments", "run_score",
              "score prompts by angle concentration and publish the angle-sorted dataset",
              "Pre-fill a model over a dataset, compute each prompt's angle concentration, and write (and optionally "
              "push) the angle-sorted dataset."),
    "train": ("gainrl.train", "TrainArguments", "run_train",
              "GRPO training with the GAIN-RL curriculum on an angle-sorted dataset",
              "Train a policy with TRL's GRPOTrainer, drawing each round's prompts with the GAIN-RL curriculum (or the "
              "uniform, length or static baselines) from a dataset written by `gainrl score`; save (and push) "
              "checkpoints, the sampler state, plots and a model card."),
    "eval": ("gainrl.evaluate", "EvalArguments", "run_eval", "evaluate a model on gainrl's lm-eval tasks",
             "Run gainrl's lm-eval tasks (the paper's math benchmarks, HumanEval) on a model with lm-eval, write the "
             "results JSON and per-sample logs under --output, print a table, and optionally add the results to the "
             "model's card."),
    "audit": ("gainrl.audit", "AuditArguments", "run_audit",
              "check what a model's angle score tracks: prompt length, pass rate, gradient norm",
              "On a seeded subset of a dataset, correlate each prompt's angle_score (from gainrl score) with its "
              "length, the model's pass rate over k samples and the gradient norm of the policy loss at the scoring "
              "layer (Spearman, bootstrap 95% intervals); write per_prompt.jsonl, audit.json and scatter.png."),
}


def _add_dataclass_commands(subparsers) -> None:
    for name, (*_, help_line, _description) in DATACLASS_COMMANDS.items():
        subparsers.add_parser(name, add_help=False, help=f"{help_line} (see `gainrl {name} --help`)")


def run_dataclass_command(name: str, argv: list[str]) -> int:
    import importlib

    from trl import TrlParser

    module_name, class_name, runner_name, _, description = DATACLASS_COMMANDS[name]
    module = importlib.import_module(module_name)
    parser = TrlParser((getattr(module, class_name),), prog=f"gainrl {name}", formatter_class=HelpFormatter,
                       description=description, epilog=COMMON_FLAGS_EPILOG)
    parser.add_argument("--config", default=argparse.SUPPRESS, metavar="YAML",
                        help="YAML file whose keys set any of the options below (flags given as well win)")
    parser._optionals._group_actions.insert(1, parser._optionals._group_actions.pop())  # listed after --help
    if name == "train":  # ~25 options of gainrl's, then TRL's ~200
        from gainrl.train_help import group_train_options

        parser.usage = "gainrl train [--config YAML] [--model_name_or_path M] [--dataset_name D] [OPTION VALUE ...]"
        group_train_options(parser)
    (args,) = parser.parse_args_and_config(argv)
    _check_paths(name, args)
    if _run_log is not None:
        _run_log.claim_library_loggers()  # the ones imported with the command's module

    def run(parsed) -> int:
        getattr(module, runner_name)(parsed)
        return 0

    return _guarded(name, run, args)


def _add_eval_suite(subparsers) -> None:
    suite = subparsers.add_parser("eval-suite", help="build the evaluation suite dataset", description=(
        "Commands for the Hub dataset the gainrl math tasks read (one config per benchmark)."))
    commands = suite.add_subparsers(dest="suite_command", required=True, metavar="{build}")
    build = commands.add_parser("build", help="build (and push) the evaluation suite", description=(
        "Build the evaluation suite (configs gsm8k, math500, amc23, aime24, minerva_ocw, olympiadbench; split "
        "test; columns id, problem, answer) from local JSON files or from the upstream Hub datasets, with a card "
        "recording every source and its revision."))
    build.add_argument("--output", required=True, help="folder to write (the layout of a Hub dataset repo)")
    build.add_argument("--data-dir", default=None, help="read local JSON files in the format of the project's "
                       "shared/data folder (default: download the upstream Hub datasets)")
    build.add_argument("--configs", default=None, help="comma-separated subset of configs (default: all)")
    build.add_argument("--push-to-hub", default=None, help="also push to this Hub dataset repo (OWNER/NAME)")
    build.add_argument("--private", action="store_true", help="create the Hub repo as private")
    build.set_defaults(run=_run_eval_suite_build)


def _run_eval_suite_build(args) -> int:
    from gainrl.eval_suite import CONFIGS, build_suite

    configs = tuple(name.strip() for name in args.configs.split(",")) if args.configs else CONFIGS
    folder = build_suite(args.output, args.data_dir, configs, args.push_to_hub, args.private)
    print(f"wrote the evaluation suite to {folder}" + (f" and pushed it to {args.push_to_hub}"
                                                       if args.push_to_hub else ""))
    return 0


def _add_export_indices(subparsers) -> None:
    export = subparsers.add_parser("export-indices", help="write a scored dataset's order in the reference's .pt "
                                   "format", description="Write an int64 permutation of source positions, best "
                                   "first (torch.save), as the reference code's angle_sorted_data/*.pt files.")
    export.add_argument("directory", help="output folder of `gainrl score`")
    export.add_argument("--out", required=True, help="the .pt file to write")
    export.add_argument("--source", default=None, help="the source dataset, when the scoring used --id-field and "
                        "the recorded source is not reachable from here (default: the recorded one)")
    export.set_defaults(run=_run_export_indices)


def _run_export_indices(args) -> int:
    from gainrl.scored_data import export_indices

    count = export_indices(args.directory, args.out, args.source)
    print(f"wrote {count} indices to {args.out}")
    return 0


def _add_export_verl(subparsers) -> None:
    export = subparsers.add_parser("export-verl", help="write a scored dataset as verl's RL parquet", description=(
        "Write a `gainrl score` dataset as verl's RL parquet (data_source, prompt messages from the recorded prompt "
        "settings, reward_model.ground_truth, extra_info with id, angle_rank and angle_score) for "
        "gainrl.integrations.verl.GainRLSampler."))
    export.add_argument("dataset", help="output folder of `gainrl score`, or its Hub id")
    export.add_argument("--output", required=True, help="the .parquet file to write")
    export.add_argument("--config", default=None, help="scoring config (default: the only one)")
    export.add_argument("--split", default=None, help="split (default: the scored one)")
    export.add_argument("--revision", default=None, help="Hub revision of the dataset")
    export.add_argument("--data-source", default=None, help="the rows' data_source (default: gainrl/<name>)")
    export.add_argument("--answer-field", default="answer", help="column with the reference answer")
    export.set_defaults(run=_run_export_verl)


def _run_export_verl(args) -> int:
    from gainrl.integrations.verl_data import to_verl_parquet

    path = to_verl_parquet(args.dataset, args.output, args.config, args.split, args.revision, args.data_source,
                           args.answer_field)
    print(f"wrote {path}")
    return 0


def _add_demo_options(command) -> None:
    command.add_argument("--model", required=True, help="model to demo: Hub id or local folder")
    command.add_argument("--revision", default=None, help="its revision (branch, tag or commit)")
    command.add_argument("--compare", default=None, help="a second model (e.g. the base) answering side by side")
    command.add_argument("--sorted-dataset", default=None, help="angle-sorted dataset from `gainrl score`: gives "
                         "the prompt, scoring layer and the ranks the angle view compares against")
    command.add_argument("--sorted-config", default=None, help="its config (default: the only one)")
    command.add_argument("--max-new-tokens", type=int, default=512, help="generation cap (default: %(default)s)")


def _demo_config(args):
    from gainrl.demo_app import DemoConfig

    return DemoConfig(model=args.model, revision=args.revision, compare=args.compare,
                      sorted_dataset=args.sorted_dataset, sorted_config=args.sorted_config,
                      max_new_tokens=args.max_new_tokens)


def _add_demo(subparsers) -> None:
    demo = subparsers.add_parser("demo", help="run the Gradio demo locally", description=(
        "Serve the demo Space's app locally: a Solve tab (streamed answer, final answer, check against a reference) "
        "and an angle view of the question."))
    _add_demo_options(demo)
    demo.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    demo.add_argument("--port", type=int, default=7860, help="port (default: %(default)s)")
    demo.set_defaults(run=_run_demo)


def _run_demo(args) -> int:
    import os

    os.environ["GRADIO_SERVER_NAME"], os.environ["GRADIO_SERVER_PORT"] = args.host, str(args.port)
    from gainrl.demo_app import launch

    launch(_demo_config(args))
    return 0


def _add_push_space(subparsers) -> None:
    push = subparsers.add_parser("push-space", help="upload the demo Space to the Hub", description=(
        "Create or update a Gradio Space with the demo app, its README links to the model(s) and the sorted "
        "dataset, a demo_config.json naming them, and the gainrl package."))
    push.add_argument("repo_id", help="the Space, OWNER/NAME")
    _add_demo_options(push)
    push.add_argument("--private", action="store_true", help="create the Space as private")
    push.set_defaults(run=_run_push_space)


def _run_push_space(args) -> int:
    from gainrl.space import push_space

    print(f"pushed the demo Space {args.repo_id}: {push_space(args.repo_id, _demo_config(args), args.private)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from gainrl import __version__

    parser = argparse.ArgumentParser(prog="gainrl", epilog=COMMON_FLAGS_EPILOG, description=(
        "GAIN-RL (https://huggingface.co/papers/2506.02281): angle-concentration curricula for RL fine-tuning."))
    parser.add_argument("--version", action="version", version=f"gainrl {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add_command in (_add_hub, _add_tiny, _add_dataclass_commands, _add_export_indices, _add_export_verl,
                        _add_eval_suite, _add_demo, _add_push_space, _add_quickstart):
        add_command(subparsers)
    _use_formatter(parser)
    return parser


def _use_formatter(parser: argparse.ArgumentParser) -> None:
    """Every (sub)command's help marks required flags and shows defaults once."""
    parser.formatter_class = HelpFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in set(action.choices.values()):
                subparser.epilog = subparser.epilog or COMMON_FLAGS_EPILOG
                _use_formatter(subparser)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds "(required)" or "(default: X)" to a flag's help, unless the help already says its default."""

    def _get_help_string(self, action) -> str:
        text = action.help or ""
        if action.required and action.option_strings:
            return f"{text} (required)"
        if "default" in text or action.default in (None, argparse.SUPPRESS) or action.nargs == 0:
            return text
        return super()._get_help_string(action)


COMMON_FLAGS_EPILOG = ("Every command also takes --debug (show the traceback of an error) and --verbose (show "
                       "third-party warnings and logs on the terminal).")
# The flags of each command that name a model, dataset or folder: a missing local path is reported before any work.
PATH_FLAGS = {"score": ("model", "dataset"), "audit": ("model", "dataset"), "eval": ("model",),
              "train": ("model_name_or_path", "dataset_name"), "demo": ("model", "compare", "sorted_dataset"),
              "push-space": ("model", "compare", "sorted_dataset"), "export-indices": ("directory",),
              "export-verl": ("dataset",)}


def _check_paths(command: str, args) -> None:
    from gainrl.user_errors import check_local_path

    for name in PATH_FLAGS.get(command, ()):
        check_local_path(getattr(args, name, None), _flag_name(command, name))


def _flag_name(command: str, name: str) -> str:
    """How the user wrote it: `--dataset-name`-style flags, `--dataset_name` for train (its recipes' keys)."""
    return name if name == "directory" else "--" + (name if command == "train" else name.replace("_", "-"))


def _check_flag_paths(command: str, argv: list[str]) -> None:
    """`_check_paths` on the values given as flags (`--model X`, `--model=X`); a YAML recipe's are checked later."""
    from gainrl.user_errors import check_local_path

    for name in PATH_FLAGS.get(command, ()):
        flags = {f"--{name}", f"--{name.replace('_', '-')}"}
        for position, item in enumerate(argv):
            flag, _, value = item.partition("=")
            if flag in flags:
                value = value or (argv[position + 1] if position + 1 < len(argv) else "")
                check_local_path(value, _flag_name(command, name))


# Commands with a run folder: third-party warnings and logs go to this file in it (unless --verbose).
LOG_FILES = {"score": lambda args: Path(args.output + ".log"),
             "train": lambda args: Path(args.output_dir, "gainrl.log"),
             "eval": lambda args: Path(args.output, "gainrl.log"),
             "audit": lambda args: Path(args.output, "gainrl.log"),
             "quickstart": lambda args: Path(args.out, "gainrl.log")}
_run_log = None  # gainrl.run_log.RunLog of this invocation, when its command has a log file


def main(argv: list[str] | None = None) -> int:
    global _run_log
    argv = list(sys.argv[1:] if argv is None else argv)
    debug, verbose = _pop_flag(argv, "--debug"), _pop_flag(argv, "--verbose")
    if verbose:
        os.environ["GAINRL_VERBOSE"] = "1"  # gainrl.run_log.VERBOSE_ENV, read by the trainer's step logging
    if not verbose and argv[:1] and argv[0] in LOG_FILES and not {"-h", "--help"} & set(argv):
        from gainrl.run_log import RunLog

        _run_log = RunLog.start()
    command = argv[0] if argv[:1] and argv[0] in DATACLASS_COMMANDS else None
    try:
        if command:
            _check_flag_paths(command, argv[1:])  # before the slow imports of TRL and the command's module
            return run_dataclass_command(command, argv[1:])
        args = build_parser().parse_args(argv)
        _check_paths(args.command, args)
        return _guarded(args.command, args.run, args)
    except Exception as error:  # noqa: BLE001 - expected mistakes end in one line, everything else re-raises
        message = None if debug else user_message(error)
        if message is None:
            raise
        print(f"gainrl {command or (argv[:1] or ['?'])[0]}: error: {message}", file=sys.stderr)
        return 2


def _pop_flag(argv: list[str], flag: str) -> bool:
    found = flag in argv
    while flag in argv:
        argv.remove(flag)
    return found


def _guarded(command: str, function, argument) -> int:
    try:
        code = function(argument)
    except KeyboardInterrupt:
        _keep_log(command, argument)
        print(f"\ngainrl {command}: interrupted. {interrupt_note(command, argument)}", file=sys.stderr)
        return 130
    except Exception as error:
        if user_message(error) is None:
            _keep_log(command, argument)  # a crash: its log goes with the report
        raise
    _keep_log(command, argument)
    return code


def _keep_log(command: str, args) -> None:
    if _run_log is not None and command in LOG_FILES:
        written = _run_log.write(LOG_FILES[command](args))
        if written:
            print(f"  third-party warnings and logs: {written} (--verbose shows them here)", flush=True)


def interrupt_note(command: str, args) -> str:
    """What an interrupted command kept, and how to go on."""
    if command == "score" and hasattr(args, "output"):
        return (f"The shards scored so far are kept in {args.output}.partial; run the same command again to "
                "resume where it stopped.")
    if command == "train" and hasattr(args, "output_dir"):
        return (f"Checkpoints saved so far are in {args.output_dir}; add --resume_from_checkpoint true to the same "
                "command to continue from the last one.")
    return "Nothing unfinished was kept; run the command again to start over."


def user_message(error: BaseException) -> str | None:
    """The one- or two-line message for an expected mistake; None for a bug (shown with its traceback)."""
    from gainrl.user_errors import UserError

    if isinstance(error, (UserError, ValueError, FileNotFoundError, FileExistsError, NotADirectoryError,
                          RuntimeError)):
        return str(error)
    return _hub_message(error)


def _hub_message(error: BaseException) -> str | None:
    name = type(error).__name__
    if name in ("RepositoryNotFoundError", "RevisionNotFoundError", "GatedRepoError", "DatasetNotFoundError"):
        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else name
        return (f"{first_line} (Hub: {endpoint}). For a local folder give its path (e.g. ./my-model); for a private "
                "repo log in with `hf auth login` or set HF_TOKEN.")
    return None
