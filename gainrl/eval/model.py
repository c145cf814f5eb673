"""lm-eval's transformers model (`HFLM`) with generation fitted to the model's context, registered as `gainrl-hf`.

A task asks for up to `max_gen_toks` new tokens (gainrl's math tasks: 4096); lm-eval refuses to run when that is
not below the model's maximum sequence length, and otherwise truncates prompts on the left to make room. Here each
task's generation is capped at the context minus its longest prompt, so no prompt is cut and the run fits; every
cap is printed and recorded (`capped_generation`) for the results JSON.

What it does not cover: the vLLM backend (its `max_model_len` is set on the command line of vLLM), and models
whose context cannot hold the longest prompt at all (reported as an error naming both lengths).
"""

from __future__ import annotations

from lm_eval.api.registry import register_model
from lm_eval.models.huggingface import HFLM

from gainrl.run_log import gainrl_logger
from gainrl.user_errors import UserError

logger = gainrl_logger(__name__)

MODEL_NAME = "gainrl-hf"
capped_generation: dict[str, dict] = {}  # task -> {"asked", "capped_at", "longest_prompt", "context"}, per run


def fitted_cap(asked: int, longest_prompt: int, context: int) -> int | None:
    """The largest generation length at most `asked` that fits after `longest_prompt` in `context`; None if
    `asked` already fits."""
    room = context - longest_prompt
    if room < 1:
        raise UserError(f"the longest prompt ({longest_prompt} tokens) fills the model's context ({context} tokens); "
                        "evaluate with a model of a longer context, or a task with shorter prompts")
    return room if asked > room else None


@register_model(MODEL_NAME)
class ContextFittedHFLM(HFLM):
    """`HFLM` whose `generate_until` lowers each task's `max_gen_toks` to what fits after its longest prompt."""

    def generate_until(self, requests, disable_tqdm: bool = False):
        longest: dict[str, int] = {}
        for request in requests:
            length = len(self.tok_encode(request.args[0]))
            longest[request.task_name] = max(longest.get(request.task_name, 0), length)
        for request in requests:
            context, kwargs = request.args[0], dict(request.args[1])
            asked = kwargs.get("max_gen_toks", self.max_gen_toks)
            cap = fitted_cap(asked, longest[request.task_name], self.max_length)
            if cap is not None:
                request.arguments = (context, {**kwargs, "max_gen_toks": cap})
                self._note(request.task_name, asked, cap, longest[request.task_name])
        return super().generate_until(requests, disable_tqdm)

    def _note(self, task: str, asked: int, cap: int, longest_prompt: int) -> None:
        if task in capped_generation:
            return
        capped_generation[task] = {"asked": asked, "capped_at": cap, "longest_prompt": longest_prompt,
                                   "context": self.max_length}
        logger.info(f"{task} asks for up to {asked} new tokens, but the model reads at most {self.max_length} "
                    f"tokens and the longest prompt has {longest_prompt}: generation capped at {cap} tokens "
                    "(--max-new-tokens sets it)")
