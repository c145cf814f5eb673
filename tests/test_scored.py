"""Tests for gainrl.scored: the scored dataset as one artifact (columns, provenance, card, `load_scored`).

Run: python -m pytest tests/test_scored.py -v
"""

import json

import datasets
import pytest
from huggingface_hub import HfApi

import gainrl
from gainrl.kit.synthetic import generate_problems
from gainrl.prompts import PromptSettings
from gainrl.score.command import ScoreArguments, run_score
from gainrl.scored import COLUMNS, Provenance, in_rank_order, load_scored, record_errors

ROWS = 12


@pytest.fixture(scope="module")
def scored_folder(tmp_path_factory, tiny_model_dir):
    folder = tmp_path_factory.mktemp("scored")
    (folder / "rows.json").write_text(json.dumps(generate_problems(ROWS, seed=5)))
    run_score(ScoreArguments(model=str(tiny_model_dir), dataset=str(folder / "rows.json"),
                             output=str(folder / "out"), config_name="tiny", system_prompt=""))
    return folder / "out"


def test_load_scored_gives_rows_in_rank_order_with_the_recorded_provenance(scored_folder, tiny_model_dir):
    scored = gainrl.load_scored(str(scored_folder))
    assert gainrl.load_scored is load_scored
    assert scored.config == "tiny" and scored.split == "train" and len(scored) == ROWS
    assert scored.data["angle_rank"] == list(range(ROWS)) and set(COLUMNS) <= set(scored.data.column_names)
    assert scored.scores == sorted(scored.scores, reverse=True)
    assert scored.provenance.model == str(tiny_model_dir) and scored.provenance.question_field == "problem"
    assert scored.prompt_settings == PromptSettings.from_flags("", None)
    assert scored.revision.startswith("fingerprint:")
    assert load_scored(str(scored_folder), split=None).revision == scored.revision


def test_unknown_config_and_split_are_named(scored_folder):
    with pytest.raises(ValueError, match="no scoring config 'other'.*tiny"):
        load_scored(str(scored_folder), "other")
    with pytest.raises(ValueError, match="test"):
        load_scored(str(scored_folder), split="test")


def test_provenance_round_trips_and_keeps_keys_it_does_not_know():
    record = {"source_dataset": "d.json", "source_split": "train", "question_field": "q", "prompt": {"x": 1},
              "layer": 3, "model": "m", "future_key": [1, 2]}
    provenance = Provenance.from_dict(record)
    assert provenance.extra == {"future_key": [1, 2]}
    assert {k: v for k, v in provenance.to_dict().items() if k in record} == record
    with pytest.raises(ValueError, match="question_field"):
        Provenance.from_dict({k: v for k, v in record.items() if k != "question_field"}, "card of d")


def test_one_rule_picks_the_angle_layer():
    provenance = Provenance("d", "train", "q", {}, model="scorer", layer=5)
    assert provenance.angle_layer_for("scorer") == 5
    assert provenance.angle_layer_for("another-policy") == -1
    assert provenance.angle_layer_for("scorer", override=2) == 2
    assert Provenance("d", "train", "q", {}, model="scorer").angle_layer_for("scorer") == -1


def test_bad_rows_are_named_by_row_id_and_field():
    data = datasets.Dataset.from_dict({name: [0, 1, 2] for name in COLUMNS} | {
        "id": ["a", "b", "c"], "angle_rank": [0, 0, 7], "problem": ["x", " ", "z"]})
    errors = record_errors(data, "problem")
    assert "row 1 (id='b'): field 'angle_rank' = 0 repeats row 0's" in errors[0]
    assert "row 2 (id='c'): field 'angle_rank' = 7 is not an integer in [0, 3)" in errors[1]
    assert errors[2] == "row 1 (id='b'): field 'problem' is missing or empty"
    assert "['c_intra']" in record_errors(data.remove_columns("c_intra"), "problem")[0]


def test_rows_written_out_of_rank_order_are_put_in_rank_order():
    data = datasets.Dataset.from_dict({"id": ["a", "b", "c"], "angle_rank": [2, 0, 1]})
    assert in_rank_order(data)["id"] == ["b", "c", "a"]


def test_a_hub_dataset_is_pinned_to_one_commit(hub, tmp_path, tiny_model_dir, repo_name):
    (tmp_path / "rows.json").write_text(json.dumps(generate_problems(ROWS, seed=6)))
    run_score(ScoreArguments(model=str(tiny_model_dir), dataset=str(tmp_path / "rows.json"),
                             output=str(tmp_path / "out"), config_name="tiny", push_to_hub=repo_name))
    scored = load_scored(repo_name, revision="main")
    assert scored.revision == HfApi().dataset_info(repo_name).sha and len(scored.revision) == 40
    assert scored.data["id"] == load_scored(str(tmp_path / "out")).data["id"]
