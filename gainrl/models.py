"""Small helpers for causal LMs every stage shares: device and dtype from flags, loading a model for inference, and
the one lookup of a decoder layer's MLP (the module whose input the angle metric reads).

What it does not cover: the pre-fill itself (`gainrl.score.prefill`), generation (`gainrl.train.rollouts`), and
models whose decoder layers lack an `mlp` submodule (they are reported, not handled).
"""

from __future__ import annotations

import torch


def resolve_layer(num_layers: int, layer: int) -> int:
    """A decoder layer index; negative values count from the end (-1 = last)."""
    index = layer if layer >= 0 else num_layers + layer
    if not 0 <= index < num_layers:
        raise ValueError(f"--layer {layer} is out of range for a model with {num_layers} decoder layers")
    return index


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def load_causal_lm(model_id: str, revision: str | None, dtype: torch.dtype, device: torch.device):
    from transformers import AutoModelForCausalLM  # transformers is heavy: only when a model is loaded

    attention = "sdpa" if device.type == "cuda" else None
    model = AutoModelForCausalLM.from_pretrained(model_id, revision=revision, dtype=dtype,
                                                 attn_implementation=attention)
    return model.to(device).eval()


def decoder_layers(model) -> torch.nn.ModuleList:
    layers = getattr(model.get_decoder(), "layers", None)
    if layers is None:
        raise ValueError(f"{type(model).__name__}: cannot find its decoder layers (expected `.layers`)")
    return layers


def layer_mlp(model, layer: int) -> tuple[int, torch.nn.Module]:
    """(resolved index, `layers[index].mlp`) of decoder layer `layer` (negative counts from the end): the module
    whose input (the post-attention norm's output, what `up_proj` sees) the angle metric reads."""
    layers = decoder_layers(model)
    index = resolve_layer(len(layers), layer)
    mlp = getattr(layers[index], "mlp", None)
    if mlp is None:
        raise ValueError(f"{type(model).__name__}: decoder layer {index} has no `mlp` submodule")
    return index, mlp
