"""Whisper's text decoder in torch, with its weights from and back to a CTranslate2 model.

Only the decoder is trained (the audio encoder stays as it is, so its outputs for the
training audio are computed once, by CTranslate2 itself). The layout is CTranslate2's
WhisperSpec: pre-norm layers of self-attention (query, key and value fused), cross-attention
(query alone, key and value fused) and a GELU feed-forward; the output projection is the
token embedding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

_GELU = 3
"""CTranslate2's id of (erf) GELU."""
_PARTS = {
    "self_norm": "self_attention/layer_norm",
    "self_qkv": "self_attention/linear_0",
    "self_out": "self_attention/linear_1",
    "cross_norm": "attention/layer_norm",
    "cross_q": "attention/linear_0",
    "cross_kv": "attention/linear_1",
    "cross_out": "attention/linear_2",
    "ffn_norm": "ffn/layer_norm",
    "ffn_in": "ffn/linear_0",
    "ffn_out": "ffn/linear_1",
}


class _Layer(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.self_norm, self.self_qkv, self.self_out = (
            nn.LayerNorm(width),
            nn.Linear(width, 3 * width),
            nn.Linear(width, width),
        )
        self.cross_norm, self.cross_q = nn.LayerNorm(width), nn.Linear(width, width)
        self.cross_kv, self.cross_out = nn.Linear(width, 2 * width), nn.Linear(width, width)
        self.ffn_norm, self.ffn_in, self.ffn_out = (
            nn.LayerNorm(width),
            nn.Linear(width, 4 * width),
            nn.Linear(4 * width, width),
        )


class Decoder(nn.Module):
    def __init__(self, vocabulary: int, width: int, heads: int, layers: int, positions: int) -> None:
        super().__init__()
        self.heads = heads
        self.embeddings = nn.Embedding(vocabulary, width)
        self.positions = nn.Parameter(torch.zeros(positions, width))
        self.layers = nn.ModuleList(_Layer(width) for _ in range(layers))
        self.norm = nn.LayerNorm(width)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        return x.view(batch, length, self.heads, width // self.heads).transpose(1, 2)

    def _merge(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, length, _ = x.shape
        return x.transpose(1, 2).reshape(batch, length, -1)

    def forward(self, tokens: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        """Logits (batch, length, vocabulary) for `tokens` (batch, length) given the encoder's
        output `audio` (batch, frames, width)."""
        x = self.embeddings(tokens) + self.positions[: tokens.shape[1]]
        for layer in self.layers:
            q, k, v = layer.self_qkv(layer.self_norm(x)).chunk(3, dim=-1)
            attended = F.scaled_dot_product_attention(self._heads(q), self._heads(k), self._heads(v), is_causal=True)
            x = x + layer.self_out(self._merge(attended))
            k, v = layer.cross_kv(audio).chunk(2, dim=-1)
            q = layer.cross_q(layer.cross_norm(x))
            attended = F.scaled_dot_product_attention(self._heads(q), self._heads(k), self._heads(v))
            x = x + layer.cross_out(self._merge(attended))
            x = x + layer.ffn_out(F.gelu(layer.ffn_in(layer.ffn_norm(x))))
        return self.norm(x) @ self.embeddings.weight.T

    def named_weights(self) -> Iterator[tuple[str, nn.Parameter]]:
        """Each parameter under its CTranslate2 variable name."""
        yield "decoder/embeddings/weight", self.embeddings.weight
        yield "decoder/position_encodings/encodings", self.positions
        yield "decoder/layer_norm/gamma", self.norm.weight
        yield "decoder/layer_norm/beta", self.norm.bias
        for index, layer in enumerate(self.layers):
            for attribute, part in _PARTS.items():
                module = getattr(layer, attribute)
                prefix = f"decoder/layer_{index}/{part}"
                if isinstance(module, nn.LayerNorm):
                    yield f"{prefix}/gamma", module.weight
                    yield f"{prefix}/beta", module.bias
                else:
                    yield f"{prefix}/weight", module.weight
                    yield f"{prefix}/bias", module.bias

    @classmethod
    def from_ctranslate2(cls, variables: Mapping[str, np.ndarray]) -> "Decoder":
        # What this module computes; another Whisper export would need its own code.
        expected = {
            "decoder/pre_norm": 1,
            "decoder/scale_embeddings": 0,
            "decoder/activation": _GELU,
            "decoder/alibi": 0,
        }
        for key, value in expected.items():
            if int(variables[key]) != value:
                raise ValueError(f"{key} is {int(variables[key])}: this decoder implements {value}")
        vocabulary, width = variables["decoder/embeddings/weight"].shape
        layers = sum(1 for key in variables if key.startswith("decoder/layer_") and key.endswith("ffn/linear_0/weight"))
        decoder = cls(
            vocabulary=vocabulary,
            width=width,
            heads=int(variables["decoder/num_heads"]),
            layers=layers,
            positions=variables["decoder/position_encodings/encodings"].shape[0],
        )
        with torch.no_grad():
            for name, parameter in decoder.named_weights():
                parameter.copy_(torch.from_numpy(variables[name].astype(np.float32)))
        return decoder
