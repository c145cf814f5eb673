"""An lm-eval model for tests: answers every request with the gold answer (or a wrong one), no weights involved.

Registered as `gainrl-oracle`. Its chat template returns the messages as JSON, so tests can read the exact prompt
a task builds. Model args: `wrong=true` answers wrongly; `style=hash|answer_is|boxed` picks the answer format.
"""

import json

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model


@register_model("gainrl-oracle")
class OracleLM(LM):
    def __init__(self, wrong: str = "false", style: str = "boxed", **_ignored) -> None:
        super().__init__()
        self.wrong = str(wrong).lower() == "true"
        self.style = style

    @classmethod
    def create_from_arg_string(cls, arg_string, additional_config=None):
        pairs = [item.split("=", 1) for item in arg_string.replace(" ", ",").split(",") if "=" in item]
        return cls(**dict(pairs))

    def _math(self, answer: str) -> str:
        answer = "\\text{no idea}" if self.wrong else answer
        return {"boxed": f"Reasoning first. So the answer is \\boxed{{{answer}}}.",
                "hash": f"Reasoning first.\n#### {answer}", "answer_is": f"Reasoning. The final answer is {answer}."}[
            self.style]

    def _code(self, doc: dict) -> str:
        body = "    return None\n" if self.wrong else doc["canonical_solution"]
        return f"Here it is.\n```python\n{doc['prompt']}{body}```\n"

    def _program(self, doc: dict) -> str:
        """Code tasks with tests in a `code_tests` form: the row's reference solution, fenced."""
        return "```python\nprint(0)\n```" if self.wrong else f"Solution:\n```python\n{doc['solution']}```\n"

    def _answer(self, doc: dict) -> str:
        if "canonical_solution" in doc:
            return self._code(doc)
        return self._program(doc) if "tests" in doc else self._math(doc["answer"])

    def generate_until(self, requests, disable_tqdm: bool = False):
        return [self._answer(r.doc) for r in requests]

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError

    @property
    def tokenizer_name(self) -> str:
        return "gainrl-oracle"

    def apply_chat_template(self, chat_history, add_generation_prompt: bool = True) -> str:
        return json.dumps(chat_history)
