"""The Gradio demo: a Solve tab that streams a model's answer and checks it, and an angle view of the question.

`build_demo(DemoConfig)` returns the `gr.Blocks`; `spaces/gainrl-demo/app.py` (the Space) and `gainrl demo` (local)
both call it. The prompt is the one recorded with the sorted dataset (`--sorted-dataset`), else the paper's default,
rendered with the model's chat template exactly as training renders it; a model without a chat template gets the
bare question (and no angle view, which needs the template's segments).

What it does not cover: chat history (one question at a time), sampling controls (greedy decoding), ZeroGPU
decorators (add `@spaces.GPU` around `solve` on such hardware), and anything downloaded besides the model(s) and
the sorted dataset it was given.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from gainrl.checkers import extract_answer, score_math
from gainrl.demo.core import angle_view, rank_in_dataset
from gainrl.prompts import PromptSettings
from gainrl.scored import load_scored

MAX_QUESTION_CHARS = 2000
MAX_ANGLE_TOKENS = 512
CONFIG_FILE = "demo_config.json"
EXAMPLES = [  # MATH500 and AIME 2024, with their reference answers
    ["How many positive whole-number divisors does 196 have?", "9"],
    ["What is the distance, in units, between the points $(2, -6)$ and $(-4, 3)$? Express your answer in simplest "
     "radical form.", "3\\sqrt{13}"],
    ["Compute: $1-2+3-4+5- \\dots +99-100$.", "-50"],
    ["There exist real numbers $x$ and $y$, both greater than 1, such that $\\log_x\\left(y^x\\right)=\\log_y\\left("
     "x^{4y}\\right)=10$. Find $xy$.", "25"],
    ["Let $\\triangle ABC$ have circumcenter $O$ and incenter $I$ with $\\overline{IA}\\perp\\overline{OI}$, "
     "circumradius $13$, and inradius $6$. Find $AB\\cdot AC$.", "468"],
]


@dataclass
class DemoConfig:
    """What the demo shows; fields map to `gainrl demo` flags and to the Space's `demo_config.json`."""

    model: str = field(metadata={"help": "model to demo: Hub id or local folder"})
    revision: str | None = field(default=None, metadata={"help": "its revision (branch, tag or commit)"})
    compare: str | None = field(default=None, metadata={"help": "a second model (e.g. the base) answering side by "
                                                                "side"})
    sorted_dataset: str | None = field(default=None, metadata={
        "help": "angle-sorted dataset from `gainrl score`: gives the prompt, scoring layer and the ranks the angle "
                "view compares against"})
    sorted_config: str | None = field(default=None, metadata={"help": "its config (default: the only one)"})
    max_new_tokens: int = field(default=512, metadata={"help": "generation cap"})
    max_seconds: float = field(default=60.0, metadata={"help": "time cap of one answer, in seconds"})
    concurrency: int = field(default=2, metadata={"help": "answers generated at the same time"})

    @classmethod
    def for_space(cls, folder: Path) -> "DemoConfig":
        """`demo_config.json` beside the app, overridden by `GAINRL_DEMO_<FIELD>` environment variables."""
        values = json.loads((folder / CONFIG_FILE).read_text()) if (folder / CONFIG_FILE).exists() else {}
        for name in cls.__dataclass_fields__:
            if os.environ.get(f"GAINRL_DEMO_{name.upper()}"):
                values[name] = os.environ[f"GAINRL_DEMO_{name.upper()}"]
        if "model" not in values:
            raise ValueError(f"no model: write {CONFIG_FILE} (gainrl push-space does) or set GAINRL_DEMO_MODEL")
        kinds = {"max_new_tokens": int, "max_seconds": float, "concurrency": int}
        return cls(**{k: kinds.get(k, str)(v) if v is not None else None for k, v in values.items()})

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


@dataclass(kw_only=True)
class DemoArguments(DemoConfig):
    """Arguments of `gainrl demo`: what it shows, and where it listens."""

    host: str = field(default="127.0.0.1", metadata={"help": "address to bind"})
    port: int = field(default=7860, metadata={"help": "port"})

    def demo_config(self) -> DemoConfig:
        return DemoConfig(**{item.name: getattr(self, item.name) for item in fields(DemoConfig)})


@dataclass(kw_only=True)
class PushSpaceArguments(DemoConfig):
    """Arguments of `gainrl push-space`: the Space, and what it shows."""

    repo_id: str = field(metadata={"help": "the Space, OWNER/NAME (also accepted without the flag, first)"})
    private: bool = field(default=False, metadata={"help": "create the Space as private"})

    demo_config = DemoArguments.demo_config


