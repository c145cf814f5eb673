"""The GAIN-RL curriculum in verl, whichever verl is installed: this module picks the plug-in that fits it.

* verl 0.5-0.7 (tested with 0.7.1): `GainRLSampler`, through verl's curriculum-sampler interface
  (`data.sampler.class_path=pkg://gainrl.integrations.verl data.sampler.class_name=GainRLSampler`);
  gainrl/integrations/verl_legacy.py.
* verl 0.9 (tested with 0.9.1), which removed that interface: `GainRLTrainer`, verl's synchronous v1 trainer
  registered as `trainer.v1.trainer_mode=gainrl`; importing this module (`VERL_USE_EXTERNAL_MODULES=
  gainrl.integrations.verl`) registers it. gainrl/integrations/verl_v1.py.

Both draw each step's prompts with `gainrl.curriculum.CurriculumSampler` (gainrl/integrations/verl_curriculum.py)
from a `data.gainrl` block with the field names of `gainrl train`.

Deviation from the paper, stated plainly: the angle term is the mean *precomputed* `angle_score` (from
`gainrl score`, in `extra_info`) of the step's prompts, not the concentration of the actor's hidden states over
prompt and response measured during training, as the paper and `gainrl train` do. Those hidden states live inside
verl's actor workers, out of a sampler's reach. To add the in-training signal, register a forward pre-hook on
`layers[L].mlp` of the actor module in the actor worker's update (as `gainrl.train.trainer` does around TRL's loss),
reduce `gainrl.angles.sequence_concentration` over the micro-batches into a metric (e.g. `actor/gainrl_angle`), and
close the round with it instead of `angle_score`.

What it does not cover: verl 0.8 (neither interface was tested there), and the `uniform` and `length` curricula.
"""

from __future__ import annotations

import importlib.util


def legacy_interface_installed() -> bool:
    """True when the installed verl has the curriculum-sampler interface of verl 0.5-0.7."""
    try:
        return importlib.util.find_spec("verl.experimental.dataset.sampler") is not None
    except ModuleNotFoundError:
        return False


if legacy_interface_installed():
    from gainrl.integrations.verl_legacy import GainRLSampler  # noqa: F401
else:
    from gainrl.integrations.verl_v1 import TRAINER_NAME, GainRLTrainer  # noqa: F401

    def __getattr__(name: str):
        if name == "GainRLSampler":
            raise ImportError("GainRLSampler needs verl 0.5-0.7 (verl 0.8 removed data.sampler); on verl 0.9 use "
                              "trainer.v1.trainer_mode=gainrl with VERL_USE_EXTERNAL_MODULES=gainrl.integrations.verl")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
