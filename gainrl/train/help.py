"""`gainrl train --help`: gainrl's own options first, in groups, then TRL's `GRPOConfig` options.

`TrlParser` puts every field of `TrainArguments` (TRL's ~200 `GRPOConfig` fields and gainrl's ~25) into one
"options" list in field order, so gainrl's come last; this moves them into titled groups shown first, and marks the
two flags a run needs (given on the command line or in the recipe) "(required)".

What it does not cover: the fields themselves (`gainrl.train.command.TrainArguments`, `gainrl.curriculum`).
"""

from __future__ import annotations

TRAIN_GROUPS = {
    "gainrl: model and data": ("model_name_or_path", "model_revision", "dataset_name", "dataset_config",
                               "dataset_split", "dataset_revision", "answer_field", "system_prompt", "few_shot"),
    "gainrl: rewards": ("reward_funcs", "accuracy_reward", "success_threshold", "reward_strict",
                        "reward_allow_set_relation_comp", "reward_float_rounding", "reward_fallback", "tests_field",
                        "code_timeout", "code_memory_mb", "code_isolation", "code_reward_workers"),
    "gainrl: curriculum": ("curriculum", "rank_units", "center_init", "rank_std", "center_step",
                           "accuracy_sensitivity", "angle_sensitivity", "target_accuracy", "min_shift", "max_shift",
                           "curriculum_seed", "angle_layer", "filter_groups", "filter_groups_max_passes"),
}
KEPT_IN_OPTIONS = ("help", "config")
# Checked in `TrainArguments.__post_init__` (not by argparse, so that a YAML recipe can give them).
REQUIRED = ("model_name_or_path", "dataset_name")


def group_train_options(parser) -> None:
    """Regroup `parser`'s options in place: gainrl's groups, then "TRL GRPOConfig options" (argparse groups)."""
    options = parser._optionals
    for action in options._group_actions:
        if action.dest in REQUIRED:
            action.help = f"{action.help} (required)"
    groups = [_move(parser, options, title, names) for title, names in TRAIN_GROUPS.items()]
    trl_names = tuple(action.dest for action in options._group_actions if action.dest not in KEPT_IN_OPTIONS)
    groups.append(_move(parser, options, "TRL GRPOConfig options (https://huggingface.co/docs/trl)", trl_names))
    parser._action_groups = [group for group in parser._action_groups if group not in groups]
    at = parser._action_groups.index(options) + 1
    parser._action_groups[at:at] = groups


def _move(parser, source, title: str, names: tuple[str, ...]):
    group = parser.add_argument_group(title)
    moving = [action for action in source._group_actions if action.dest in names]
    moving.sort(key=lambda action: names.index(action.dest))
    for action in moving:
        source._group_actions.remove(action)
        group._group_actions.append(action)
    return group
