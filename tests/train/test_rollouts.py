"""Tests for gainrl.train.rollouts: generation in input order, answer checking, per-group accuracy.

Run: python -m pytest tests/train/test_rollouts.py -v
"""

import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer

from gainrl.prompts import PromptSettings
from gainrl.train.rollouts import accuracy_by_group, correctness, generate_completions

SETTINGS = PromptSettings(system_prompt="Solve it.", few_shot=())


def test_correctness_uses_the_math_checker_and_gsm8k_references():
    completions = [["so \\boxed{5}", "it is 4"], ["The answer is \\boxed{72}"], ["\\boxed{\\frac{1}{2}}"]]
    assert correctness(completions, ["5", "Natalia sold 24 clips.\n#### 72", "0.5"]) == [[1.0, 0.0], [1.0], [1.0]]


def test_correctness_refuses_misaligned_inputs():
    with pytest.raises(ValueError, match="2 questions' completions but 1 answers"):
        correctness([["a"], ["b"]], ["1"])


def test_accuracy_by_group_weighs_each_question_equally():
    scores = [[1.0, 0.0], [1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]
    assert accuracy_by_group(scores, [1, 1, 2]) == {1: 0.75, 2: 0.0, "all": 0.5}


def test_generation_keeps_order_counts_and_restores_the_tokenizer_and_mode(tiny_model_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model.train()
    questions = ["Mia has 3 apples. How many?", "Noah has 12 coins. Then they get 30 more. How many coins?", "2+2?"]
    greedy = generate_completions(model, tokenizer, SETTINGS, questions, max_new_tokens=6, batch_size=2)
    alone = [generate_completions(model, tokenizer, SETTINGS, [q], max_new_tokens=6)[0] for q in questions]
    assert greedy == alone  # batching and left padding do not change greedy answers, nor their order
    sampled = generate_completions(model, tokenizer, SETTINGS, questions, samples=3, temperature=1.0,
                                   max_new_tokens=6, seed=1)
    assert [len(answers) for answers in sampled] == [3, 3, 3]
    assert sampled == generate_completions(model, tokenizer, SETTINGS, questions, samples=3, temperature=1.0,
                                           max_new_tokens=6, seed=1)
    assert tokenizer.padding_side == "right" and model.training
