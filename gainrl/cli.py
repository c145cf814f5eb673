"""The `gainrl` command line: one entry point, one table of subcommands, one convention.

    gainrl hub serve --root DIR        local Hub stand-in for offline work and tests
    gainrl tiny --output DIR           build a small random causal LM with its tokenizer, offline
    gainrl score --model M --dataset D --output DIR    angle-sorted dataset (optionally pushed to the Hub)
    gainrl export-indices DIR --output F.pt            that ordering in the reference's .pt format
    gainrl export-verl DIR --output F.parquet          a scored dataset as verl's RL parquet (GainRLSampler)
    gainrl train --config recipes/tiny/gainrl.yaml   GRPO with the GAIN-RL curriculum (TRL), checkpoints to the Hub
    gainrl eval --model M --tasks T    lm-eval on gainrl's benchmark tasks (results JSON, table, card)
    gainrl audit --model M --dataset D --output DIR   Spearman of angle_score with length, pass rate, grad norm
    gainrl eval-suite build --output DIR [--data-dir D] [--push-to-hub R]   the evaluation suite dataset
    gainrl demo --model M [--compare M2] [--sorted-dataset D]   the Gradio demo, locally
    gainrl push-space OWNER/NAME --model M [--sorted-dataset D]   upload the demo Space
    gainrl quickstart                  the offline end-to-end demonstration

The convention: every subcommand's arguments are a dataclass parsed by `trl.TrlParser` (flags with dashes or
underscores, or the keys of a YAML file given with `--config`), registered in `COMMANDS`; a run's output folder or
file is `--output` everywhere (`gainrl train` also takes TRL's `--output_dir`). Spellings of earlier versions
(`--out`, `export-verl --config` for the dataset config) are still accepted, with a deprecation message.

The table names modules and classes as strings: a command's module, and torch, transformers or the Hub clients,
are imported only when it runs, so `gainrl --help` and `gainrl hub serve` start fast.

What it does not cover: the commands' work (each stage's module), and what a user error says (`gainrl.user_errors`).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from gainrl import __version__
from gainrl.run_log import RunLog
from gainrl.user_errors import UserError, check_local_path

HUB_SERVE_DESCRIPTION = (
    "Serve the Hugging Face Hub HTTP API subset that huggingface_hub, datasets, transformers, TRL, lm-eval and the "
    "hf CLI need, from files under --root. It is a local stand-in for offline work and tests, NOT a replacement "
    "for the Hub. Point clients at it with HF_ENDPOINT=http://HOST:PORT and HF_HUB_DISABLE_XET=1."
)


def _help(text: str, **extra) -> dict:
    return {"help": text, **extra}


# ---------------------------------------------------------------------- arguments of the small commands
# (score, train, eval and audit keep theirs beside their code; the demo's extend `gainrl.demo.app.DemoConfig`)

@dataclass
class HubServeArguments:
    root: str = field(metadata=_help("folder holding the repositories; created if missing, reused (with all its "
                                     "repos, branches and tags) on restart"))
    host: str = field(default="127.0.0.1", metadata=_help("address to bind (default: %(default)s, this machine "
                                                          "only)"))
    port: int = field(default=8088, metadata=_help("TCP port"))
    token: str | None = field(default=None, metadata=_help("require this bearer token on every request (default: "
                                                           "accept any token or none)"))
    user: str = field(default="local", metadata=_help("user name reported by whoami and used as the namespace of "
                                                      "repo ids given without one"))
    log_level: str = field(default="info", metadata=_help("server log level; 'debug' also logs every request",
                                                          choices=["critical", "error", "warning", "info", "debug"]))


@dataclass
class EvalSuiteBuildArguments:
    output: str = field(metadata=_help("folder to write (the layout of a Hub dataset repo)"))
    data_dir: str | None = field(default=None, metadata=_help(
        "read local JSON files in the format of the project's shared/data folder (default: download the upstream "
        "Hub datasets)"))
    configs: str | None = field(default=None, metadata=_help("comma-separated subset of configs (default: all)"))
    push_to_hub: str | None = field(default=None, metadata=_help("also push to this Hub dataset repo (OWNER/NAME)"))
    private: bool = field(default=False, metadata=_help("create the Hub repo as private"))


@dataclass
class ExportIndicesArguments:
    directory: str = field(metadata=_help("output folder of `gainrl score` (also accepted without the flag, first)"))
    output: str = field(metadata=_help("the .pt file to write"))
    source: str | None = field(default=None, metadata=_help(
        "the source dataset, when the scoring used --id-field and the recorded source is not reachable from here "
        "(default: the recorded one)"))


@dataclass
class ExportVerlArguments:
    dataset: str = field(metadata=_help("output folder of `gainrl score`, or its Hub id (also accepted without the "
                                        "flag, first)"))
    output: str = field(metadata=_help("the .parquet file to write"))
    dataset_config: str | None = field(default=None, metadata=_help("scoring config (default: the only one)"))
    split: str | None = field(default=None, metadata=_help("split (default: the scored one)"))
    revision: str | None = field(default=None, metadata=_help("Hub revision of the dataset"))
    data_source: str | None = field(default=None, metadata=_help("the rows' data_source (default: gainrl/<name>)"))
    answer_field: str = field(default="answer", metadata=_help("column with the reference answer"))


# ---------------------------------------------------------------------- runners of the small commands
# Imports inside these functions keep `gainrl --help` fast: each pulls in torch, transformers or the Hub clients.

def run_hub_serve(args: HubServeArguments) -> None:
    from gainrl.hub.server import serve

    serve(args.root, host=args.host, port=args.port, token=args.token, user=args.user, log_level=args.log_level)


def run_tiny(args) -> None:
    from gainrl.kit.tiny import build_tiny_model

    config = args.model_config()
    print(f"saved tiny {config.arch} model to {build_tiny_model(args.output, config)}")


def run_eval_suite_build(args: EvalSuiteBuildArguments) -> None:
    from gainrl.eval.suite import CONFIGS, build_suite

    configs = tuple(name.strip() for name in args.configs.split(",")) if args.configs else CONFIGS
    folder = build_suite(args.output, args.data_dir, configs, args.push_to_hub, args.private)
    print(f"wrote the evaluation suite to {folder}" + (f" and pushed it to {args.push_to_hub}"
                                                       if args.push_to_hub else ""))


def run_export_indices(args: ExportIndicesArguments) -> None:
    from gainrl.score.export import export_indices

    print(f"wrote {export_indices(args.directory, args.output, args.source)} indices to {args.output}")


def run_export_verl(args: ExportVerlArguments) -> None:
    from gainrl.integrations.verl_data import to_verl_parquet

    path = to_verl_parquet(args.dataset, args.output, args.dataset_config, args.split, args.revision,
                           args.data_source, args.answer_field)
    print(f"wrote {path}")


def run_demo(args) -> None:
    os.environ["GRADIO_SERVER_NAME"], os.environ["GRADIO_SERVER_PORT"] = args.host, str(args.port)
    from gainrl.demo.app import launch

    launch(args.demo_config())


def run_push_space(args) -> None:
    from gainrl.demo.space import push_space

    print(f"pushed the demo Space {args.repo_id}: {push_space(args.repo_id, args.demo_config(), args.private)}")


# ---------------------------------------------------------------------- the table

@dataclass(frozen=True)
class Command:
    """One subcommand: where its arguments dataclass and its runner live ("module:name"), its help, and the
    spellings it accepts besides its fields' flags."""

    arguments: str
    runner: str
    help: str
    description: str
    positional: str | None = None  # a field also given without its flag, as the first value (`export-indices DIR`)
    renamed: tuple[tuple[str, str], ...] = ()  # (old flag, flag): accepted, with a deprecation message
    aliases: tuple[tuple[str, str], ...] = ()  # (other spelling, flag): accepted silently
    usage: str | None = None
    fresh_process: bool = False  # runs where no HF library is imported yet: parsed, then run in a re-executed process


