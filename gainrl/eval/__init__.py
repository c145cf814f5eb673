"""Step 3: `gainrl eval` on gainrl's lm-eval tasks, and the evaluation suite dataset.

    command.py          EvalArguments and run_eval: lm-eval on a model, results JSON, table, card section
    model.py            lm-eval's HFLM with generation fitted to the model's context (`gainrl-hf`)
    cards.py            the results as `model-index` entries on a model repo's card
    suite.py            `gainrl eval-suite build`: the benchmark suite dataset and its card
    lm_eval_hooks.py    `!function` hooks of the math tasks (dataset loading, answer checking)
    code_eval_hooks.py  `!function` hooks of the code tasks

The task YAML files are in `evaluation/` (installed as `gainrl.lm_eval_tasks`); `gainrl.lm_eval_hooks` and
`gainrl.code_eval_hooks` remain importable for task files that name the old paths.
"""
