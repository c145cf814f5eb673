"""Tests for gainrl.demo.app, gainrl.demo.space and `gainrl demo`: the app served by `gainrl demo` answers `/solve`
through `gradio_client`, a real headless Chromium types a question and sees the answer and the angle plot, the
Space uploaded by `gainrl push-space` to the local Hub starts from its own files and answers, and the limits.

Run: python -m pytest tests/demo/test_demo_app.py -v          (the browser test needs Debian's `chromium`)
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gainrl.demo.app import DemoConfig, question_problem, stream_answer
from gainrl.hub.process import free_port
from gainrl.kit.synthetic import generate_problems
from gainrl.prompts import PromptSettings
from gainrl.score.command import ScoreArguments, run_score

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOCS = ROOT / "docs"


def wait_for_http(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the app exited ({process.returncode}):\n{process.stdout.read()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def start_app(command: list[str], port: int, tmp_path: Path, **env) -> subprocess.Popen:
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", **env}
    process = subprocess.Popen(command, env=environment, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    wait_for_http(f"http://127.0.0.1:{port}/", process)
    return process


@pytest.fixture(scope="module")
def scored_dir(tmp_path_factory, tiny_model_dir):
    folder = tmp_path_factory.mktemp("sorted")
    (folder / "rows.json").write_text(json.dumps(generate_problems(30, seed=2)))
    run_score(ScoreArguments(model=str(tiny_model_dir), dataset=str(folder / "rows.json"),
                             output=str(folder / "out"), config_name="tiny"))
    return folder / "out"


@pytest.fixture(scope="module")
def demo_url(tiny_model_dir, scored_dir, tmp_path_factory):
    """`gainrl demo` with a comparison model and a sorted dataset, offline, on a free port."""
    port = free_port()
    process = start_app([sys.executable, "-m", "gainrl", "demo", "--model", str(tiny_model_dir), "--compare",
                         str(tiny_model_dir), "--sorted-dataset", str(scored_dir), "--max-new-tokens", "12",
                         "--port", str(port)], port, tmp_path_factory.mktemp("demo"))
    yield f"http://127.0.0.1:{port}/"
    process.terminate()
    process.wait(timeout=30)


def greedy_answer(model_dir, question: str, tokens: int) -> str:
    """What the tiny model answers, computed here without the app (same prompt, greedy)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model, tokenizer = AutoModelForCausalLM.from_pretrained(model_dir), AutoTokenizer.from_pretrained(model_dir)
    text = tokenizer.apply_chat_template(PromptSettings().messages(question), tokenize=False,
                                         add_generation_prompt=True)
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)
    output = model.generate(**ids, max_new_tokens=tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    return tokenizer.decode(output[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)


def test_solve_api_answers_with_the_answer_text_first(demo_url, tiny_model_dir):
    from gradio_client import Client

    client = Client(demo_url, verbose=False)
    result = client.predict("What is 2+3?", "5", api_name="/solve")
    assert len(result) == 8  # answer, reasoning, final answer, badge, for each of the two models
    assert result[0] == greedy_answer(tiny_model_dir, "What is 2+3?", 12) and result[4] == result[0]
    assert result[3] in ("**Check: correct**", "**Check: incorrect**") and result[2].startswith("**Final answer:**")
    assert client.predict("What is 2+3?", api_name="/solve")[0] == result[0]  # the reference is optional
    assert client.predict("   ", "", api_name="/solve")[0] == "Please enter a question."
    too_long = client.predict("x" * 2001, "", api_name="/solve")[0]
    assert "too long" in too_long


def test_api_outputs_are_named(demo_url):
    from gradio_client import Client

    endpoints = Client(demo_url, verbose=False).view_api(print_info=False, return_format="dict")["named_endpoints"]
    labels = [item["label"] for item in endpoints["/solve"]["returns"]]
    assert labels == ["Answer", "Reasoning", "Final answer", "Check", "Answer (compare)", "Reasoning (compare)",
                      "Final answer (compare)", "Check (compare)"]
    assert [item["label"] for item in endpoints["/angle"]["returns"]] == ["angle view", "Angle numbers"]


def ctrl_c_reaches_the_child():
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a test run in the background would pass on SIGINT ignored


def test_demo_says_where_it_runs_without_gradio_share_hint(tiny_model_dir, tmp_path):
    port = free_port()
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    process = subprocess.Popen([sys.executable, "-m", "gainrl", "demo", "--model", str(tiny_model_dir), "--port",
                                str(port)], env=environment, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, preexec_fn=ctrl_c_reaches_the_child)
    wait_for_http(f"http://127.0.0.1:{port}/", process)
    printed = []  # the server may answer HTTP a moment before the launch returns and the line is printed
    for line in process.stdout:
        printed.append(line)
        if line.startswith("gainrl demo: running at"):
            break
    process.send_signal(signal.SIGINT)
    output = "".join(printed) + process.communicate(timeout=60)[0]
    assert f"gainrl demo: running at http://127.0.0.1:{port}/" in output
    assert "share=True" not in output and "Traceback" not in output


def test_angle_api_reports_the_scores_and_the_rank(demo_url, scored_dir):
    import datasets
    from gradio_client import Client

    row = datasets.load_dataset(str(scored_dir), split="train")[0]
    _, numbers = Client(demo_url, verbose=False).predict(row["problem"], api_name="/angle")
    assert f"angle_score = {row['angle_score']:.4f}" in numbers
    assert "rank 0 of 30" in numbers  # the dataset's top row ranks first


@pytest.mark.browser
def test_browser_question_answer_and_angle_plot(demo_url, tiny_model_dir):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(demo_url, wait_until="domcontentloaded")
        page.locator("#question textarea").fill("How many positive whole-number divisors does 196 have?")
        page.locator("#reference textarea").fill("9")
        page.locator("#submit").click()
        page.wait_for_function("document.querySelector('#badge') && document.querySelector('#badge')"
                               ".innerText.includes('correct')", timeout=120_000)
        answer = page.locator("#answer textarea").input_value()
        assert answer == greedy_answer(tiny_model_dir, "How many positive whole-number divisors does 196 have?", 12)
        page.screenshot(path=str(ARTIFACTS / "demo-solve.png"), full_page=True)
        page.get_by_role("tab", name="Angle view").click()
        page.locator("#angle-plot img").first.wait_for(state="visible", timeout=60_000)
        assert "angle_score" in page.locator("#angle-numbers").inner_text()
        page.screenshot(path=str(ARTIFACTS / "demo-angle.png"), full_page=True)
        if os.environ.get("GAINRL_UPDATE_SCREENSHOT"):  # regenerates the README's screenshots
            for name in ("demo-solve.png", "demo-angle.png"):
                shutil.copy(ARTIFACTS / name, DOCS / name)
        browser.close()


def test_push_space_uploads_a_space_that_starts_from_its_own_files(hub, api, repo_name, tiny_model_dir, tmp_path,
                                                                   run_gainrl):
    from gradio_client import Client
    from huggingface_hub import snapshot_download

    model = repo_name + "-model"
    api.create_repo(model)
    api.upload_folder(repo_id=model, folder_path=str(tiny_model_dir))
    run_gainrl("push-space", repo_name, "--model", model, "--max-new-tokens", "8")
    info = api.space_info(repo_name)
    assert info.sdk == "gradio" and info.card_data.models == [model] and not info.card_data.datasets
    files = set(api.list_repo_files(repo_name, repo_type="space"))
    assert {"app.py", "requirements.txt", "README.md", "demo_config.json", "gainrl/demo/app.py"} <= files
    assert "__init__.py" not in files
    space = Path(snapshot_download(repo_name, repo_type="space", local_dir=tmp_path / "space"))
    port = free_port()
    process = start_app([sys.executable, "app.py"], port, space, GRADIO_SERVER_NAME="127.0.0.1",
                        GRADIO_SERVER_PORT=str(port), HF_HUB_OFFLINE="0", PYTHONPATH="")
    try:
        answer = Client(f"http://127.0.0.1:{port}/", verbose=False).predict("What is 1+1?", "", api_name="/solve")
        assert answer[0] == greedy_answer(tiny_model_dir, "What is 1+1?", 8)
        log = subprocess.run([sys.executable, "-c", "import gainrl; print(gainrl.__file__)"], cwd=space,
                             capture_output=True, text=True).stdout
        assert log.startswith(str(space))  # the Space imports its bundled copy
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_limits_and_a_model_without_chat_template(tiny_model_dir, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from gainrl.demo.core import angle_view

    assert question_problem("") and question_problem("x" * 5000) and question_problem("1+1?") is None
    bare = tmp_path / "bare"
    shutil.copytree(tiny_model_dir, bare)
    (bare / "chat_template.jinja").unlink()
    model, tokenizer = AutoModelForCausalLM.from_pretrained(bare), AutoTokenizer.from_pretrained(bare)
    assert not tokenizer.chat_template
    answers = list(stream_answer(model, tokenizer, PromptSettings(), "What is 1+1?", DemoConfig(model=str(bare),
                                                                                                 max_new_tokens=5)))
    assert answers and answers[-1]
    with pytest.raises(ValueError, match="chat template"):
        angle_view(model, tokenizer, "What is 1+1?")


def test_space_config_file_and_environment(tmp_path, monkeypatch):
    (tmp_path / "demo_config.json").write_text(DemoConfig(model="me/m", sorted_dataset="me/d").to_json())
    monkeypatch.setenv("GAINRL_DEMO_MAX_NEW_TOKENS", "64")
    config = DemoConfig.for_space(tmp_path)
    assert (config.model, config.sorted_dataset, config.max_new_tokens) == ("me/m", "me/d", 64)
    with pytest.raises(ValueError, match="GAINRL_DEMO_MODEL"):
        DemoConfig.for_space(tmp_path / "empty")
