"""gainrl's lm-eval task files, installed as the package `gainrl.lm_eval_tasks` (see README.md here)."""
