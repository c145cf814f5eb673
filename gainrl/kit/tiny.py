"""Small, deterministic, real causal language models built offline, for tests, benchmarks and the quickstart.

`build_tiny_model` trains a byte-level BPE tokenizer with the `tokenizers` library on synthetic math text, using
Qwen2's own normaliser and pre-tokenizer pipeline (so `AutoTokenizer` reloads it faithfully even though it rebuilds
Qwen2 tokenizers from their vocabulary and merges), adds ChatML special tokens and a chat template, initialises a
Qwen2 or Llama model from a seed and saves both with `save_pretrained`. The same config gives the same files.

What it does not cover: training the weights (they are random; a later supervised warm-start does that),
tokenizers for natural language at large (the vocabulary comes from short arithmetic problems), other
architectures.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from gainrl.kit.synthetic import generate_problems

BOS_EOS_PAD = {"pad_token": "<|endoftext|>", "eos_token": "<|im_end|>"}
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."
# ChatML as Qwen2.5 writes it; a default system message is inserted when the conversation has none.
CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] != 'system' %}"
    "{{- '<|im_start|>system\\n" + DEFAULT_SYSTEM_PROMPT + "<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
# Qwen2's pre-tokenization pattern (a fact of its tokenizer, see transformers' tokenization_qwen2).
QWEN2_PRETOKENIZE_PATTERN = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)


@dataclass
class TinyModelConfig:
    """Shape and seed of a tiny model. Defaults give a Qwen2 model of about 0.1 M parameters."""

    arch: str = field(default="qwen2", metadata={"help": "architecture", "choices": ["qwen2", "llama"]})
    hidden: int = field(default=64, metadata={"help": "hidden size"})
    layers: int = field(default=2, metadata={"help": "number of decoder layers"})
    heads: int = field(default=4, metadata={"help": "attention heads; must divide --hidden"})
    kv_heads: int | None = field(default=None, metadata={"help": "key-value heads (default: half of --heads)"})
    intermediate: int | None = field(default=None, metadata={"help": "MLP size (default: twice --hidden)"})
    vocab_size: int = field(default=512, metadata={"help": "tokenizer vocabulary size, including 256 byte tokens "
                                                           "and 3 special tokens"})
    max_positions: int = field(default=2048, metadata={"help": "most positions the model takes"})
    seed: int = field(default=0, metadata={"help": "seed for weights and tokenizer corpus"})
    corpus_size: int = field(default=3000, metadata={"help": "synthetic problems the tokenizer is trained on"})

    def __post_init__(self):
        if self.arch not in ("qwen2", "llama"):
            raise ValueError(f"arch must be 'qwen2' or 'llama', got {self.arch!r}")
        if self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be a multiple of heads ({self.heads})")
        if self.kv_heads is None:
            self.kv_heads = self.heads // 2 if self.heads % 2 == 0 else self.heads
        if self.heads % self.kv_heads:
            raise ValueError(f"heads ({self.heads}) must be a multiple of kv_heads ({self.kv_heads})")
        if self.intermediate is None:
            self.intermediate = 2 * self.hidden
        if self.vocab_size < 256 + len(SPECIAL_TOKENS):
            raise ValueError(f"vocab_size must be at least {256 + len(SPECIAL_TOKENS)} (bytes + special tokens)")


@dataclass(kw_only=True)
class TinyArguments(TinyModelConfig):
    """Arguments of `gainrl tiny`: the model's shape and seed, and where to save it."""

    output: str = field(metadata={"help": "output folder (loadable with from_pretrained)"})

    def model_config(self) -> TinyModelConfig:
        return TinyModelConfig(**{item.name: getattr(self, item.name) for item in fields(TinyModelConfig)})


def tokenizer_corpus(config: TinyModelConfig) -> list[str]:
    """Synthetic problems, solutions and chat markup that the BPE merges are learnt from."""
    texts = [DEFAULT_SYSTEM_PROMPT, "Please reason step by step, and put your final answer within \\boxed{}."]
    for record in generate_problems(config.corpus_size, seed=config.seed, distinct=False):
        texts += [record["problem"], record["solution"], f"user\n{record['problem']}\nassistant\n"]
    return texts


def train_tokenizer(config: TinyModelConfig, corpus: list[str] | None = None):
    """A `PreTrainedTokenizerFast` with Qwen2's pipeline, ChatML specials and the chat template.

    The merges are learnt from `corpus` (default: `tokenizer_corpus(config)`, synthetic arithmetic text).
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token=None))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=config.vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(corpus if corpus is not None else tokenizer_corpus(config), trainer=trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_max_length=config.max_positions,
                                      clean_up_tokenization_spaces=False, **BOS_EOS_PAD)
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def build_model(config: TinyModelConfig, tokenizer):
    """A randomly initialised causal LM, identical for identical config and seed."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    config_class, model_class = (Qwen2Config, Qwen2ForCausalLM) if config.arch == "qwen2" else (LlamaConfig,
                                                                                                LlamaForCausalLM)
    model_config = config_class(
        vocab_size=len(tokenizer), hidden_size=config.hidden, intermediate_size=config.intermediate,
        num_hidden_layers=config.layers, num_attention_heads=config.heads, num_key_value_heads=config.kv_heads,
        max_position_embeddings=config.max_positions, tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, bos_token_id=None,
    )
    torch.manual_seed(config.seed)
    model = model_class(model_config).to(torch.float32)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model


def build_tiny_model(out_dir: str | Path, config: TinyModelConfig | None = None) -> Path:
    """Train the tokenizer, build the model and `save_pretrained` both (plus a model card) into `out_dir`."""
    config = config or TinyModelConfig()
    out_dir = Path(out_dir)
    tokenizer = train_tokenizer(config)
    model = build_model(config, tokenizer)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    (out_dir / "README.md").write_text(tiny_model_card(config, model.num_parameters()))
    return out_dir


def tiny_model_card(config: TinyModelConfig, parameters: int) -> str:
    from gainrl.cards import render_card

    return render_card("tiny_model_card.md", config=asdict(config), parameters=parameters)
