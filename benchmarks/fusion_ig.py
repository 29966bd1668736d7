"""Fusion-level Integrated Gradients: IG over the fusion layer's two inputs, encoders run once.

A cost study for ``benchmarks/`` (how cheap can a per-modality IG split be?), not a method the
report uses: the report's modality split is the exact two-player Shapley value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from captum.attr import IntegratedGradients

from reportgen.claims import ig_flagged, ig_relative_delta
from reportgen.explain.baselines import baseline_inputs, encoder_states, inference_ready, prepare_inputs, stack
from reportgen.mmtd.model import MMTD, spam_log_odds
from reportgen.options import ExplainOptions


def _float(x: torch.Tensor | float) -> float:
    return float(x.detach().double().cpu().item()) if isinstance(x, torch.Tensor) else float(x)


def fuse_first_position(model: MMTD, text_hidden: torch.Tensor, image_hidden: torch.Tensor) -> torch.Tensor:
    """``model.fuse`` computed only where the head reads it: the fusion output at position 0.

    The pooler reads position 0 alone, so the fusion layer's query, feed-forward and norms are
    needed for that one position; only the keys and values need the whole fused sequence. The
    submodules of the model's own ``TransformerEncoderLayer`` are used (post-norm as in MMTD, or
    pre-norm), so the logits equal ``model.fuse`` up to float rounding at about a fifth of its
    cost. A model class that overrides ``fuse`` is honoured by calling its ``fuse`` instead.
    """
    if type(model).fuse is not MMTD.fuse:
        return model.fuse(text_hidden, image_hidden)
    layer = model.multi_modality_transformer_layer
    x = model.fusion_input(text_hidden, image_hidden)
    if layer.norm_first:
        kv = layer.norm1(x)
        h = x[:, :1] + layer.dropout1(layer.self_attn(kv[:, :1], kv, kv, need_weights=False)[0])
        h = h + layer._ff_block(layer.norm2(h))
    else:
        h = layer.norm1(x[:, :1] + layer.dropout1(layer.self_attn(x[:, :1], x, x, need_weights=False)[0]))
        h = layer.norm2(h + layer._ff_block(h))
    return model.classifier(model.pooler(h[:, 0]))


def _key_value_path_applies(model: MMTD) -> bool:
    """Whether :func:`_fusion_key_values` may stand in for the fusion layer (MMTD's own layout)."""
    layer = model.multi_modality_transformer_layer
    attn = layer.self_attn
    return (
        type(model).fuse is MMTD.fuse
        and not layer.norm_first  # pre-norm keys would be a layer norm of the input: not affine
        and attn._qkv_same_embed_dim
        and attn.batch_first
        and attn.bias_k is None
        and not attn.add_zero_attn
    )


def _fusion_key_values(
    model: MMTD, text_hidden: torch.Tensor, image_hidden: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x0, keys, values)`` of the fusion layer: position 0's input and every position's K and V.

    All three are affine in the two hidden states (the fusion input adds constants, the
    projections are linear), so a straight path between two pairs of hidden states is a straight
    path between their ``(x0, K, V)``: IG over these is IG over the hidden states, with each
    position's K and V attributions summing to that position's attribution.
    """
    attn = model.multi_modality_transformer_layer.self_attn
    x = model.fusion_input(text_hidden, image_hidden)
    _, w_k, w_v = attn.in_proj_weight.chunk(3)
    b_k = b_v = None
    if attn.in_proj_bias is not None:
        _, b_k, b_v = attn.in_proj_bias.chunk(3)
    return x[:, :1], torch.nn.functional.linear(x, w_k, b_k), torch.nn.functional.linear(x, w_v, b_v)


def _head_from_key_values(model: MMTD, x0: torch.Tensor, keys: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """MMTD's post-norm fusion layer at position 0, pooler and classifier, from ``(x0, K, V)``.

    Written out with the layer's own weights and submodules (eval mode: dropout is the identity);
    a test checks it against ``model.fuse``.
    """
    layer = model.multi_modality_transformer_layer
    attn = layer.self_attn
    heads, width = attn.num_heads, attn.embed_dim
    size = width // heads
    w_q = attn.in_proj_weight.chunk(3)[0]
    b_q = attn.in_proj_bias.chunk(3)[0] if attn.in_proj_bias is not None else None
    batch, length = keys.shape[:2]
    query = torch.nn.functional.linear(x0, w_q, b_q).view(batch, 1, heads, size).transpose(1, 2)
    keys = keys.view(batch, length, heads, size).transpose(1, 2)
    values = values.view(batch, length, heads, size).transpose(1, 2)
    weights = torch.softmax(query @ keys.transpose(-1, -2) / math.sqrt(size), dim=-1)
    context = (weights @ values).transpose(1, 2).reshape(batch, 1, width)
    h = layer.norm1(x0 + layer.dropout1(attn.out_proj(context)))
    h = layer.norm2(h + layer._ff_block(h))
    return model.classifier(model.pooler(h[:, 0]))


def fusion_integrated_gradients(
    model: MMTD,
    encoded: Mapping[str, torch.Tensor],
    special_ids: Mapping[str, int],
    options: ExplainOptions | None = None,
    *,
    input_states: tuple[torch.Tensor, torch.Tensor] | None = None,
    baseline_states: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> dict[str, Any]:
    """Cheap modality split: IG over the fusion layer's two inputs, encoders run once.

    The text and image encoders run (without gradients) on the input and on the same baseline as
    :func:`integrated_gradients`; IG then integrates the head along the straight line from the
    baseline's to the input's last hidden states. Only the fusion layer at position 0 is
    differentiated ``n_steps`` times, and for MMTD's post-norm layer the integration runs over
    position 0's input and every position's attention keys and values (affine in the hidden
    states, so the same path): the per-step cost is one query against 453 keys and one
    feed-forward row. Differences from the input-level
    IG: the path is straight in hidden-state space, not in embedding space (the encoders are not
    linearised along it), and the result is a per-modality split only — per-position scores on
    contextual states are not token or patch scores.

    Args:
        model: the MMTD.
        encoded: one sample from ``Preprocessor.encode``.
        special_ids: ``{"cls", "sep", "pad"}`` token ids.
        options: ``ig_steps``, ``ig_method``, ``image_baseline`` are used.
        input_states: ``(text_hidden, image_hidden)`` of the input if already computed (e.g. by a
            prediction pass); skips that encoder pass.
        baseline_states: the same for the baseline (e.g. cached: a white page's states are the
            same for every sample, the text baseline's depend only on the mask).

    Returns:
        ``level`` ("fusion"), ``n_steps``, ``method``, ``image_baseline``, ``f_input``,
        ``f_baseline``, ``delta``, ``relative_delta``, ``flagged``, ``text``/``image`` (signed
        sums) and ``text_share`` (|text| / (|text| + |image|), ``None`` when both are 0).
    """
    options = options or ExplainOptions()
    inputs = prepare_inputs(model, encoded)
    if input_states is None and baseline_states is None:
        both = encoder_states(model, stack(inputs, baseline_inputs(inputs, special_ids, options)))
        input_states = (both[0][:1], both[1][:1])
        baseline_states = (both[0][1:], both[1][1:])
    if input_states is None:
        input_states = encoder_states(model, inputs)
    if baseline_states is None:
        baseline_states = encoder_states(model, baseline_inputs(inputs, special_ids, options))

    n_text = input_states[0].shape[1]
    with inference_ready(model):
        if _key_value_path_applies(model):
            # Integrate over (x0, K, V) instead of the hidden states: same path, same quadrature,
            # but the projections of all 453 positions run twice instead of once per step.
            with torch.no_grad():
                ends = _fusion_key_values(model, *input_states)
                starts = _fusion_key_values(model, *baseline_states)

            def forward(x0: torch.Tensor, keys: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
                return spam_log_odds(_head_from_key_values(model, x0, keys, values))

            points: tuple[torch.Tensor, ...] = tuple(torch.cat([e, b]) for e, b in zip(ends, starts))
        else:
            ends = tuple(t.detach() for t in input_states)
            starts = tuple(t.detach() for t in baseline_states)

            def forward(text: torch.Tensor, image: torch.Tensor) -> torch.Tensor:  # type: ignore[misc]
                return spam_log_odds(fuse_first_position(model, text, image))

            points = (torch.cat([ends[0], starts[0]]), torch.cat([ends[1], starts[1]]))
        attributions, delta = IntegratedGradients(forward).attribute(
            inputs=ends,
            baselines=starts,
            n_steps=int(options.ig_steps),
            method=options.ig_method,
            return_convergence_delta=True,
        )
        with torch.no_grad():
            f_pair = forward(*points)
    if len(attributions) == 3:  # x0 is the text [CLS]; K and V rows follow the fused positions
        x0_attr, key_attr, value_attr = attributions
        text_total = x0_attr.sum() + key_attr[:, :n_text].sum() + value_attr[:, :n_text].sum()
        image_total = key_attr[:, n_text:].sum() + value_attr[:, n_text:].sum()
    else:
        text_total, image_total = attributions[0].sum(), attributions[1].sum()
    f_input, f_baseline = _float(f_pair[0]), _float(f_pair[1])
    delta_value = _float(delta.reshape(-1)[0])
    relative = ig_relative_delta(delta_value, f_input, f_baseline)
    return {
        "level": "fusion",
        "n_steps": int(options.ig_steps),
        "method": options.ig_method,
        "image_baseline": options.image_baseline,
        "f_input": f_input,
        "f_baseline": f_baseline,
        "delta": delta_value,
        "relative_delta": relative,
        "flagged": ig_flagged(delta_value, f_input, f_baseline),
        **_magnitude_split(_float(text_total), _float(image_total)),
    }


def _magnitude_split(text: float, image: float) -> dict[str, Any]:
    # This cost study compares two IG variants with each other, so a plain magnitude share will do;
    # the report's sign-aware share is reportgen.claims.decision_text_share.
    total = abs(text) + abs(image)
    return {"text": text, "image": image, "text_share": abs(text) / total if total > 0 else None}
