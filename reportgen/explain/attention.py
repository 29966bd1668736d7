"""Attention of MMTD for one sample: text maps and rollout, image CLS→patch maps, fusion shares.

transformers 5 runs attention through SDPA, which returns no weights, so this pass switches both
encoders to eager attention (:func:`eager_attention`) and restores the previous implementation
afterwards. Attention is descriptive — where the model looked — not an attribution; the report
shows it beside Integrated Gradients, not instead of it.

Rollout follows Abnar & Zuidema (2020): per layer the head-mean attention ``A`` is mixed with the
residual connection as ``0.5·A + 0.5·I``, rows renormalised, and the layers multiplied from the
first to the last; row 0 of the product is how much each input token feeds the [CLS] position.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import torch

from reportgen.errors import ReportgenError
from reportgen.explain.baselines import baseline_inputs, inference_ready, prepare_inputs, stack
from reportgen.explain.registry import Method, SampleContext
from reportgen.mmtd.model import MMTD, MMTDConfig
from reportgen.options import ExplainOptions


@contextlib.contextmanager
def eager_attention(model: MMTD) -> Iterator[None]:
    """Run both encoders with eager attention (which returns weights) and restore afterwards."""
    previous = model.text_encoder.config._attn_implementation or "sdpa"
    model.set_attention_implementation("eager")
    try:
        yield
    finally:
        model.set_attention_implementation(previous)


def encode_with_attention(model: MMTD, inputs: Mapping[str, torch.Tensor]) -> tuple[Any, Any]:
    """Both encoders on a batch, eager, without gradients, with attention weights.

    Returns:
        ``(text_output, image_output)``: transformers outputs with ``attentions`` (per layer
        ``[B, heads, L, L]``); the text one has ``last_hidden_state``, the image one
        ``hidden_states`` (``[-1]`` feeds the fusion).
    """
    was_training = model.training
    model.eval()  # attention dropout would perturb the weights
    try:
        with eager_attention(model), torch.no_grad():
            text = model.encode_text(
                inputs["input_ids"], inputs["token_type_ids"], inputs["attention_mask"], output_attentions=True
            )
            image = model.encode_image(inputs["pixel_values"], output_attentions=True)
    finally:
        model.train(was_training)
    return text, image


def rollout(attentions: Sequence[torch.Tensor]) -> torch.Tensor:
    """Attention rollout of head-mean attention matrices.

    Args:
        attentions: per layer, first to last, a ``[L, L]`` row-stochastic matrix (heads averaged).

    Returns:
        ``[L, L]`` rollout; every row sums to 1.
    """
    result: torch.Tensor | None = None
    for attention in attentions:
        attention = attention.double()
        eye = torch.eye(attention.shape[-1], dtype=attention.dtype, device=attention.device)
        mixed = 0.5 * attention + 0.5 * eye
        mixed = mixed / mixed.sum(dim=-1, keepdim=True)
        result = mixed if result is None else mixed @ result
    if result is None:
        raise ValueError("rollout needs at least one layer")
    return result


def fusion_attention(model: MMTD, text_hidden: torch.Tensor, image_hidden: torch.Tensor) -> torch.Tensor:
    """Head-mean attention weights of the fusion layer, ``[B, L_text + L_image, L_text + L_image]``.

    ``nn.TransformerEncoderLayer`` never returns its attention weights (its forward calls
    ``self_attn(..., need_weights=False)``), so its ``self_attn`` module is called here directly on
    the sequence that layer attends over: the fused input (post-norm, as in MMTD) or its first
    layer norm (pre-norm). Like the model, no padding mask is passed.
    """
    layer = model.multi_modality_transformer_layer
    was_training = layer.self_attn.training
    layer.self_attn.eval()  # in training mode the returned weights are the dropped-out ones
    try:
        with torch.no_grad():
            x = model.fusion_input(text_hidden, image_hidden)
            if layer.norm_first:
                x = layer.norm1(x)
            _, weights = layer.self_attn(x, x, x, need_weights=True, average_attn_weights=True)
    finally:
        layer.self_attn.train(was_training)
    return weights


def _grid(values: torch.Tensor, rows: int, cols: int) -> list[list[float]]:
    return values.reshape(rows, cols).double().cpu().tolist()


def stored_attention_layer(config: MMTDConfig, options: ExplainOptions) -> int:
    """The 0-based text layer whose attention matrix is stored, after checking layer and head exist.

    Called by ``run_analysis`` before any model work, so a bad option costs nothing.

    Raises:
        ReportgenError: ``--attention-layer`` or ``--attention-head`` outside the text encoder.
    """
    n_layers = int(config.text.num_hidden_layers)
    heads = int(config.text.num_attention_heads)
    layer = options.attention_layer if options.attention_layer >= 0 else n_layers + options.attention_layer
    if not 0 <= layer < n_layers:
        raise ReportgenError(f"--attention-layer {options.attention_layer}: the text encoder has {n_layers} layers")
    if options.attention_head is not None and not 0 <= options.attention_head < heads:
        raise ReportgenError(f"--attention-head {options.attention_head}: layer {layer} has {heads} heads")
    return layer


def summarise_attention(
    model: MMTD,
    text_output: Any,
    image_output: Any,
    attention_mask: torch.Tensor,
    image_shape: Sequence[int],
    options: ExplainOptions,
    index: int = 0,
) -> dict[str, Any]:
    """The schema's ``attention`` section for sample ``index`` of an eager encoder pass.

    Args:
        model: the MMTD (for the fusion layer and patch size).
        text_output, image_output: from :func:`encode_with_attention`.
        attention_mask: ``[B, L]`` text mask of that pass.
        image_shape: ``(H, W)`` of the pixel values.
        options: ``attention_layer`` / ``attention_head`` select the stored text matrix.
        index: which sample of the batch to summarise.

    Returns:
        ``text``: ``cls_rows`` (per layer, head-mean attention of [CLS] to each real token),
        ``rollout`` ([CLS] row over real tokens, sums to 1), ``selected`` (``layer``, ``head``
        (int or "mean"), ``matrix`` over real tokens); ``image``: ``cls_to_patches`` (last layer,
        head mean, grid) and ``rollout`` (grid; the [CLS]-to-itself share is left out, so a grid
        sums to less than 1); ``fusion``: share of position 0's attention on the text positions
        (padding included, as the model attends to it), on the image positions, and
        ``text_real`` on real text tokens only (``text + image == 1``).
    """
    real = attention_mask[index].bool()
    # Head mean, then restricted to real tokens: padded keys get exactly zero weight under the
    # additive mask, so the restricted rows of real queries still sum to 1.
    text_layers = [a[index].mean(dim=0)[real][:, real] for a in text_output.attentions]
    layer = stored_attention_layer(model.config, options)
    if options.attention_head is None:
        matrix, head = text_layers[layer], "mean"
    else:
        matrix = text_output.attentions[layer][index, options.attention_head][real][:, real]
        head = int(options.attention_head)

    patch = int(model.config.image.patch_size)
    rows, cols = int(image_shape[-2]) // patch, int(image_shape[-1]) // patch
    image_layers = [a[index].mean(dim=0) for a in image_output.attentions]
    image_rollout = rollout(image_layers)[0, 1:]

    text_hidden = text_output.last_hidden_state[index : index + 1]
    image_hidden = image_output.hidden_states[-1][index : index + 1]
    row0 = fusion_attention(model, text_hidden, image_hidden)[0, 0].double()
    n_text = text_hidden.shape[1]
    text_mass = float(row0[:n_text].sum())
    image_mass = float(row0[n_text:].sum())
    total = text_mass + image_mass
    return {
        "text": {
            "cls_rows": [a[0].double().cpu().tolist() for a in text_layers],
            "rollout": rollout(text_layers)[0].cpu().tolist(),
            "selected": {"layer": int(layer), "head": head, "matrix": matrix.double().cpu().tolist()},
        },
        "image": {
            "cls_to_patches": _grid(image_layers[-1][0, 1:], rows, cols),
            "rollout": _grid(image_rollout, rows, cols),
        },
        "fusion": {
            "text": text_mass / total,
            "image": image_mass / total,
            "text_real": float(row0[:n_text][real.to(row0.device)].sum()) / total,
        },
    }


def attention_maps(model: MMTD, inputs: Mapping[str, torch.Tensor], options: ExplainOptions) -> dict[str, Any]:
    """Eager attention pass on one prepared sample and its ``attention`` section.

    Args:
        model: the MMTD (SDPA or eager; restored afterwards).
        inputs: one sample, as from :func:`reportgen.explain.baselines.prepare_inputs`.
        options: attention layer/head selection.
    """
    text, image = encode_with_attention(model, inputs)
    return summarise_attention(
        model, text, image, inputs["attention_mask"], inputs["pixel_values"].shape[-2:], options
    )


def _explain(context: SampleContext) -> dict[str, Any]:
    model = context.model
    inputs = prepare_inputs(model, context.encoded)
    both = stack(inputs, baseline_inputs(inputs, context.special_ids, context.options))
    with inference_ready(model):
        # One eager pass over [input, baseline] serves both the attention maps (of the input) and
        # the Shapley coalitions (which only recombine the two encoders' hidden states).
        text_out, image_out = encode_with_attention(model, both)
        attention = summarise_attention(
            model, text_out, image_out, both["attention_mask"], both["pixel_values"].shape[-2:], context.options,
            index=0,
        )
    context.shared["encoder_states"] = (text_out.last_hidden_state, image_out.hidden_states[-1])
    return {"attention": attention}


METHOD = Method(name="attention", title="Attention", produces=("attention",), explain=_explain)
