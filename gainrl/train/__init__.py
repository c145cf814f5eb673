"""Step 2 of GAIN-RL: `gainrl train`, TRL's GRPOTrainer with the GAIN-RL curriculum.

    command.py       TrainArguments (trl.GRPOConfig + gainrl's fields), build_trainer, run_train
    trainer.py       GainRLTrainer: TRL's GRPOTrainer extended (curriculum sampler, angle and accuracy signals)
    data.py          the scored dataset as TRL's conversational prompts, and each curriculum's rank -> row order
    checks.py        set-up checks against the data (batch sizes TRL refuses, rounds), before any model work
    help.py          `gainrl train --help`: gainrl's options grouped before TRL's
    report.py        the run's plots and model card
    rewards.py       the math rewards (accuracy via gainrl.checkers) and `module:function` rewards
    code_rewards.py  the code reward (test cases in the sandbox)
    group_filter.py  dynamic-sampling group filter (DAPO-style), its pure core
    rollouts.py      answers a model gives to rendered questions, and whether they are correct

`TrainArguments`, `build_trainer` and `run_train` are importable from here, looked up on first use.
"""

__all__ = ["TrainArguments", "build_trainer", "run_train"]


def __getattr__(name: str):
    if name in __all__:
        from gainrl.train import command

        return getattr(command, name)
    raise AttributeError(f"module 'gainrl.train' has no attribute {name!r}")
