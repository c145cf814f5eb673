# Hydra overrides shared by the GAIN-RL verl recipes (sourced by the per-model scripts; not run on its own).
# The paper's verl settings (method.md D.2) with the D.3 corrections; untested here (no GPUs): see README.md.
GAINRL_VERL_COMMON=(
    algorithm.adv_estimator=grpo
    algorithm.use_kl_in_reward=False
    # the GAIN-RL plug-in: verl's own curriculum-sampler interface, no fork (verl 0.5 to 0.7)
    data.sampler.class_path=pkg://gainrl.integrations.verl
    data.sampler.class_name=GainRLSampler
    data.dataloader_num_workers=0
    data.shuffle=False
    +data.gainrl.curriculum=gainrl
    +data.gainrl.center_init=0
    +data.gainrl.rank_std=1000
    +data.gainrl.center_step=500
    +data.gainrl.accuracy_sensitivity=2
    +data.gainrl.angle_sensitivity=2
    +data.gainrl.target_accuracy=0.5
    +data.gainrl.min_shift=0
    +data.gainrl.max_shift=1000
    +data.gainrl.success_threshold=0.5
    +data.gainrl.seed=0
    # D.3: rows are filtered by length, so the sampler maps ranks through extra_info ids, never positions
    data.filter_overlong_prompts=True
    data.truncation=error
    data.train_batch_size=1024
    # D.3: the reward comes from gainrl's checker, not verl's data_source dispatch (which rejects unknown sources)
    custom_reward_function.path=pkg://gainrl.integrations.verl_data
    custom_reward_function.name=compute_score
    actor_rollout_ref.actor.optim.lr=1e-6
    actor_rollout_ref.actor.ppo_mini_batch_size=256
    actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=16
    actor_rollout_ref.actor.use_dynamic_bsz=True
    actor_rollout_ref.actor.use_kl_loss=True
    actor_rollout_ref.actor.kl_loss_coef=0.001
    actor_rollout_ref.actor.kl_loss_type=low_var_kl
    actor_rollout_ref.actor.entropy_coeff=0
    actor_rollout_ref.model.use_remove_padding=True
    actor_rollout_ref.model.enable_gradient_checkpointing=True
    actor_rollout_ref.ref.fsdp_config.param_offload=True
    actor_rollout_ref.rollout.name=vllm
    actor_rollout_ref.rollout.n=8
    actor_rollout_ref.rollout.tensor_model_parallel_size=1
    actor_rollout_ref.rollout.gpu_memory_utilization=0.6
    trainer.n_gpus_per_node=8
    trainer.nnodes=1
    trainer.total_epochs=200
    trainer.save_freq=20
    trainer.test_freq=5
    trainer.logger=[console]
)
