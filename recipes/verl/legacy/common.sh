# Hydra overrides shared by the GAIN-RL verl 0.5-0.7 recipes (sourced by the per-model scripts; not run on its own):
# the paper's settings (../paper.sh) and the plug-in.
source recipes/verl/paper.sh
GAINRL_VERL_COMMON=(
    "${GAINRL_VERL_PAPER[@]}"
    # the GAIN-RL plug-in: verl's own curriculum-sampler interface, no fork (verl 0.5 to 0.7)
    data.sampler.class_path=pkg://gainrl.integrations.verl
    data.sampler.class_name=GainRLSampler
    # D.3: the reward comes from gainrl's checker, not verl's data_source dispatch (which rejects unknown sources)
    custom_reward_function.path=pkg://gainrl.integrations.verl_data
    custom_reward_function.name=compute_score
)
