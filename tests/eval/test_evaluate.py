"""`gainrl eval`: argument handling, a tiny real model end to end on CPU, results files and the model card."""

import json

import pytest

from gainrl.eval.command import EvalArguments, model_arguments, results_files


def test_paper_preset_maps_to_paper_variants():
    args = EvalArguments(model="m", tasks="gainrl_math, gainrl_aime24,gainrl_humaneval", preset="paper")
    assert args.task_names == ["gainrl_math_paper", "gainrl_aime24_paper", "gainrl_humaneval"]
    assert EvalArguments(model="m", tasks="gainrl_aime24_paper").task_names == ["gainrl_aime24_paper"]


@pytest.mark.parametrize("kwargs, message", [
    ({"preset": "fast"}, "--preset"), ({"backend": "tgi"}, "--backend"), ({"dtype": "fp8"}, "--dtype"),
    ({"samples_per_problem": 0}, "at least 1"),
    ({"samples_per_problem": 4, "preset": "paper"}, "does not apply"), ({"tasks": " , "}, "empty"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EvalArguments(**{"model": "m", "tasks": "gainrl_gsm8k", **kwargs})


def test_vllm_backend_fails_clearly_without_vllm(run_gainrl, tiny_model_dir):
    pytest.importorskip("torch")
    try:
        import vllm  # noqa: F401
        pytest.skip("vLLM is installed here")
    except ImportError:
        pass
    with pytest.raises(RuntimeError, match="needs vLLM"):
        model_arguments(EvalArguments(model=str(tiny_model_dir), tasks="gainrl_gsm8k", backend="vllm"))
    result = run_gainrl("eval", "--model", str(tiny_model_dir), "--tasks", "gainrl_gsm8k", "--backend", "vllm",
                        check=False)
    assert result.returncode == 2 and "needs vLLM" in result.stderr


@pytest.fixture
def tiny_model_repo(api, repo_name, tiny_model_dir):
    api.create_repo(repo_name)
    api.upload_folder(repo_id=repo_name, folder_path=str(tiny_model_dir))
    return repo_name


def test_tiny_model_end_to_end_with_results_on_the_card(run_gainrl, use_eval_suite, tiny_model_repo, tmp_path, api):
    out = tmp_path / "eval"
    first = run_gainrl("eval", "--model", tiny_model_repo, "--tasks", "gainrl_gsm8k,gainrl_aime24", "--limit", "3",
                       "--samples-per-problem", "2", "--max-new-tokens", "8", "--batch-size", "4",
                       "--output", str(out), "--push-results")
    assert "gainrl_gsm8k" in first.stdout and "pass@k" in first.stdout
    [results_file] = results_files(str(out))
    results = json.loads(results_file.read_text())
    assert results["configs"]["gainrl_gsm8k"]["repeats"] == 2
    assert results["configs"]["gainrl_gsm8k"]["generation_kwargs"]["max_gen_toks"] == 8
    assert results["results"]["gainrl_aime24"]["sample_len"] == 3
    samples = [json.loads(line) for line in next(out.glob("**/samples_gainrl_aime24_*.jsonl")).open()]
    assert len(samples) == 3 and all(len(sample["filtered_resps"][0]) == 2 for sample in samples)

    run_gainrl("eval", "--model", tiny_model_repo, "--tasks", "gainrl_aime24", "--preset", "paper", "--limit", "2",
               "--max-new-tokens", "8", "--output", str(out), "--push-results")
    run_gainrl("eval", "--model", tiny_model_repo, "--tasks", "gainrl_aime24", "--limit", "2",
               "--samples-per-problem", "2", "--max-new-tokens", "8", "--output", str(out), "--push-results")
    from huggingface_hub import ModelCard

    card = ModelCard.load(tiny_model_repo)
    entries = [(r.task_name, r.metric_type, r.metric_config) for r in card.data.eval_results]
    assert sorted(entries) == sorted([
        ("gainrl_gsm8k", "acc", "standard"), ("gainrl_gsm8k", "pass@k", "standard"),
        ("gainrl_aime24", "acc", "standard"), ("gainrl_aime24", "pass@k", "standard"),
        ("gainrl_aime24", "acc", "paper")])  # the rerun replaced its slots; nothing was duplicated or lost
    aime = next(r for r in card.data.eval_results if r.task_name == "gainrl_aime24" and r.metric_type == "pass@k")
    assert aime.dataset_type == use_eval_suite and aime.dataset_config == "aime24" and aime.dataset_split == "test"
    assert aime.dataset_revision == api.dataset_info(use_eval_suite).sha
    assert aime.metric_name == "pass@2" and aime.metric_args == {"samples_per_problem": 2, "max_new_tokens": 8}
    assert card.data.library_name == "transformers"  # the card's other metadata survived


def test_push_results_needs_a_hub_model(run_gainrl, use_eval_suite, tiny_model_dir, tmp_path):
    result = run_gainrl("eval", "--model", str(tiny_model_dir), "--tasks", "gainrl_aime24", "--limit", "1",
                        "--samples-per-problem", "1", "--max-new-tokens", "4", "--output", str(tmp_path),
                        "--push-results", check=False)
    assert result.returncode == 2 and "needs a Hub model id" in result.stderr
    assert results_files(str(tmp_path))  # the results were written before the push was refused


def test_a_task_default_generation_length_is_fitted_to_the_model_context(run_gainrl, use_eval_suite, tmp_path):
    from gainrl.kit.tiny import TinyModelConfig, build_tiny_model

    model = build_tiny_model(tmp_path / "short-context", TinyModelConfig(max_positions=512))
    out = tmp_path / "eval"
    result = run_gainrl("eval", "--model", str(model), "--tasks", "gainrl_gsm8k", "--limit", "1",
                        "--samples-per-problem", "1", "--output", str(out))  # the task asks for 4096 new tokens
    [results_file] = results_files(str(out))
    results = json.loads(results_file.read_text())
    cap = results["gainrl"]["capped_generation"]["gainrl_gsm8k"]
    assert (cap["asked"], cap["context"]) == (4096, 512) and cap["capped_at"] == 512 - cap["longest_prompt"] > 0
    assert f"generation capped at {cap['capped_at']} tokens" in result.stdout
    assert f"results in {results_file}" in result.stdout
    assert f"third-party warnings and logs: {out / 'gainrl.log'}" in result.stdout  # lm-eval's records went there
    assert (out / "gainrl.log").read_text().strip() and "WARNING" not in result.stderr
