#!/usr/bin/env bash
# GAIN-RL with verl 0.5-0.7 (tested against 0.7.1's config) on Qwen/Qwen2.5-Math-7B-Instruct, DeepScaleR:
# the verl 0.9 recipe ../qwen2.5-math-7b-instruct-deepscaler.sh
# (its steps 1-3, settings and notes) with the GainRLSampler plug-in (legacy/common.sh).
# UNTESTED here (this project has no GPUs). Run: bash recipes/verl/legacy/qwen2.5-math-7b-instruct-deepscaler.sh [Hydra overrides]
set -euo pipefail
cd "$(dirname "$0")/../../.."
GAINRL_VERL_COMMON_FILE=recipes/verl/legacy/common.sh exec bash recipes/verl/qwen2.5-math-7b-instruct-deepscaler.sh "$@"
