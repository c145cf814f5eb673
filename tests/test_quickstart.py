"""Tests for gainrl.quickstart: the offline demonstration runs end to end in a fresh process.

Run: python -m pytest tests/test_quickstart.py -v
"""

import pytest
from huggingface_hub import HfApi

from gainrl.hub.process import LocalHubProcess
from gainrl.quickstart import QuickstartConfig, check_environment_is_fresh


def test_quickstart_pushes_loads_back_and_prints_user_lines(run_gainrl, tmp_path):
    hub_root = tmp_path / "hub"
    result = run_gainrl("quickstart", "--hub-root", str(hub_root), "--out", str(tmp_path / "run"),
                        "--train-size", "60", "--test-size", "20", "--train-steps", "4", cwd=tmp_path)
    output = result.stdout
    config = QuickstartConfig()
    assert "num_rows: 60" in output and "Qwen2ForCausalLM" in output
    assert f"load_dataset('{config.dataset_repo}'" in output and f"from_pretrained('{config.model_repo}')" in output
    assert "export HF_ENDPOINT=http://127.0.0.1:8088 HF_HUB_DISABLE_XET=1" in output
    assert "local Hub: done" in output
    with LocalHubProcess(hub_root) as hub:  # the data stays on disk after the quickstart stopped its Hub
        card = HfApi(endpoint=hub.endpoint).dataset_info(config.dataset_repo).card_data
        assert card.license == "apache-2.0" and [c["config_name"] for c in card.configs] == ["default"]
        files = HfApi(endpoint=hub.endpoint).list_repo_files(config.model_repo)
        assert {"model.safetensors", "tokenizer.json", "chat_template.jinja", "README.md"} <= set(files)
        scored = HfApi(endpoint=hub.endpoint).dataset_info(config.scored_repo).card_data
        assert list(scored.gainrl["configs"]) == ["tiny-qwen2"]
        refs = HfApi(endpoint=hub.endpoint).list_repo_refs(config.trained_repo)
        assert {"main", "step-000002", "step-000004"} <= {ref.name for ref in refs.branches}
        trained = HfApi(endpoint=hub.endpoint).list_repo_files(config.trained_repo)
        assert {"model.safetensors", "gainrl_sampler_state.json", "images/curriculum.png"} <= set(trained)
    assert (tmp_path / "run" / "scored-synthetic" / "README.md").exists()
    assert f"from_pretrained('{config.trained_repo}')" in output and "recipes/tiny/gainrl.yaml" in output


def test_quickstart_is_rerunnable_on_the_same_hub(run_gainrl, tmp_path):
    arguments = ("quickstart", "--hub-root", str(tmp_path / "hub"), "--out", str(tmp_path / "run"),
                 "--train-size", "30", "--test-size", "10", "--train-steps", "2")
    run_gainrl(*arguments, cwd=tmp_path)
    assert "num_rows: 30" in run_gainrl(*arguments, cwd=tmp_path).stdout


def test_refuses_to_run_after_hf_libraries_were_imported():
    import huggingface_hub  # noqa: F401  (the test session imported it already)

    with pytest.raises(RuntimeError, match="fresh process"):
        check_environment_is_fresh()
