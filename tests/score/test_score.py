"""Tests for gainrl.score.command and gainrl.score.source: the `gainrl score` job end to end (output layout and
order, bad input, resume after kill -9, Hub round trip with several configs, `.pt` export (gainrl.score.export), the
length and reference metrics).

Run: python -m pytest tests/score/test_score.py -v
"""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import datasets
import pytest
import torch
from huggingface_hub import DatasetCard

from gainrl.kit.synthetic import generate_problems
from gainrl.score.command import ScoreArguments, run_score

MATH_TRAIN = Path(__file__).resolve().parents[3] / "shared" / "data" / "math_train.json"
ADDED = ["id", "prompt_tokens", "question_tokens", "truncated", "c_intra", "c_inter", "angle_score", "angle_rank"]


@pytest.fixture(scope="module")
def math_file(tmp_path_factory):
    """40 real MATH training problems as a JSON list (the reference's file format)."""
    if not MATH_TRAIN.exists():
        pytest.skip("needs ../shared/data/math_train.json")
    path = tmp_path_factory.mktemp("data") / "math40.json"
    path.write_text(json.dumps(json.loads(MATH_TRAIN.read_text())[:40]))
    return path


def score(tmp_path, model, dataset, name="out", **flags) -> Path:
    output = tmp_path / name
    run_score(ScoreArguments(model=str(model), dataset=str(dataset), output=str(output), **flags))
    return output


def test_output_is_a_sorted_dataset_repo_with_all_source_columns(tmp_path, tiny_model_dir, math_file):
    output = score(tmp_path, tiny_model_dir, math_file, batch_size=7, max_length=300)
    loaded = datasets.load_dataset(str(output), split="train")
    source = json.loads(math_file.read_text())
    assert loaded.column_names == list(source[0]) + ADDED
    assert loaded["angle_rank"] == list(range(40))
    assert sorted(loaded["id"]) == list(range(40))
    for row in loaded:
        assert {k: row[k] for k in source[0]} == source[row["id"]]
        assert row["angle_score"] == pytest.approx(row["c_intra"] + row["c_inter"])
    scores = loaded["angle_score"]
    assert all(a >= b for a, b in zip(scores, scores[1:]))
    assert sum(loaded["truncated"]) >= 1  # some MATH prompts exceed 300 tiny-tokenizer tokens
    provenance = DatasetCard.load(output / "README.md").data.to_dict()["gainrl"]["configs"]
    (record,) = provenance.values()
    assert record["truncated"] == sum(loaded["truncated"]) and record["layer"] == 1
    assert record["spearman_score_vs_prompt_tokens"] is not None and record["dtype"] == "float32"
    assert (output / record["histogram"]).read_bytes()[:4] == b"\x89PNG"
    assert not Path(str(output) + ".partial").exists()


def test_inter_weight_and_id_field(tmp_path, tiny_model_dir):
    rows = [{"uid": f"q{i:03d}", **r} for i, r in enumerate(generate_problems(30, seed=2))]
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    plain = datasets.load_dataset(str(score(tmp_path, tiny_model_dir, path, "a", id_field="uid")), split="train")
    weighted = datasets.load_dataset(str(score(tmp_path, tiny_model_dir, path, "b", id_field="uid",
                                               inter_weight=3.0)), split="train")
    assert set(plain["id"]) == {r["uid"] for r in rows} and plain["id"] == [r for r in plain["uid"]]
    by_id = {row["id"]: row for row in weighted}
    for row in plain:
        other = by_id[row["id"]]
        assert other["angle_score"] == pytest.approx(row["c_intra"] + 3.0 * row["c_inter"])


def write_bad_input(path: Path) -> None:
    rows = [{"uid": "a", "problem": "Mia has 3 coins. How many coins?"},
            {"uid": "b"},
            {"uid": "c", "problem": 42},
            {"uid": "d", "problem": "   \n"},
            {"uid": "e", "problem": "7"},
            {"uid": "a", "problem": "Noah has 4 cards. How many cards?"}]
    path.write_text("\n".join(json.dumps(r) for r in rows))


