#!/usr/bin/env bash
# GAIN-RL with verl 0.5-0.7 (tested against 0.7.1's config) on meta-llama/Llama-3.2-3B-Instruct, DeepScaleR:
# the verl 0.9 recipe ../llama-3.2-3b-instruct-deepscaler.sh
# (its steps 1-3, settings and notes) with the GainRLSampler plug-in (legacy/common.sh).
# UNTESTED here (this project has no GPUs). Run: bash recipes/verl/legacy/llama-3.2-3b-instruct-deepscaler.sh [Hydra overrides]
set -euo pipefail
cd "$(dirname "$0")/../../.."
GAINRL_VERL_COMMON_FILE=recipes/verl/legacy/common.sh exec bash recipes/verl/llama-3.2-3b-instruct-deepscaler.sh "$@"