def question_problem(question: str | None) -> str | None:
    """Why a question cannot be answered (None when it can)."""
    if not question or not question.strip():
        return "Please enter a question."
    if len(question) > MAX_QUESTION_CHARS:
        return f"The question is too long ({len(question)} characters; the limit is {MAX_QUESTION_CHARS})."
    return None


def prompt_text(tokenizer, settings, question: str) -> str:
    if tokenizer.chat_template:
        return tokenizer.apply_chat_template(settings.messages(question), tokenize=False, add_generation_prompt=True)
    return question.strip()


def stream_answer(model, tokenizer, settings, question: str, config: DemoConfig):
    """Yield the growing answer text as the model generates it (greedy, bounded in tokens and time)."""
    from transformers import TextIteratorStreamer

    inputs = tokenizer(prompt_text(tokenizer, settings, question), return_tensors="pt",
                       add_special_tokens=not tokenizer.chat_template).to(model.device)
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=config.max_seconds)
    kwargs = dict(**inputs, streamer=streamer, max_new_tokens=config.max_new_tokens, max_time=config.max_seconds,
                  do_sample=False, pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
    threading.Thread(target=model.generate, kwargs=kwargs, daemon=True).start()
    answer = ""
    for piece in streamer:
        answer += piece
        yield answer


def final_answer_markdown(final: str | None) -> str:
    return f"**Final answer:** `{final}`" if final else "**Final answer:** none found (no `\\boxed{}`)"


def check_badge(answer: str, reference: str | None) -> str:
    if not reference or not reference.strip():
        return ""
    return "**Check: correct**" if score_math(answer, reference) else "**Check: incorrect**"


class SortedDataset:
    """The sorted dataset's scores (for the rank and histogram), its recorded prompt and weight, and the angle layer
    for the demo's model (`Provenance.angle_layer_for`)."""

    def __init__(self, repo: str, config: str | None, model: str):
        scored = load_scored(repo, config, split=None)
        self.config, self.scores, self.settings = scored.config, scored.scores, scored.prompt_settings
        self.layer = scored.provenance.angle_layer_for(model)
        self.inter_weight = scored.provenance.inter_weight


def angle_figure(view, sorted_data: SortedDataset | None, rank):
    """Heatmap of token-to-token cosines with the segments marked; the dataset's histogram beside it."""
    import numpy as np
    from matplotlib.figure import Figure  # not pyplot: no global registry, so each figure is freed after use

    columns = 2 if sorted_data else 1
    figure = Figure(figsize=(5.5 * columns, 4.6), dpi=90)
    axes = figure.subplots(1, columns, squeeze=False)
    heat = axes[0][0]
    image = heat.imshow(view.cosines, cmap="viridis", vmin=-1, vmax=1, interpolation="nearest")
    figure.colorbar(image, ax=heat, fraction=0.046, label="cosine")
    for segment, colour, label in ((1, "#ff7f0e", "system / few-shot (P)"), (2, "#d62728", "question (Q)")):
        where = np.flatnonzero(view.segments == segment)
        if where.size:
            heat.axvspan(where[0] - 0.5, where[-1] + 0.5, ymin=0.985, ymax=1.0, color=colour, label=label)
            heat.axhline(where[0] - 0.5, color=colour, linewidth=0.6)
            heat.axvline(where[0] - 0.5, color=colour, linewidth=0.6)
    heat.legend(loc="lower left", fontsize=7)
    heat.set(title="token-to-token cosines (scoring layer)", xlabel="token", ylabel="token")
    if sorted_data:
        hist = axes[0][1]
        hist.hist(sorted_data.scores, bins=min(50, max(5, len(sorted_data.scores) // 10)), color="#4c72b0")
        hist.axvline(view.angle_score, color="#d62728", label=f"this question: top {100 - rank.percentile:.0f} %")
        hist.set(title="angle_score of the sorted dataset", xlabel="angle_score", ylabel="prompts")
        hist.legend(fontsize=8)
    figure.tight_layout()
    return figure


def angle_numbers(view, rank) -> str:
    inter = "n/a (no system prompt or few-shot)" if view.c_inter is None else f"{view.c_inter:.4f}"
    text = (f"c_intra = {view.c_intra:.4f} · c_inter = {inter} · **angle_score = {view.angle_score:.4f}** "
            f"({len(view.tokens)} tokens)")
    if rank is not None:
        text += f"\n\nIn the sorted dataset this question would be rank {rank.rank} of {rank.rows} " \
                f"(percentile {rank.percentile:.1f}; rank 0 = highest angle concentration, trained on first)."
    return text


def load_model(name: str, revision: str | None):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(name, revision=revision).eval()
    return model, AutoTokenizer.from_pretrained(name, revision=revision)


def reasoning_of(answer: str) -> str:
    """The text before the last `\\boxed` (the whole answer when there is none)."""
    cut = answer.rfind("\\boxed")
    return answer[:cut].strip() if cut > 0 else answer


def make_solver(models: list, settings, config: DemoConfig):
    """The streaming `solve(question, reference)` for one or two (model, tokenizer) pairs."""
    def solve(question, reference=""):
        state = [""] * (4 * len(models))  # per model: answer, reasoning, final answer, badge
        problem = question_problem(question)
        if problem:
            yield tuple([problem, "", "", ""] * len(models))
            return
        for index, (model, tokenizer) in enumerate(models):
            answer = ""
            for answer in stream_answer(model, tokenizer, settings, question, config):
                state[4 * index:4 * index + 2] = [answer, reasoning_of(answer)]
                yield tuple(state)
            state[4 * index:4 * index + 4] = [answer, reasoning_of(answer), final_answer_markdown(
                extract_answer(answer)), check_badge(answer, reference)]
        yield tuple(state)

    return solve


def build_demo(config: DemoConfig):
    import gradio as gr

    models = [load_model(config.model, config.revision)] + ([load_model(config.compare, None)]
                                                             if config.compare else [])
    sorted_data = (SortedDataset(config.sorted_dataset, config.sorted_config, config.model)
                   if config.sorted_dataset else None)
    settings = sorted_data.settings if sorted_data else PromptSettings()

    def angle(question):
        problem = question_problem(question)
        if problem:
            return None, problem
        model, tokenizer = models[0]
        try:
            view = angle_view(model, tokenizer, question, settings, sorted_data.layer if sorted_data else -1,
                              MAX_ANGLE_TOKENS, sorted_data.inter_weight if sorted_data else 1.0)
        except ValueError as error:
            return None, f"No angle view for this question: {error}"
        rank = rank_in_dataset(view.angle_score, sorted_data.scores) if sorted_data else None
        return angle_figure(view, sorted_data, rank), angle_numbers(view, rank)

    names = [config.model] + ([config.compare] if config.compare else [])
    with gr.Blocks(title="GAIN-RL demo") as demo:
        gr.Markdown("# GAIN-RL demo\nAsk a math question; the model answers with the prompt it was trained with. "
                    "[Angles Don't Lie](https://huggingface.co/papers/2506.02281)")
        with gr.Tab("Solve"):
            question = gr.Textbox(label="Question", elem_id="question", lines=3, max_length=MAX_QUESTION_CHARS)
            reference = gr.Textbox(value="", label="Reference answer (optional: checked with math-verify)",
                                   elem_id="reference")
            submit = gr.Button("Solve", elem_id="submit", variant="primary")
            outputs = []
            with gr.Row():
                for index, name in enumerate(names):
                    suffix, named = ("", "") if index == 0 else ("-compare", " (compare)")
                    with gr.Column():  # labels name the outputs of the `solve` API (Markdown does not show them)
                        role = ("GAIN-RL: " if index == 0 else "base: ") if config.compare else ""
                        gr.Markdown(f"**{role}`{name}`**")
                        outputs.append(gr.Textbox(label=f"Answer{named}", elem_id=f"answer{suffix}", lines=8))
                        with gr.Accordion("Reasoning", open=False):
                            outputs.append(gr.Markdown(label=f"Reasoning{named}", elem_id=f"reasoning{suffix}"))
                        outputs.append(gr.Markdown(label=f"Final answer{named}", elem_id=f"final-answer{suffix}"))
                        outputs.append(gr.Markdown(label=f"Check{named}", elem_id=f"badge{suffix}"))
            gr.Examples(EXAMPLES, [question, reference], label="MATH500 and AIME 2024")
        with gr.Tab("Angle view"):
            gr.Markdown("Cosines between the hidden states of every pair of prompt tokens at the scoring layer. "
                        "GAIN-RL trains first on prompts whose question tokens point the same way (high `c_intra`) "
                        "and agree with the system prompt (high `c_inter`).")
            numbers = gr.Markdown(label="Angle numbers", elem_id="angle-numbers")
            plot = gr.Plot(elem_id="angle-plot", label="angle view")
        submit.click(make_solver(models, settings, config), [question, reference], outputs, api_name="solve")
        submit.click(angle, [question], [plot, numbers], api_name="angle")
    return demo.queue(default_concurrency_limit=config.concurrency, max_size=32)


def launch(config: DemoConfig) -> None:
    """Host and port come from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT, as on a Space. Gradio's own start-up lines
    are left out (among them a `share=True` hint that `gainrl demo` has no flag for); one line says where it runs."""
    demo = build_demo(config)
    demo.launch(quiet=True, prevent_thread_lock=True)
    print(f"gainrl demo: running at {demo.local_url} (API: {demo.local_url}?view=api); Ctrl-C stops it", flush=True)
    demo.block_thread()
