"""Round trips of the libraries users reach the Hub through (datasets, transformers, the `hf` command-line tool)
against the local Hub stand-in, unmodified apart from `HF_ENDPOINT` and `HF_HUB_DISABLE_XET=1`.

Run: python -m pytest tests/hub/test_hub_clients.py -v
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import datasets
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

HF_CLI = shutil.which("hf", path=str(Path(sys.executable).parent)) or "hf"


def shuffled_rows(count: int) -> list[dict]:
    """Rows whose order is not sorted by any column, so a reordering on the way would show."""
    return [{"id": f"row-{(7 * i) % count}", "score": float((13 * i) % 17), "text": f"problem {i}"}
            for i in range(count)]


def test_dataset_push_and_load_keep_row_order(hub, repo_name):
    rows = shuffled_rows(500)
    datasets.Dataset.from_list(rows).push_to_hub(repo_name)
    loaded = datasets.load_dataset(repo_name, split="train")
    assert loaded.to_list() == rows


def test_several_configs_in_one_repo(hub, repo_name):
    first, second = shuffled_rows(50), shuffled_rows(80)[::-1]
    datasets.DatasetDict({"train": datasets.Dataset.from_list(first),
                          "test": datasets.Dataset.from_list(first[:5])}).push_to_hub(repo_name, config_name="qwen")
    datasets.Dataset.from_list(second).push_to_hub(repo_name, config_name="llama")
    assert datasets.load_dataset(repo_name, "qwen", split="train").to_list() == first
    assert datasets.load_dataset(repo_name, "qwen", split="test").to_list() == first[:5]
    assert datasets.load_dataset(repo_name, "llama", split="train").to_list() == second
    assert sorted(datasets.get_dataset_config_names(repo_name)) == ["llama", "qwen"]


def test_streaming_load(hub, repo_name):
    rows = shuffled_rows(300)
    datasets.Dataset.from_list(rows).push_to_hub(repo_name)
    streamed = list(datasets.load_dataset(repo_name, split="train", streaming=True))
    assert streamed == rows


def test_dataset_survives_restart(hub, repo_name):
    rows = shuffled_rows(40)
    datasets.Dataset.from_list(rows).push_to_hub(repo_name, config_name="kept")
    hub.restart()
    loaded = datasets.load_dataset(repo_name, "kept", split="train", download_mode="force_redownload")
    assert loaded.to_list() == rows


def test_model_and_tokenizer_push_and_from_pretrained(hub, repo_name, tiny_model_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model.push_to_hub(repo_name)
    tokenizer.push_to_hub(repo_name)
    reloaded = AutoModelForCausalLM.from_pretrained(repo_name)
    reloaded_tokenizer = AutoTokenizer.from_pretrained(repo_name)
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, reloaded.state_dict()[name]), name
    text = "Mia has 12 coins. <|im_end|>"
    assert reloaded_tokenizer(text)["input_ids"] == tokenizer(text)["input_ids"]
    assert reloaded_tokenizer.chat_template == tokenizer.chat_template


def test_from_pretrained_with_a_branch_revision(hub, api, repo_name, tiny_model_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    model.push_to_hub(repo_name)
    api.create_branch(repo_name, branch="step-100")
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(1.0)
    model.push_to_hub(repo_name, revision="step-100")
    main = AutoModelForCausalLM.from_pretrained(repo_name)
    branch = AutoModelForCausalLM.from_pretrained(repo_name, revision="step-100")
    weight = "model.embed_tokens.weight"
    assert torch.allclose(branch.state_dict()[weight], main.state_dict()[weight] + 1.0)


def test_hf_command_line_upload_and_download(hub, repo_name, tmp_path):
    source = tmp_path / "src"
    (source / "nested").mkdir(parents=True)
    (source / "nested" / "notes.txt").write_text("from the hf CLI")
    upload = subprocess.run([HF_CLI, "upload", repo_name, str(source), "."], capture_output=True, text=True)
    assert upload.returncode == 0, upload.stderr
    target = tmp_path / "dst"
    download = subprocess.run([HF_CLI, "download", repo_name, "--local-dir", str(target)], capture_output=True,
                              text=True)
    assert download.returncode == 0, download.stderr
    assert (target / "nested" / "notes.txt").read_text() == "from the hf CLI"


@pytest.mark.parametrize("repo_type", ["dataset"])
def test_hf_command_line_with_repo_type(hub, repo_name, tmp_path, repo_type):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    upload = subprocess.run([HF_CLI, "upload", repo_name, str(tmp_path / "data.csv"), "data.csv",
                             "--repo-type", repo_type], capture_output=True, text=True)
    assert upload.returncode == 0, upload.stderr
    assert datasets.load_dataset(repo_name, split="train").to_list() == [{"a": 1, "b": 2}]


def _hf(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([HF_CLI, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result


def test_hf_filesystem_modified_and_expanded_listing(hub, api, repo_name):
    from huggingface_hub import HfFileSystem

    api.create_repo(repo_name, repo_type="dataset")
    first = api.upload_file(path_or_fileobj=b"a,b\n1,2\n", path_in_repo="data/x.csv", repo_id=repo_name,
                            repo_type="dataset", commit_message="x")
    api.upload_file(path_or_fileobj=b"other", path_in_repo="notes.txt", repo_id=repo_name, repo_type="dataset")
    dates = {c.commit_id: c.created_at for c in api.list_repo_commits(repo_name, repo_type="dataset")}
    fs = HfFileSystem()
    assert fs.modified(f"datasets/{repo_name}/data/x.csv") == dates[first.oid]
    assert fs.modified(f"datasets/{repo_name}/data") == dates[first.oid]
    listing = fs.ls(f"datasets/{repo_name}", detail=True, expand_info=True)
    assert all(entry["last_commit"] is not None for entry in listing)


def test_hf_command_line_lists_dates_and_changes_settings(hub, api, repo_name):
    api.create_repo(repo_name)
    commit = api.upload_file(path_or_fileobj=b"x", path_in_repo="a.txt", repo_id=repo_name)
    listing = {item["path"]: item for item in json.loads(_hf("models", "ls", repo_name, "--format", "json").stdout)}
    assert listing["a.txt"]["last_commit"]["oid"] == commit.oid and listing["a.txt"]["last_commit"]["date"]
    _hf("repos", "settings", repo_name, "--private")
    assert api.model_info(repo_name).private is True
    _hf("repos", "duplicate", repo_name, repo_name + "-dup")
    _hf("repos", "move", repo_name, repo_name + "-moved")
    assert api.model_info(repo_name + "-moved").sha == commit.oid
    assert api.list_repo_files(repo_name + "-dup") == api.list_repo_files(repo_name + "-moved")
    assert not api.repo_exists(repo_name)


def test_duckdb_reads_through_a_registered_hf_filesystem(hub, api, repo_name):
    import duckdb
    from huggingface_hub import HfFileSystem

    api.create_repo(repo_name, repo_type="dataset")
    api.upload_file(path_or_fileobj=b"id,score\n3,0.5\n1,0.25\n", path_in_repo="data.csv", repo_id=repo_name,
                    repo_type="dataset")
    connection = duckdb.connect()
    connection.register_filesystem(HfFileSystem())
    rows = connection.sql(f"SELECT id, score FROM read_csv('hf://datasets/{repo_name}/data.csv')").fetchall()
    assert rows == [(3, 0.5), (1, 0.25)]
