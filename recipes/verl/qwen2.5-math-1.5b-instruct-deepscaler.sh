#!/usr/bin/env bash
# GAIN-RL with verl on Qwen/Qwen2.5-Math-1.5B-Instruct, DeepScaleR (paper run; UNTESTED here: this project has no GPUs).
# 1. gainrl score --config recipes/score/deepscaler-qwen2.5-math-1.5b.yaml           (angle-sorted dataset)
# 2. gainrl export-verl runs/scores/deepscaler-qwen2.5-math-1.5b --output data/deepscaler-qwen2.5-math-1.5b/train.parquet
# 3. validation set (D.3: answers checked by gainrl, "#### N" or \boxed{}): python3 examples/data_preprocess/gsm8k.py --local_dir data/gsm8k  (in a verl checkout)
# 4. one node, 8 GPUs:  bash recipes/verl/qwen2.5-math-1.5b-instruct-deepscaler.sh [more Hydra overrides]   (verl 0.9.x; older verl: recipes/verl/legacy/)
#    two nodes (gainrl and verl installed on both): ray start --head --port=6379 (node 0);
#       ray start --address=NODE0:6379 (node 1);
#       then on node 0: bash recipes/verl/qwen2.5-math-1.5b-instruct-deepscaler.sh trainer.nnodes=2
# GAINRL_VERL_LAUNCH=echo prints the command instead of running it.
# Note: the paper's script loaded the base Qwen2.5-Math-1.5B; the paper names the Instruct model.
set -euo pipefail
cd "$(dirname "$0")/../.."
source "${GAINRL_VERL_COMMON_FILE:-recipes/verl/common.sh}"
${GAINRL_VERL_LAUNCH:-python3 -m verl.trainer.main_ppo} "${GAINRL_VERL_COMMON[@]}" \
    actor_rollout_ref.model.path=Qwen/Qwen2.5-Math-1.5B-Instruct \
    data.train_files=data/deepscaler-qwen2.5-math-1.5b/train.parquet \
    data.val_files=data/gsm8k/test.parquet \
    data.max_prompt_length=1024 \
    data.max_response_length=3000 \
    actor_rollout_ref.actor.ppo_max_token_len_per_gpu=4024 \
    actor_rollout_ref.rollout.max_model_len=4096 \
    trainer.project_name=gainrl \
    trainer.experiment_name=qwen2.5-math-1.5b-instruct-deepscaler \
    "$@"
