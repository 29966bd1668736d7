"""Integrated Gradients for MMTD: one joint pass over the text and the image input embeddings.

The explained quantity is always the **spam log-odds** ``logit_spam - logit_ham``
(:func:`reportgen.mmtd.model.spam_log_odds`): a positive attribution pushes toward spam, a negative one
toward ham, and the attributions of one sample add up to ``f(input) - f(baseline)``.

* :func:`integrated_gradients` — input level. Captum's ``LayerIntegratedGradients`` over BERT's
  word-embedding layer **and** BEiT's patch-embedding layer in one pass (both layers are hooked at
  once, so every path point moves text and image together from the baseline to the input). This
  gives per-token and per-patch scores and the completeness gap (Captum's convergence delta).

(A fusion-level variant, IG over the fusion layer's inputs only, lives in ``benchmarks/fusion_ig.py``:
it is a cost study, not a method the report uses.)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import torch
import numpy as np
from captum.attr import LayerIntegratedGradients

from reportgen.claims import ig_flagged, ig_relative_delta
from reportgen.explain.baselines import baseline_inputs, inference_ready, prepare_inputs
from reportgen.explain.registry import Method, SampleContext
from reportgen.mmtd.model import MMTD, MMTDConfig, spam_log_odds
from reportgen.options import ExplainOptions


def activation_bytes_per_step(config: MMTDConfig, n_tokens: int, n_image_tokens: int, bytes_per: int = 4) -> int:
    """Rough bytes of autograd activations that one IG path point keeps for its backward pass.

    Per encoder layer and token: about eight hidden-sized tensors (projections, residuals, layer
    norms), one intermediate-sized one (the MLP's GELU input) and one row of attention
    probabilities (heads x sequence). For the full-size model this estimates 0.26 GB per path
    point against 0.24 GB measured (peak RSS with 2 and 4 path points per batch, frozen weights,
    eval mode; 0.33 GB without freezing the weights), so it errs slightly on the safe side. With
    the default 3 GB budget 16 steps run as 2 batches of 8: peak RSS 3.3 GB for one full-size
    sample (1.4 GB of it the model), 4.0 GB for 50 steps.

    Args:
        config: the model's configuration.
        n_tokens: text sequence length.
        n_image_tokens: image sequence length ([CLS] + patches).
        bytes_per: bytes per element (4 for float32).
    """
    total = 0
    for cfg, seq in ((config.text, n_tokens), (config.image, n_image_tokens)):
        per_token = 8 * cfg.hidden_size + cfg.intermediate_size + cfg.num_attention_heads * seq
        total += cfg.num_hidden_layers * seq * per_token
    fused = n_tokens + n_image_tokens
    total += fused * (8 * config.hidden_size + config.fusion_feedforward + config.fusion_heads * fused)
    return int(total * bytes_per)


def auto_internal_batch_size(model: MMTD, inputs: Mapping[str, torch.Tensor], options: ExplainOptions,
                             steps: int | None = None) -> int:
    """Path points per batch: the explicit option, else as many as fit ``options.memory_budget``.

    The chosen size also balances the batches (20 steps with room for 8 → 7, 7, 6) so the last
    batch is not a nearly empty one. ``steps`` defaults to ``options.ig_steps``.
    """
    steps = int(options.ig_steps if steps is None else steps)
    if options.internal_batch_size is not None:
        return min(int(options.internal_batch_size), steps)
    n_tokens = int(inputs["input_ids"].shape[1])
    patch = int(model.config.image.patch_size)
    height, width = inputs["pixel_values"].shape[-2:]
    n_image_tokens = (height // patch) * (width // patch) + 1
    per_step = activation_bytes_per_step(
        model.config, n_tokens, n_image_tokens, next(model.parameters()).element_size()
    )
    room = max(2, int(options.memory_budget // max(per_step, 1)))
    n_batches = math.ceil(steps / min(room, steps))
    return max(2, math.ceil(steps / n_batches))



def _float(x: torch.Tensor | float) -> float:
    return float(x.detach().double().cpu().item()) if isinstance(x, torch.Tensor) else float(x)


def path_alphas(method: str, n_steps: int) -> list[float]:
    """The points (fractions of the way from baseline to input) where Captum's ``method`` evaluates the path.

    The same mapping as Captum's own (``captum.attr._utils.approximation_methods``, which is
    private): Gauss-Legendre nodes moved from [-1, 1] to [0, 1], Riemann points from
    ``torch.linspace``. A test checks that both give the same numbers.
    """
    n = int(n_steps)
    if method == "gausslegendre":
        return [float(a) for a in 0.5 * (1 + np.polynomial.legendre.leggauss(n)[0])]
    ends = {"riemann_trapezoid": (0.0, 1.0), "riemann_left": (0.0, 1 - 1 / n),
            "riemann_middle": (1 / (2 * n), 1 - 1 / (2 * n)), "riemann_right": (1 / n, 1.0)}
    if method not in ends:
        raise ValueError(f"unknown integration method {method!r}")
    return [float(a) for a in torch.linspace(*ends[method], n).tolist()]


def step_schedule(options: ExplainOptions) -> list[int]:
    """Step counts tried in turn: ``ig_steps``, doubled up to ``ig_max_steps`` (never below ``ig_steps``)."""
    steps, cap = int(options.ig_steps), max(int(options.ig_max_steps), int(options.ig_steps))
    schedule = [steps]
    while schedule[-1] * 2 <= cap:
        schedule.append(schedule[-1] * 2)
    return schedule


def integrated_gradients(
    model: MMTD,
    encoded: Mapping[str, torch.Tensor],
    special_ids: Mapping[str, int],
    options: ExplainOptions | None = None,
) -> dict[str, Any]:
    """Joint input-level Integrated Gradients of the spam log-odds for one sample, converged.

    Starts with ``options.ig_steps`` points and doubles them while the completeness gap is too
    large (:func:`reportgen.claims.ig_flagged`: more than 5 % of ``f(input) - f(baseline)`` and
    0.01 log-odds), up to ``options.ig_max_steps``. Quadrature nodes of different counts do not
    nest, so each try is a fresh integration; the last one is returned.

    Args:
        model: the MMTD (any attention implementation; SDPA is fastest).
        encoded: one sample from ``Preprocessor.encode``.
        special_ids: ``{"cls", "sep", "pad"}`` token ids of the tokenizer.
        options: see :class:`ExplainOptions`.

    Returns:
        Plain data: ``n_steps`` (used), ``attempts`` (``{"n_steps", "relative_delta"}`` per try),
        ``converged``, ``method``, ``image_baseline``, ``internal_batch_size``, ``f_input``,
        ``f_baseline``, ``delta`` (Captum's convergence delta: sum of attributions minus
        ``f_input - f_baseline``), ``relative_delta``, ``flagged`` (not converged at the cap),
        ``path`` (``alphas`` and ``f`` at the quadrature points), ``text_total``/``image_total``
        (signed sums per modality), ``token_scores`` (one per real token, [CLS]/[SEP] included,
        summed over the embedding dimension) and ``image_scores`` (rows of the patch grid, summed
        over the hidden dimension).
    """
    options = options or ExplainOptions()
    inputs = prepare_inputs(model, encoded)
    baseline = baseline_inputs(inputs, special_ids, options)
    attempts: list[dict[str, Any]] = []
    for n_steps in step_schedule(options):
        result = _integrate(model, inputs, baseline, options, n_steps)
        attempts.append({"n_steps": n_steps, "relative_delta": result["relative_delta"]})
        if not result["flagged"]:
            break
    result["attempts"] = attempts
    result["converged"] = not result["flagged"]
    return result


def _integrate(model: MMTD, inputs: Mapping[str, torch.Tensor], baseline: Mapping[str, torch.Tensor],
               options: ExplainOptions, n_steps: int) -> dict[str, Any]:
    """One Captum integration with ``n_steps`` points."""
    batch_size = auto_internal_batch_size(model, inputs, options, n_steps)
    path_f: list[torch.Tensor] = []
    plain_f: list[torch.Tensor] = []

    def forward(input_ids, pixel_values, token_type_ids, attention_mask):  # noqa: ANN001, ANN202
        out = spam_log_odds(model(input_ids, token_type_ids, attention_mask, pixel_values))
        # Captum evaluates the path points with gradients on and every other forward without,
        # so the integrand along the path is read off its own passes at no extra cost; its last
        # two gradient-free passes are f(baseline) then f(input) for the convergence delta.
        (path_f if torch.is_grad_enabled() else plain_f).append(out.detach())
        return out

    layers = [
        model.text_encoder.bert.embeddings.word_embeddings,
        model.image_encoder.beit.embeddings.patch_embeddings,
    ]
    with inference_ready(model), warnings.catch_warnings():
        # Captum warns that hooked layers must not depend on each other; these two are the
        # first layers of two separate encoders.
        warnings.filterwarnings("ignore", message="Multiple layers provided")
        lig = LayerIntegratedGradients(forward, layers)
        (text_attr, image_attr), delta = lig.attribute(
            inputs=(inputs["input_ids"], inputs["pixel_values"]),
            baselines=(baseline["input_ids"], baseline["pixel_values"]),
            additional_forward_args=(inputs["token_type_ids"], inputs["attention_mask"]),
            n_steps=int(n_steps),
            method=options.ig_method,
            internal_batch_size=batch_size,
            return_convergence_delta=True,
        )
    text_attr = text_attr[0] if isinstance(text_attr, tuple) else text_attr
    image_attr = image_attr[0] if isinstance(image_attr, tuple) else image_attr

    real = inputs["attention_mask"][0].bool()
    token_scores = text_attr[0].sum(dim=-1)[real]
    patch_scores = image_attr[0].sum(dim=-1)
    patch = int(model.config.image.patch_size)
    rows, cols = (int(s) // patch for s in inputs["pixel_values"].shape[-2:])
    image_grid = patch_scores.reshape(rows, cols)
    f_baseline, f_input = _float(plain_f[-2][0]), _float(plain_f[-1][0])
    delta_value = _float(delta.reshape(-1)[0])
    relative = ig_relative_delta(delta_value, f_input, f_baseline)
    alphas = path_alphas(options.ig_method, n_steps)
    f_path = torch.cat(path_f).double().cpu().tolist() if path_f else []
    if len(f_path) != len(alphas):  # a Captum change would break the read-off; say so, never guess
        raise RuntimeError(f"recorded {len(f_path)} path values for {len(alphas)} IG steps")
    return {
        "n_steps": int(n_steps),
        "method": options.ig_method,
        "image_baseline": options.image_baseline,
        "internal_batch_size": int(batch_size),
        "f_input": f_input,
        "f_baseline": f_baseline,
        "delta": delta_value,
        "relative_delta": relative,
        "flagged": ig_flagged(delta_value, f_input, f_baseline),
        "path": {"alphas": alphas, "f": f_path} if options.record_path else {"alphas": [], "f": []},
        "text_total": _float(text_attr.sum()),
        "image_total": _float(image_attr.sum()),
        "token_scores": token_scores.double().cpu().tolist(),
        "image_scores": image_grid.double().cpu().tolist(),
    }


def _explain(context: SampleContext) -> dict[str, Any]:
    ig = integrated_gradients(context.model, context.encoded, context.special_ids, context.options)
    return {"token_scores": ig.pop("token_scores"), "image_scores": ig.pop("image_scores"),
            "integrated_gradients": ig}


METHOD = Method(
    name="integrated_gradients",
    title="Integrated Gradients",
    produces=("token_scores", "image_scores", "integrated_gradients"),
    explain=_explain,
)
