"""What `gainrl train` writes for people: PNG plots of the curriculum and the training curves, and the model card.

Plots (in `<output_dir>/images/`): `curriculum.png` (the centre trajectory over rounds, with every sampled rank as
a dot) and `training_curves.png` (mean reward per logging step from TRL's log history, and each round's accuracy and
angle). The card (`hub_cards/model_card.md`) names the base model, the dataset repo, config and revision, every
curriculum setting, shows both plots, and leaves a section that `gainrl eval --push-results` fills.

What it does not cover: the numbers themselves (the trainer records them) and pushing (the trainer pushes).
"""

from __future__ import annotations

from pathlib import Path

from gainrl.cards import render_card

CURRICULUM_PLOT = "images/curriculum.png"
CURVES_PLOT = "images/training_curves.png"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curriculum(history: list[dict], rows: int, path: Path) -> None:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 3.6), dpi=100)
    for entry in history:
        axes.scatter([entry["round"]] * len(entry["ranks"]), entry["ranks"], s=4, color="#4c72b0", alpha=0.35,
                     linewidths=0)
    centred = [entry for entry in history if entry["center"] is not None]
    if centred:
        axes.plot([e["round"] for e in centred], [e["center"] for e in centred], color="#c44e52", label="centre")
        axes.legend(loc="upper left")
    axes.set(xlabel="round", ylabel="rank (0 = highest angle concentration)", ylim=(-0.5, rows - 0.5),
             title="GAIN-RL curriculum: sampled ranks and centre")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def plot_training_curves(history: list[dict], log_history: list[dict], path: Path) -> None:
    plt = _pyplot()
    figure, (reward_axes, round_axes) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=100)
    logged = [entry for entry in log_history if "reward" in entry]
    reward_axes.plot([e["step"] for e in logged], [e["reward"] for e in logged], marker=".", color="#4c72b0")
    reward_axes.set(xlabel="optimizer step", ylabel="mean reward", title="reward")
    rounds = [entry["round"] for entry in history]
    round_axes.plot(rounds, [e["accuracy"] for e in history], marker=".", label="accuracy", color="#55a868")
    round_axes.plot(rounds, [e["angle"] for e in history], marker=".", label="angle", color="#8172b2")
    round_axes.set(xlabel="round", title="round accuracy and angle concentration")
    round_axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def save_plots(output_dir: str, history: list[dict], rows: int, log_history: list[dict]) -> None:
    plot_curriculum(history, rows, Path(output_dir) / CURRICULUM_PLOT)
    plot_training_curves(history, log_history, Path(output_dir) / CURVES_PLOT)


def model_card(context: dict) -> str:
    """README.md of a trained checkpoint. `context`: model_name, base_model, dataset (repo, config, revision,
    split), curriculum (settings dict), training (selected GRPO settings), rounds, final_center, rows, hub."""
    from huggingface_hub import ModelCard, ModelCardData

    base = context["base_model"]
    data = ModelCardData(
        library_name="transformers", pipeline_tag="text-generation", model_name=context["model_name"],
        base_model=None if Path(base).exists() else base,
        datasets=None if Path(context["dataset"]["repo"]).exists() else [context["dataset"]["repo"]],
        tags=["gainrl", "grpo", "trl", "angle-concentration", "curriculum"],
        gainrl={"dataset": {k: v for k, v in context["dataset"].items() if k != "prompt"},
                "curriculum": context["curriculum"]})
    body = render_card("model_card.md", curriculum_plot=CURRICULUM_PLOT, curves_plot=CURVES_PLOT, **context)
    return str(ModelCard.from_template(data, template_str="---\n{{ card_data }}\n---\n" + body))
