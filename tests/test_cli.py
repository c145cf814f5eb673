"""Tests for gainrl.cli: one `gainrl` command whose subcommands all explain every flag.

Run: python -m pytest tests/test_cli.py -v
"""

import argparse
import time
import urllib.request

import pytest

from gainrl.cli import COMMANDS, build_parser, command_parser
from gainrl.hub.process import free_port


def subcommand_parsers(parser: argparse.ArgumentParser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield (*prefix, name), child
                yield from subcommand_parsers(child, (*prefix, name))


def test_help_lists_the_commands(run_gainrl):
    output = run_gainrl("--help").stdout
    for command in ("hub", "tiny", "quickstart"):
        assert command in output


def test_every_command_in_the_table_is_listed():
    listed = {" ".join(path) for path, _ in subcommand_parsers(build_parser())}
    assert set(COMMANDS) <= listed


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_flag_has_help(name):
    for action in command_parser(name)._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, f"gainrl {name} {action.option_strings[0]} has no help text"


def test_hub_serve_help_says_it_is_a_stand_in(run_gainrl):
    output = " ".join(run_gainrl("hub", "serve", "--help").stdout.split())
    assert "stand-in" in output and "NOT a replacement for the Hub" in output


def test_tiny_command_builds_a_loadable_model_offline(run_gainrl, tmp_path, offline):
    run_gainrl("tiny", "--out", str(tmp_path / "m"), "--arch", "llama", "--hidden", "32", "--layers", "1",
               "--heads", "2", "--seed", "5")
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tmp_path / "m")
    assert model.config.model_type == "llama" and model.config.hidden_size == 32


def test_output_is_the_flag_and_the_old_out_is_still_accepted(run_gainrl, tmp_path, offline):
    run_gainrl("tiny", "--output", str(tmp_path / "new"), "--hidden", "32", "--layers", "1")
    old = run_gainrl("tiny", "--out", str(tmp_path / "old"), "--hidden", "32", "--layers", "1")
    assert "--out is deprecated" in old.stderr and "use --output" in old.stderr
    assert (tmp_path / "new" / "config.json").read_text() == (tmp_path / "old" / "config.json").read_text()


def test_positional_values_old_spellings_and_aliases_are_normalized(capsys):
    from gainrl.cli import ExportIndicesArguments, ExportVerlArguments, normalized_argv
    from gainrl.train.command import TrainArguments

    assert normalized_argv("export-indices", ["--out", "x.pt", "runs/s"], ExportIndicesArguments) == [
        "--directory", "runs/s", "--output", "x.pt"]
    assert normalized_argv("export-verl", ["d", "--config", "tiny"], ExportVerlArguments) == [
        "--dataset", "d", "--dataset-config", "tiny"]
    assert "--config is deprecated" in capsys.readouterr().err
    assert normalized_argv("train", ["--output=runs/x"], TrainArguments) == ["--output_dir=runs/x"]
    assert capsys.readouterr().err == ""


def test_bad_flags_give_a_clear_error(run_gainrl, tmp_path):
    result = run_gainrl("tiny", "--out", str(tmp_path / "m"), "--hidden", "30", "--heads", "4", check=False)
    assert result.returncode == 2 and "multiple of heads" in result.stderr


def test_hub_serve_answers_and_binds_to_loopback(tmp_path):
    import subprocess
    import sys

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "gainrl", "hub", "serve", "--root", str(tmp_path / "r"),
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(600):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/whoami-v2", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        assert b'"name":"local"' in body
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "not the Hugging Face Hub" in output and f"http://127.0.0.1:{port}" in output


def test_score_arguments_all_have_help_and_parse_with_dashes():
    import dataclasses

    from trl import TrlParser

    from gainrl.score.command import ScoreArguments

    for item in dataclasses.fields(ScoreArguments):
        assert item.metadata.get("help"), f"gainrl score --{item.name.replace('_', '-')} has no help text"
    (args,) = TrlParser((ScoreArguments,)).parse_args_and_config(
        ["--model", "m", "--dataset", "d.json", "--output", "o", "--question-field", "q", "--inter-weight", "0.5",
         "--few-shot", "none", "--metric", "length"])
    assert (args.question_field, args.inter_weight, args.few_shot, args.config_name) == ("q", 0.5, "none", "m")


def test_score_reads_a_yaml_recipe_with_cli_overrides(tmp_path, run_gainrl, tiny_model_dir):
    data = tmp_path / "d.json"
    data.write_text('[{"problem": "Mia has 3 coins. How many?"}, {"problem": "Noah has 5 cards. How many?"}]')
    recipe = tmp_path / "score.yaml"
    recipe.write_text(f"model: {tiny_model_dir}\ndataset: {data}\noutput: {tmp_path / 'from-yaml'}\nmetric: angle\n")
    run_gainrl("score", "--config", str(recipe), "--metric", "length")
    import datasets

    loaded = datasets.load_dataset(str(tmp_path / "from-yaml"), split="train")
    assert loaded["c_intra"] == [None, None]  # the command-line --metric length won over the recipe


def test_help_marks_required_flags_shows_defaults_once_and_lists_config(run_gainrl):
    import re

    for command in ("score", "eval", "audit", "train"):
        text = " ".join(run_gainrl(command, "--help").stdout.split())
        assert "(default: None)" not in text, command
        assert not re.search(r"\(default: [^)]*\)\.? \(default:", text), command
        assert "default: the paper's). (default" not in text and "--config YAML" in text, command
        assert "--debug" in text and "--verbose" in text, command
        if command == "score":
            assert "--model MODEL Scoring model: a Hub id or a local folder. (required)" in text
        if command == "train":
            assert "Policy to train: Hub id or local folder. (required)" in text
            assert "written by `gainrl score`: Hub id or local folder. (required)" in text
            order = [text.index(title) for title in ("gainrl: model and data", "gainrl: curriculum", "--rank_std",
                                                     "TRL GRPOConfig options", "--learning_rate")]
            assert order == sorted(order)


def test_a_command_that_succeeds_under_a_distributed_launch_destroys_its_process_group(tmp_path):
    import torch.distributed as dist

    from gainrl.cli import main

    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        assert main(["tiny", "--output", str(tmp_path / "m"), "--hidden", "32", "--layers", "1"]) == 0
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