def test_bad_input_names_every_record_and_writes_nothing(tmp_path, tiny_model_dir, run_gainrl):
    path = tmp_path / "bad.jsonl"
    write_bad_input(path)
    result = run_gainrl("score", "--model", str(tiny_model_dir), "--dataset", str(path), "--id-field", "uid",
                        "--output", str(tmp_path / "out"), check=False)
    assert result.returncode == 2
    message = result.stderr
    assert "5 bad record(s)" in message
    assert "id='b'" in message and "field 'problem' is missing" in message
    assert "id='c'" in message and "not a string" in message
    assert "id='d'" in message and "empty or white space" in message
    assert "id='e'" in message and "1 question token(s)" in message
    assert "duplicate id 'a'" in message
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


def test_existing_output_needs_overwrite(tmp_path, tiny_model_dir, math_file):
    score(tmp_path, tiny_model_dir, math_file, metric="length")
    with pytest.raises(FileExistsError, match="--overwrite"):
        score(tmp_path, tiny_model_dir, math_file, metric="length")
    score(tmp_path, tiny_model_dir, math_file, metric="length", overwrite=True)


def test_length_metric_is_shortest_first(tmp_path, tiny_model_dir, math_file):
    loaded = datasets.load_dataset(str(score(tmp_path, tiny_model_dir, math_file, metric="length")), split="train")
    lengths = loaded["prompt_tokens"]
    assert lengths == sorted(lengths) and loaded["c_intra"] == [None] * 40
    ties = [(a, b) for a, b in zip(zip(lengths, loaded["id"]), zip(lengths[1:], loaded["id"][1:])) if a[0] == b[0]]
    assert all(a[1] < b[1] for a, b in ties)
    (record,) = DatasetCard.load(Path(tmp_path / "out" / "README.md")).data.to_dict()["gainrl"]["configs"].values()
    assert record["spearman_score_vs_prompt_tokens"] == pytest.approx(-1.0)


def test_reference_metric_reproduces_the_reference_computation(tmp_path, tiny_model_dir, math_file):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from gainrl.prompts import PromptSettings, render
    from gainrl.score.reference import reference_value

    settings = PromptSettings.from_flags(system_prompt="", few_shot="none")  # short prompts: L <= 232 gives NaN
    loaded = datasets.load_dataset(str(score(tmp_path, tiny_model_dir, math_file, metric="reference",
                                             system_prompt="", few_shot="none", max_length=400)), split="train")
    model, tokenizer = AutoModelForCausalLM.from_pretrained(tiny_model_dir), AutoTokenizer.from_pretrained(
        tiny_model_dir)
    source = json.loads(math_file.read_text())
    values = loaded["angle_score"]
    nan_rows = [math.isnan(v) for v in values]
    assert any(nan_rows) and not all(nan_rows)
    assert nan_rows == sorted(nan_rows, reverse=True)  # NaN first, as torch.argsort(descending=True) puts them
    for row in list(loaded)[:3] + list(loaded)[-3:]:
        captured = {}
        hook = model.model.layers[-1].mlp.up_proj.register_forward_hook(lambda m, a, o: captured.update(x=a[0]))
        text = render(tokenizer, settings, source[row["id"]]["problem"])
        with torch.no_grad():
            model(**tokenizer([text], truncation=True, max_length=400, return_tensors="pt"))
        hook.remove()
        expected = reference_value(captured["x"][0])
        assert (math.isnan(expected) and math.isnan(row["angle_score"])) or row["angle_score"] == pytest.approx(
            expected, abs=1e-6)


def test_push_to_hub_with_two_scoring_models_as_two_configs(hub, tmp_path, tiny_model_dir, math_file, repo_name):
    from gainrl.kit.tiny import TinyModelConfig, build_tiny_model

    other_model = build_tiny_model(tmp_path / "other-model", TinyModelConfig(seed=7))
    first = score(tmp_path, tiny_model_dir, math_file, "a", push_to_hub=repo_name, config_name="tiny-a")
    second = score(tmp_path, other_model, math_file, "b", push_to_hub=repo_name)
    for output, config in ((first, "tiny-a"), (second, "other-model")):
        local = datasets.load_dataset(str(output), split="train")
        remote = datasets.load_dataset(repo_name, config, split="train")
        assert remote.to_list() == local.to_list()
    card = DatasetCard.load(repo_name)
    assert set(card.data.to_dict()["gainrl"]["configs"]) == {"tiny-a", "other-model"}
    assert "Config `tiny-a`" in card.text and "Config `other-model`" in card.text
    assert sorted(datasets.get_dataset_config_names(repo_name)) == ["other-model", "tiny-a"]


