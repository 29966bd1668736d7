"""An independent MMTD forward pass in plain torch, straight from an original (4.x-named) state dict.

No transformers module and no reportgen module is used: embeddings, BERT post-norm layers, BEiT
pre-norm layers with layer scale, the fusion ``TransformerEncoderLayer`` (post-norm, ReLU), the
pooler and the classifier are written out by hand, in float64. If ``load_mmtd`` renames a key
wrongly, swaps two tensors, drops a buffer the original used, or builds a different architecture,
its logits stop matching these.
"""

from __future__ import annotations

import math
import re

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def _layer_count(state: dict[str, Tensor], prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.")
    return 1 + max(int(m.group(1)) for k in state if (m := pattern.match(k)))


def _linear(x: Tensor, state: dict[str, Tensor], prefix: str, bias: bool = True) -> Tensor:
    y = x @ state[prefix + ".weight"].T
    return y + state[prefix + ".bias"] if bias else y


def _layer_norm(x: Tensor, state: dict[str, Tensor], prefix: str, eps: float) -> Tensor:
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * state[prefix + ".weight"] + state[prefix + ".bias"]


def _gelu(x: Tensor) -> Tensor:
    # The exact (erf) GELU, BERT's and BEiT's "gelu".
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def _attention(q: Tensor, k: Tensor, v: Tensor, heads: int, additive_mask: Tensor | None = None) -> Tensor:
    """Multi-head scaled dot-product attention on [B, T, D] projections."""
    batch, length, width = q.shape
    size = width // heads

    def split(t: Tensor) -> Tensor:
        return t.view(batch, -1, heads, size).transpose(1, 2)

    scores = split(q) @ split(k).transpose(-1, -2) / math.sqrt(size)
    if additive_mask is not None:
        scores = scores + additive_mask
    weights = torch.softmax(scores, dim=-1)
    return (weights @ split(v)).transpose(1, 2).reshape(batch, length, width)


def bert_last_hidden(
    state: dict[str, Tensor], input_ids: Tensor, token_type_ids: Tensor, attention_mask: Tensor, heads: int,
    eps: float = 1e-12,
) -> Tensor:
    """BERT's last hidden state [B, T, D] (post-norm layers, GELU FFN, padding keys masked out)."""
    p = "text_encoder.bert."
    length = input_ids.shape[1]
    # 4.x read the position ids from its (persistent) buffer, so the reference does too.
    position_ids = state[p + "embeddings.position_ids"][:, :length]
    x = (
        state[p + "embeddings.word_embeddings.weight"][input_ids]
        + state[p + "embeddings.position_embeddings.weight"][position_ids]
        + state[p + "embeddings.token_type_embeddings.weight"][token_type_ids]
    )
    x = _layer_norm(x, state, p + "embeddings.LayerNorm", eps)
    mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
    for i in range(_layer_count(state, p + "encoder.layer.")):
        lp = f"{p}encoder.layer.{i}."
        q = _linear(x, state, lp + "attention.self.query")
        k = _linear(x, state, lp + "attention.self.key")
        v = _linear(x, state, lp + "attention.self.value")
        context = _attention(q, k, v, heads, mask)
        x = _layer_norm(x + _linear(context, state, lp + "attention.output.dense"), state, lp + "attention.output.LayerNorm", eps)
        ffn = _linear(_gelu(_linear(x, state, lp + "intermediate.dense")), state, lp + "output.dense")
        x = _layer_norm(x + ffn, state, lp + "output.LayerNorm", eps)
    return x


def beit_last_hidden(state: dict[str, Tensor], pixel_values: Tensor, heads: int, eps: float = 1e-12) -> Tensor:
    """BEiT/DiT's last layer output [B, 1 + patches, D]: pre-norm layers scaled by lambda_1/lambda_2."""
    p = "image_encoder.beit."
    projection = state[p + "embeddings.patch_embeddings.projection.weight"]
    patch = projection.shape[-1]
    patches = F.conv2d(pixel_values, projection, state[p + "embeddings.patch_embeddings.projection.bias"], stride=patch)
    patches = patches.flatten(2).transpose(1, 2)
    cls = state[p + "embeddings.cls_token"].expand(patches.shape[0], -1, -1)
    x = torch.cat([cls, patches], dim=1) + state[p + "embeddings.position_embeddings"]
    for i in range(_layer_count(state, p + "encoder.layer.")):
        lp = f"{p}encoder.layer.{i}."
        h = _layer_norm(x, state, lp + "layernorm_before", eps)
        q = _linear(h, state, lp + "attention.attention.query")
        k = _linear(h, state, lp + "attention.attention.key", bias=False)  # BEiT's key has no bias
        v = _linear(h, state, lp + "attention.attention.value")
        attended = _linear(_attention(q, k, v, heads), state, lp + "attention.output.dense")
        x = x + state[lp + "lambda_1"] * attended
        h = _layer_norm(x, state, lp + "layernorm_after", eps)
        mlp = _linear(_gelu(_linear(h, state, lp + "intermediate.dense")), state, lp + "output.dense")
        x = x + state[lp + "lambda_2"] * mlp
    return x


def fusion_logits(state: dict[str, Tensor], text_hidden: Tensor, image_hidden: Tensor, heads: int) -> Tensor:
    """[text + 0, image + 1] -> post-norm encoder layer (ReLU, eps 1e-5, no mask) -> tanh pooler -> classifier."""
    p = "multi_modality_transformer_layer."
    x = torch.cat([text_hidden + 0.0, image_hidden + 1.0], dim=1)
    width = x.shape[-1]
    qkv = x @ state[p + "self_attn.in_proj_weight"].T + state[p + "self_attn.in_proj_bias"]
    q, k, v = qkv[..., :width], qkv[..., width : 2 * width], qkv[..., 2 * width :]
    attended = _linear(_attention(q, k, v, heads), state, p + "self_attn.out_proj")
    x = _layer_norm(x + attended, state, p + "norm1", 1e-5)
    ffn = _linear(torch.relu(_linear(x, state, p + "linear1")), state, p + "linear2")
    x = _layer_norm(x + ffn, state, p + "norm2", 1e-5)
    pooled = torch.tanh(_linear(x[:, 0, :], state, "pooler.0"))
    return _linear(pooled, state, "classifier")


def reference_logits(
    state: dict[str, Tensor],
    input_ids: Tensor,
    token_type_ids: Tensor,
    attention_mask: Tensor,
    pixel_values: Tensor,
    *,
    text_heads: int,
    image_heads: int,
    fusion_heads: int,
) -> Tensor:
    """MMTD logits [B, 2] (float64) from an original-layout state dict."""
    state = {k: (v.double() if v.is_floating_point() else v) for k, v in state.items()}
    text = bert_last_hidden(state, input_ids, token_type_ids, attention_mask, text_heads)
    image = beit_last_hidden(state, pixel_values.double(), image_heads)
    return fusion_logits(state, text, image, fusion_heads)
