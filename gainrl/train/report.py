"""What `gainrl train` writes for people: PNG plots of the curriculum and the training curves, and the model card.

Plots (in `<output_dir>/images/`): `curriculum.png` (the centre trajectory over rounds, with every sampled rank as
a dot) and `training_curves.png` (mean reward per logging step from TRL's log history, and each round's accuracy and
angle). The card (`hub_cards/model_card.md`) names the base model, the dataset repo, config and revision, every
curriculum setting, shows both plots, and leaves a section that `gainrl eval --push-results` fills.

What it does not cover: the numbers themselves (the trainer records them) and pushing (the trainer pushes).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from gainrl.cards import render_card

TRAINING_SUMMARY_FIELDS = ("learning_rate", "lr_scheduler_type", "optim", "weight_decay", "max_grad_norm",
                           "per_device_train_batch_size", "gradient_accumulation_steps", "generation_batch_size",
                           "num_generations", "max_completion_length", "temperature", "beta", "loss_type",
                           "num_iterations", "max_steps", "seed", "use_vllm")
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


def card_context(trainer, data, model_name: str | None) -> dict:
    """What the card shows, from the trainer (its `TrainArguments`, curriculum and state) and the `TrainingData`
    it was given."""
    args, provenance, curriculum = trainer.args, data.provenance, trainer.curriculum
    dataset = {"repo": args.dataset_name, "config": data.config, "split": args.dataset_split
               or provenance.source_split, "revision": data.revision, "scoring_model": provenance.model,
               "scoring_layer": provenance.layer, "prompt": data.prompt_settings.to_dict(),
               "prompt_hash": data.prompt_settings.digest(),
               "same_prompt": data.prompt_settings.digest() == provenance.prompt_hash}
    training = {name: getattr(args, name) for name in TRAINING_SUMMARY_FIELDS}
    training["prompts_per_round"] = curriculum.prompts_per_round
    default_name = (args.hub_model_id or Path(args.output_dir).name).split("/")[-1]
    return {"model_name": model_name or default_name, "base_model": args.model_name_or_path,
            "hub": trainer.hub_model_id if args.push_to_hub else None, "dataset": dataset,
            "curriculum": {**asdict(args.curriculum_settings()), "angle_layer": trainer.angle_layer,
                           "success_threshold": args.success_threshold, "accuracy_reward": args.accuracy_reward,
                           "filter_groups": args.filter_groups,
                           "filter_groups_max_passes": args.filter_groups_max_passes},
            "training": training, "rounds": len(curriculum.history), "rows": len(trainer.rank_to_row),
            "final_center": None if curriculum.settings.curriculum == "uniform" else curriculum.center}


def write_card(trainer, data, model_name: str | None) -> None:
    """The plots and README.md of a `gainrl train` run, in its output folder."""
    output_dir = trainer.args.output_dir
    save_plots(output_dir, trainer.curriculum.history, len(trainer.rank_to_row), trainer.state.log_history)
    (Path(output_dir) / "README.md").write_text(model_card(card_context(trainer, data, model_name)), encoding="utf-8")