OUT_RENAMED = (("--out", "--output"),)
COMMANDS = {
    "hub serve": Command("gainrl.cli:HubServeArguments", "gainrl.cli:run_hub_serve",
                         "serve a local Hub-compatible API", HUB_SERVE_DESCRIPTION),
    "tiny": Command("gainrl.kit.tiny:TinyArguments", "gainrl.cli:run_tiny", "build a tiny random causal LM offline",
                    "Build a small, deterministic causal LM (random weights) with a byte-level BPE tokenizer trained "
                    "offline on synthetic math text, ChatML special tokens and a chat template, saved with "
                    "save_pretrained.", renamed=OUT_RENAMED),
    "score": Command("gainrl.score.command:ScoreArguments", "gainrl.score.command:run_score",
                     "score prompts by angle concentration and publish the angle-sorted dataset",
                     "Pre-fill a model over a dataset, compute each prompt's angle concentration, and write (and "
                     "optionally push) the angle-sorted dataset."),
    "export-indices": Command("gainrl.cli:ExportIndicesArguments", "gainrl.cli:run_export_indices",
                              "write a scored dataset's order in the reference's .pt format",
                              "Write an int64 permutation of source positions, best first (torch.save), as the "
                              "reference code's angle_sorted_data/*.pt files.", positional="directory",
                              renamed=OUT_RENAMED),
    "export-verl": Command("gainrl.cli:ExportVerlArguments", "gainrl.cli:run_export_verl",
                           "write a scored dataset as verl's RL parquet",
                           "Write a `gainrl score` dataset as verl's RL parquet (data_source, prompt messages from "
                           "the recorded prompt settings, reward_model.ground_truth, extra_info with id, angle_rank "
                           "and angle_score) for gainrl.integrations.verl.GainRLSampler.", positional="dataset",
                           renamed=(("--config", "--dataset-config"),)),
    "train": Command("gainrl.train.command:TrainArguments", "gainrl.train.command:run_train",
                     "GRPO training with the GAIN-RL curriculum on an angle-sorted dataset",
                     "Train a policy with TRL's GRPOTrainer, drawing each round's prompts with the GAIN-RL curriculum "
                     "(or the uniform, length or static baselines) from a dataset written by `gainrl score`; save "
                     "(and push) checkpoints, the sampler state, plots and a model card.",
                     aliases=(("--output", "--output_dir"),),
                     usage="gainrl train [--config YAML] [--model_name_or_path M] [--dataset_name D] "
                           "[OPTION VALUE ...]"),
    "eval": Command("gainrl.eval.command:EvalArguments", "gainrl.eval.command:run_eval",
                    "evaluate a model on gainrl's lm-eval tasks",
                    "Run gainrl's lm-eval tasks (the paper's math benchmarks, HumanEval) on a model with lm-eval, "
                    "write the results JSON and per-sample logs under --output, print a table, and optionally add "
                    "the results to the model's card."),
    "audit": Command("gainrl.score.audit:AuditArguments", "gainrl.score.audit:run_audit",
                     "check what a model's angle score tracks: prompt length, pass rate, gradient norm",
                     "On a seeded subset of a dataset, correlate each prompt's angle_score (from gainrl score) with "
                     "its length, the model's pass rate over k samples and the gradient norm of the policy loss at "
                     "the scoring layer (Spearman, bootstrap 95% intervals); write per_prompt.jsonl, audit.json and "
                     "scatter.png."),
    "eval-suite build": Command("gainrl.cli:EvalSuiteBuildArguments", "gainrl.cli:run_eval_suite_build",
                                "build (and push) the evaluation suite",
                                "Build the evaluation suite (configs gsm8k, math500, amc23, aime24, minerva_ocw, "
                                "olympiadbench; split test; columns id, problem, answer) from local JSON files or "
                                "from the upstream Hub datasets, with a card recording every source and its "
                                "revision."),
    "demo": Command("gainrl.demo.app:DemoArguments", "gainrl.cli:run_demo", "run the Gradio demo locally",
                    "Serve the demo Space's app locally: a Solve tab (streamed answer, final answer, check against a "
                    "reference) and an angle view of the question."),
    "push-space": Command("gainrl.demo.app:PushSpaceArguments", "gainrl.cli:run_push_space",
                          "upload the demo Space to the Hub",
                          "Create or update a Gradio Space with the demo app, its README links to the model(s) and "
                          "the sorted dataset, a demo_config.json naming them, and the gainrl package.",
                          positional="repo_id"),
    "quickstart": Command("gainrl.kit.quickstart:QuickstartConfig", "gainrl.kit.quickstart:run_quickstart",
                          "offline end-to-end demonstration",
                          "Start a local Hub, build a synthetic arithmetic dataset and a tiny model, warm-start the "
                          "model with a short supervised fine-tune, score the training split with gainrl score, "
                          "train two runs (gainrl and uniform curricula) with gainrl train, evaluate base and both "
                          "with gainrl eval, push everything, write summary.json and plots, load it all back, print "
                          "how to do the same, and stop the Hub. Needs no network.", renamed=OUT_RENAMED,
                          fresh_process=True),
}
GROUPS = {"hub": "local Hub stand-in", "eval-suite": "build the evaluation suite dataset"}


