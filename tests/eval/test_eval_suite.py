"""The evaluation-suite dataset: rows from ../shared/data, bad input, card, push and load back from the Hub."""

import json
from pathlib import Path

import datasets
import pytest

from gainrl.eval.suite import CONFIGS, SOURCES, _listed_answers, build_suite, load_suite_config, rows_from_records

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"  # not imported from conftest: that re-runs it

EXPECTED_ROWS = {"gsm8k": 1319, "math500": 500, "amc23": 83, "aime24": 30, "minerva_ocw": 272, "olympiadbench": 675}


def test_suite_loads_back_from_the_hub_with_all_rows_in_source_order(use_eval_suite, api):
    for config in CONFIGS:
        data = datasets.load_dataset(use_eval_suite, config, split="test")
        assert data.column_names == ["id", "problem", "answer"] and len(data) == EXPECTED_ROWS[config]
        records = json.loads((SHARED_DATA / SOURCES[config].local_file).read_text())
        assert data["problem"] == [record["problem"] for record in records]
        assert len(set(data["id"])) == len(data)
    aime = json.loads((SHARED_DATA / "aime_eval.json").read_text())
    assert load_suite_config("aime24")["answer"] == [record["answer"] for record in aime]


def test_answers_are_normalised_from_each_source_format(use_eval_suite):
    gsm8k = load_suite_config("gsm8k")
    assert gsm8k[0]["answer"] == "18" and gsm8k[0]["id"] == "gsm8k-test-0000"
    assert load_suite_config("minerva_ocw")[0]["answer"] == "9.6"
    olympiad = json.loads((SHARED_DATA / "olympiad_bench.json").read_text())
    assert load_suite_config("olympiadbench")["answer"] == [_listed_answers(r["answer"]) for r in olympiad]
    assert _listed_answers("['$x=1$', '$\\frac{1}{2}$']") == "x=1, \\frac{1}{2}"
    assert _listed_answers(["9.6\n"]) == _listed_answers("['9.6\\n']") == "9.6"
    assert load_suite_config("amc23")[0]["answer"] == "142.0"


def test_card_records_sources_and_checksums(eval_suite_repo, api):
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(eval_suite_repo)
    assert [entry["config_name"] for entry in card.data.configs] == list(CONFIGS)
    for config in CONFIGS:
        assert SOURCES[config].local_file in card.text
    assert "sha256" in card.text and "minerva_ocw" in card.text


def test_bad_record_is_named_with_its_field(tmp_path):
    with pytest.raises(ValueError, match="gsm8k: record 1: field 'solution'"):
        rows_from_records("gsm8k", [{"problem": "a", "solution": "x #### 1"}, {"problem": "b", "solution": "2"}],
                          SOURCES["gsm8k"].to_row)
    with pytest.raises(ValueError, match="math500: record 0: missing field 'unique_id'"):
        rows_from_records("math500", [{"problem": "a", "answer": "1"}], SOURCES["math500"].to_row)
    with pytest.raises(ValueError, match="aime24: record 1: field 'answer' is empty"):
        rows = [{"problem": "p", "answer": "1", "year": "2024", "aime_number": "1", "problem_number": str(n)}
                for n in range(2)]
        rows[1]["answer"] = " "
        rows_from_records("aime24", rows, SOURCES["aime24"].to_row)
    with pytest.raises(ValueError, match="record 1: field 'id' 'x' repeats record 0"):
        rows_from_records("math500", [{"unique_id": "x", "problem": "a", "answer": "1"}] * 2, SOURCES["math500"].to_row)


def test_failed_build_leaves_an_existing_suite_untouched(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "aime_eval.json").write_text((SHARED_DATA / "aime_eval.json").read_text())
    out = build_suite(str(tmp_path / "suite"), str(data_dir), configs=("aime24",))
    before = sorted(path.name for path in out.rglob("*"))
    (data_dir / "aime_eval.json").write_text(json.dumps([{"problem": "p"}]))
    with pytest.raises(ValueError, match="record 0"):
        build_suite(str(out), str(data_dir), configs=("aime24",))
    assert sorted(path.name for path in out.rglob("*")) == before
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".suite-")] == []
    with pytest.raises(ValueError, match="unknown eval-suite configs"):
        build_suite(str(out), str(data_dir), configs=("mmlu",))


def test_cli_builds_a_subset(run_gainrl, tmp_path, offline):
    result = run_gainrl("eval-suite", "build", "--output", str(tmp_path / "s"), "--data-dir", str(SHARED_DATA),
                        "--configs", "amc23,aime24")
    assert "wrote the evaluation suite" in result.stdout
    assert sorted(path.name for path in (tmp_path / "s").iterdir()) == ["README.md", "aime24", "amc23"]
