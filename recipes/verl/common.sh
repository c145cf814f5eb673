# Hydra overrides shared by the GAIN-RL verl 0.9 recipes (sourced by the per-model scripts; not run on its own):
# the paper's settings (paper.sh) and the plug-in. verl 0.5-0.7: recipes/verl/legacy/ (verl 0.8 removed the sampler
# interface those use).
source recipes/verl/paper.sh
# Registers trainer "gainrl" in this shell's verl (a missing gainrl fails here, not in a Ray worker).
export VERL_USE_EXTERNAL_MODULES=gainrl.integrations.verl
GAINRL_VERL_COMMON=(
    "${GAINRL_VERL_PAPER[@]}"
    # the GAIN-RL plug-in: verl's synchronous v1 trainer, subclassed and registered as "gainrl" (no fork); 0.9.1
    # defaults data.dataloader_num_workers to 8, whose read-ahead would draw rounds early: paper.sh sets 0
    trainer.use_v1=True
    trainer.v1.trainer_mode=gainrl
    # every Ray worker imports the plug-in (verl's runtime env does not forward VERL_USE_EXTERNAL_MODULES)
    +ray_kwargs.ray_init.runtime_env.env_vars.VERL_USE_EXTERNAL_MODULES=gainrl.integrations.verl
    # D.3: the reward comes from gainrl's checker, not verl's data_source dispatch (which rejects unknown sources)
    reward.custom_reward_function.path=pkg://gainrl.integrations.verl_data
    reward.custom_reward_function.name=compute_score
)