def test_export_indices_writes_the_reference_pt_format(tmp_path, tiny_model_dir, math_file, run_gainrl):
    output = score(tmp_path, tiny_model_dir, math_file)
    run_gainrl("export-indices", str(output), "--out", str(tmp_path / "processed_math.pt"))
    indices = torch.load(tmp_path / "processed_math.pt")
    assert indices.dtype == torch.int64 and sorted(indices.tolist()) == list(range(40))
    assert indices.tolist() == datasets.load_dataset(str(output), split="train")["id"]


def test_export_indices_maps_ids_back_to_source_positions(tmp_path, tiny_model_dir):
    rows = [{"uid": f"z{40 - i}", **r} for i, r in enumerate(generate_problems(20, seed=4))]
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(rows))
    output = score(tmp_path, tiny_model_dir, path, id_field="uid")
    from gainrl.score.export import export_indices

    export_indices(str(output), str(tmp_path / "i.pt"))
    positions = torch.load(tmp_path / "i.pt").tolist()
    assert [rows[p]["uid"] for p in positions] == datasets.load_dataset(str(output), split="train")["id"]


def test_resume_after_kill_gives_the_uninterrupted_output(tmp_path, tiny_model_dir):
    path = tmp_path / "many.json"
    path.write_text(json.dumps(generate_problems(3000, seed=5, difficulties=(3, 4, 5))))
    common = ["--model", str(tiny_model_dir), "--dataset", str(path), "--batch-size", "1", "--shard-size", "100"]
    shards = tmp_path / "killed.partial" / "shards"
    process = subprocess.Popen([sys.executable, "-m", "gainrl", "score", *common, "--output",
                                str(tmp_path / "killed")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while not (shards.exists() and len(list(shards.glob("*.json"))) >= 3) and time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode()[-2000:]
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done_before = {p.name for p in shards.glob("*.json")}
    assert 3 <= len(done_before) < 30 and not (tmp_path / "killed").exists()
    resumed = subprocess.run([sys.executable, "-m", "gainrl", "score", *common, "--output", str(tmp_path / "killed")],
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"{len(done_before)} of 30 shards already done" in resumed.stdout
    clean = subprocess.run([sys.executable, "-m", "gainrl", "score", *common, "--output", str(tmp_path / "clean")],
                           capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr[-2000:]
    killed = datasets.load_dataset(str(tmp_path / "killed"), split="train").to_list()
    assert killed == datasets.load_dataset(str(tmp_path / "clean"), split="train").to_list()
    assert not (tmp_path / "killed.partial").exists()


def test_two_processes_under_accelerate_give_the_single_process_output(tmp_path, tiny_model_dir):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(generate_problems(120, seed=9)))
    common = ["--model", str(tiny_model_dir), "--dataset", str(path), "--shard-size", "16", "--device", "cpu"]
    launcher = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
                "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "gainrl"]
    two = subprocess.run([*launcher, "score", *common, "--output", str(tmp_path / "two")], capture_output=True,
                         text=True)
    assert two.returncode == 0, two.stderr[-3000:]
    one = subprocess.run([sys.executable, "-m", "gainrl", "score", *common, "--output", str(tmp_path / "one")],
                         capture_output=True, text=True)
    assert one.returncode == 0, one.stderr[-3000:]
    two_rows = datasets.load_dataset(str(tmp_path / "two"), split="train").to_list()
    one_rows = datasets.load_dataset(str(tmp_path / "one"), split="train").to_list()
    assert [r["id"] for r in two_rows] == [r["id"] for r in one_rows]
    for a, b in zip(two_rows, one_rows):
        assert a["angle_score"] == pytest.approx(b["angle_score"], abs=1e-6)


@pytest.mark.parametrize("kind", ["parquet", "saved", "hub"])
def test_every_kind_of_source_gives_the_same_scores(hub, tmp_path, tiny_model_dir, math_file, repo_name, kind):
    rows = json.loads(math_file.read_text())[:12]
    dataset = datasets.Dataset.from_list(rows)
    if kind == "parquet":
        source = tmp_path / "rows.parquet"
        dataset.to_parquet(str(source))
    elif kind == "saved":
        source = tmp_path / "saved-source"
        datasets.DatasetDict({"train": dataset}).save_to_disk(str(source))
    else:
        source = repo_name
        dataset.push_to_hub(repo_name)
    reference_file = tmp_path / "rows.json"
    reference_file.write_text(json.dumps(rows))
    expected = datasets.load_dataset(str(score(tmp_path, tiny_model_dir, reference_file, "json")), split="train")
    found = datasets.load_dataset(str(score(tmp_path, tiny_model_dir, source, kind)), split="train")
    assert found.to_list() == expected.to_list()


def test_model_by_hub_id_records_its_commit(hub, api, tmp_path, tiny_model_dir, math_file, repo_name):
    api.create_repo(repo_name)
    api.upload_folder(repo_id=repo_name, folder_path=tiny_model_dir)
    output = score(tmp_path, repo_name, math_file)
    (record,) = DatasetCard.load(output / "README.md").data.to_dict()["gainrl"]["configs"].values()
    assert record["model"] == repo_name and record["model_revision"] == api.model_info(repo_name).sha
    local = datasets.load_dataset(str(score(tmp_path, tiny_model_dir, math_file, "local")), split="train")
    assert datasets.load_dataset(str(output), split="train")["angle_score"] == local["angle_score"]


def test_batches_respect_prompt_and_token_caps():
    from types import SimpleNamespace

    from gainrl.score.command import PromptScorer

    lengths = [5, 300, 40, 41, 1000, 7, 7, 260, 90, 3]
    scorer = PromptScorer.__new__(PromptScorer)
    scorer.args = SimpleNamespace(batch_size=3, max_batch_tokens=600)
    scorer.prompts = [SimpleNamespace(prompt_tokens=n) for n in lengths]
    batches = scorer.batches(list(range(len(lengths))))
    assert sorted(p for batch in batches for p in batch) == list(range(len(lengths)))
    for batch in batches:
        widths = [lengths[p] for p in batch]
        assert len(batch) <= 3 and (len(batch) == 1 or len(batch) * max(widths) <= 600)
        assert widths == sorted(widths)
    assert [4] in batches  # a prompt wider than the token cap still gets scored, alone


def test_split_slices_and_limit_keep_the_plain_split_and_record_the_selection(tmp_path, tiny_model_dir, run_gainrl):
    rows = generate_problems(20, seed=1)
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(rows))
    result = run_gainrl("score", "--model", str(tiny_model_dir), "--dataset", str(path), "--output",
                        str(tmp_path / "sliced"), "--split", "train[5:15]", "--limit", "4", "--config-name", "tiny")
    loaded = datasets.load_dataset(str(tmp_path / "sliced"), split="train")  # the plain split name
    assert sorted(loaded["id"]) == [5, 6, 7, 8]  # ids stay positions in the whole source split
    assert {row["id"]: row["problem"] for row in loaded} == {i: rows[i]["problem"] for i in range(5, 9)}
    provenance = DatasetCard.load(tmp_path / "sliced" / "README.md").data.gainrl["configs"]["tiny"]
    assert (provenance["source_split"], provenance["source_selection"]) == ("train", "train[5:15], first 4")
    assert provenance["rows"] == 4 and "train[5:15], first 4" in result.stdout
    assert f"results: {tmp_path / 'sliced'} (split train)" in result.stdout

    percent = score(tmp_path, tiny_model_dir, path, name="percent", split="train[10%:20%]")
    assert sorted(datasets.load_dataset(str(percent), split="train")["id"]) == [2, 3]
    with pytest.raises(ValueError, match="not a slice of split 'train'"):
        score(tmp_path, tiny_model_dir, path, name="bad", split="train[:5]+test[:5]")