def load(reference: str):
    """The object a "module:name" string names."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


# ---------------------------------------------------------------------- parsing

def command_of(argv: list[str]) -> tuple[str | None, list[str]]:
    """(the table's name for the command argv starts with, the rest of argv); None when it names none."""
    for words in (2, 1):
        name = " ".join(argv[:words])
        if len(argv) >= words and name in COMMANDS:
            return name, argv[words:]
    return None, argv


def value_flags(arguments_class) -> set[str]:
    """The flags of a dataclass that take a value (all but booleans), in both spellings."""
    names = [f.name for f in dataclasses.fields(arguments_class) if f.type not in (bool, "bool")]
    return {f"--{name}" for name in names} | {f"--{name.replace('_', '-')}" for name in names}


def normalized_argv(name: str, argv: list[str], arguments_class) -> list[str]:
    """Old spellings replaced (with a deprecation message), aliases resolved, the positional value given its flag."""
    command, replaced = COMMANDS[name], []
    spellings = dict(command.renamed) | dict(command.aliases)
    for item in argv:
        flag, equals, value = item.partition("=")
        if flag in spellings:
            if flag in dict(command.renamed):
                print(f"gainrl {name}: {flag} is deprecated and will be removed; use {spellings[flag]}",
                      file=sys.stderr, flush=True)
            item = spellings[flag] + equals + value
        replaced.append(item)
    if command.positional:
        takes_value = value_flags(arguments_class)
        for position, item in enumerate(replaced):
            previous = replaced[position - 1] if position else ""
            if not item.startswith("-") and previous not in takes_value:
                return [f"--{command.positional}", item, *replaced[:position], *replaced[position + 1:]]
    return replaced


def command_parser(name: str):
    """The `trl.TrlParser` of a command (its arguments dataclass, `--config YAML`, and the shared help style)."""
    from trl import TrlParser

    command = COMMANDS[name]
    parser = TrlParser((load(command.arguments),), prog=f"gainrl {name}", formatter_class=HelpFormatter,
                       description=command.description, epilog=COMMON_FLAGS_EPILOG)
    parser.add_argument("--config", default=argparse.SUPPRESS, metavar="YAML",
                        help="YAML file whose keys set any of the options below (flags given as well win)")
    parser._optionals._group_actions.insert(1, parser._optionals._group_actions.pop())  # listed after --help
    if command.usage:
        parser.usage = command.usage
    if name == "train":  # ~25 options of gainrl's, then TRL's ~200
        from gainrl.train.help import group_train_options

        group_train_options(parser)
    return parser


def parsed_arguments(name: str, argv: list[str]):
    """The command's arguments dataclass from argv; for a `fresh_process` command, parsing (which imports TRL and
    so the HF libraries) happens once, then the process re-executes itself and reads the parsed values back."""
    command = COMMANDS[name]
    arguments_class = load(command.arguments)
    if command.fresh_process and PARSED_ENV in os.environ:
        return arguments_class(**json.loads(os.environ.pop(PARSED_ENV)))
    (args,) = command_parser(name).parse_args_and_config(normalized_argv(name, argv, arguments_class))
    if command.fresh_process:
        os.environ[PARSED_ENV] = json.dumps(dataclasses.asdict(args))
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "gainrl", *_global_flags, name])
    return args


