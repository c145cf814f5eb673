"""Answers a model gives to questions rendered with `PromptSettings`, and whether they are correct.

`generate_completions` renders every question exactly as `gainrl score` and `gainrl train` do (the model's chat
template over system prompt, few-shot pairs and the question), generates `samples` completions per question in
left-padded batches (greedy when `temperature` is 0) and returns the decoded texts in input order.
`correctness` judges them with `gainrl.checkers.score_math` (a GSM8K `#### N` reference counts as N).
`accuracy_by_group` averages per-question correctness within groups (e.g. difficulty levels).

Used by the warm start's report, `gainrl audit`'s pass rates and the benchmark's held-out curves. What it does not
cover: lm-eval (that is `gainrl eval`, the reference evaluation), vLLM, and code answers.
"""

from __future__ import annotations

from collections import defaultdict

import torch

from gainrl.checkers import score_math
from gainrl.checkers.extraction import reference_answer
from gainrl.prompts import PromptSettings, render


def generate_completions(model, tokenizer, settings: PromptSettings, questions: list[str], samples: int = 1,
                         temperature: float = 0.0, max_new_tokens: int = 64, batch_size: int = 32,
                         seed: int = 0) -> list[list[str]]:
    """`samples` completions per question (a list per question, in input order)."""
    texts = [render(tokenizer, settings, question) for question in questions]
    padding_side, tokenizer.padding_side = tokenizer.padding_side, "left"
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    was_training = model.training
    model.eval()
    try:
        completions = [_generate(model, tokenizer, texts[start:start + batch_size], samples, temperature,
                                 max_new_tokens) for start in range(0, len(texts), batch_size)]
    finally:
        tokenizer.padding_side = padding_side
        torch.random.set_rng_state(generator_state)
        model.train(was_training)
    return [answers for batch in completions for answers in batch]


def _generate(model, tokenizer, texts: list[str], samples: int, temperature: float,
              max_new_tokens: int) -> list[list[str]]:
    encoded = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
    sampling = {"do_sample": True, "temperature": temperature, "top_p": 1.0, "top_k": 0} if temperature > 0 else {
        "do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    with torch.no_grad():
        output = model.generate(**encoded, max_new_tokens=max_new_tokens, num_return_sequences=samples,
                                pad_token_id=tokenizer.pad_token_id, **sampling)
    decoded = tokenizer.batch_decode(output[:, encoded["input_ids"].shape[1]:], skip_special_tokens=True)
    return [decoded[index * samples:(index + 1) * samples] for index in range(len(texts))]


def correctness(completions: list[list[str]], answers: list[str]) -> list[list[float]]:
    """1.0 / 0.0 per completion, judged by `score_math` against each question's reference answer."""
    if len(completions) != len(answers):
        raise ValueError(f"{len(completions)} questions' completions but {len(answers)} answers")
    return [[score_math(text, reference_answer(answer) or "") for text in texts]
            for texts, answer in zip(completions, answers)]


def accuracy_by_group(scores: list[list[float]], groups: list) -> dict:
    """Mean correctness per group (each question weighs the same), plus `all`."""
    per_group = defaultdict(list)
    for question_scores, group in zip(scores, groups):
        per_group[group].append(sum(question_scores) / len(question_scores))
    result = {group: sum(values) / len(values) for group, values in sorted(per_group.items())}
    everything = [value for values in per_group.values() for value in values]
    result["all"] = sum(everything) / len(everything) if everything else float("nan")
    return result