def run_command(name: str, argv: list[str]) -> int:
    _check_flag_paths(name, argv)  # before the slow imports of TRL and the command's module
    args = parsed_arguments(name, argv)
    _check_paths(name, args)
    if _run_log is not None:
        _run_log.claim_library_loggers()  # the ones imported with the command's module
    runner = load(COMMANDS[name].runner)

    def run(parsed) -> int:
        runner(parsed)
        release_process_group()
        return 0

    return _guarded(name, run, args)


def release_process_group() -> None:
    """After a command succeeded under `accelerate launch` or `torchrun`, destroy torch's process group while Python
    is still whole: left to interpreter exit, gloo's worker threads can abort a finished process (SIGABRT, "terminate
    called without an active exception"; pytorch/pytorch#190489). Not after a failure: other processes may still be
    in a collective, and destroying the group then can hang."""
    torch = sys.modules.get("torch")  # never imported by this: a command that did not load torch has no group
    if torch is not None and torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser: `gainrl --help`, `--version`, and the list of commands (each command's own options
    are its dataclass's, see `command_parser`)."""
    parser = argparse.ArgumentParser(prog="gainrl", epilog=COMMON_FLAGS_EPILOG, formatter_class=HelpFormatter,
                                     description="GAIN-RL (https://huggingface.co/papers/2506.02281): "
                                                 "angle-concentration curricula for RL fine-tuning.")
    parser.add_argument("--version", action="version", version=f"gainrl {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    groups = {}
    for name, command in COMMANDS.items():
        group, _, sub = name.rpartition(" ")
        if group and group not in groups:
            groups[group] = subparsers.add_parser(group, help=GROUPS[group]).add_subparsers(
                dest="subcommand", required=True, metavar="{" + sub + "}")
        (groups[group] if group else subparsers).add_parser(
            sub, add_help=False, help=f"{command.help} (see `gainrl {name} --help`)")
    return parser


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
    for name in PATH_FLAGS.get(command, ()):
        check_local_path(getattr(args, name, None), _flag_name(command, name))


def _flag_name(command: str, name: str) -> str:
    """How the user wrote it: `--dataset-name`-style flags, `--dataset_name` for train (its recipes' keys)."""
    return name if name == "directory" else "--" + (name if command == "train" else name.replace("_", "-"))


def _check_flag_paths(command: str, argv: list[str]) -> None:
    """`_check_paths` on the values given as flags (`--model X`, `--model=X`); a YAML recipe's are checked later."""
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
             "quickstart": lambda args: Path(args.output, "gainrl.log")}
_run_log = None  # gainrl.run_log.RunLog of this invocation, when its command has a log file
_global_flags: list[str] = []  # --debug / --verbose as given, passed on when a command re-executes the process
PARSED_ENV = "GAINRL_PARSED_ARGUMENTS"  # a fresh_process command's parsed arguments (JSON), across the re-execution


def main(argv: list[str] | None = None) -> int:
    global _run_log, _global_flags
    argv = list(sys.argv[1:] if argv is None else argv)
    debug, verbose = _pop_flag(argv, "--debug"), _pop_flag(argv, "--verbose")
    _global_flags = ["--debug"] * debug + ["--verbose"] * verbose
    if verbose:
        os.environ["GAINRL_VERBOSE"] = "1"  # gainrl.run_log.VERBOSE_ENV, read by the trainer's step logging
    command, rest = command_of(argv)
    if command in LOG_FILES and not verbose and not {"-h", "--help"} & set(rest):
        _run_log = RunLog.start()
    try:
        if command is None:
            build_parser().parse_args(argv)  # --help, --version, or an error naming the commands
            return 2
        return run_command(command, rest)
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
