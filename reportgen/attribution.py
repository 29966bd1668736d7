"""Integrated Gradients for MMTD: one joint pass over the text and the image input embeddings.

The explained quantity is always the **spam log-odds** ``logit_spam - logit_ham``
(:func:`reportgen.model.spam_log_odds`): a positive attribution pushes toward spam, a negative one
toward ham, and the attributions of one sample add up to ``f(input) - f(baseline)``.

Two levels are offered:

* :func:`integrated_gradients` — input level. Captum's ``LayerIntegratedGradients`` over BERT's
  word-embedding layer **and** BEiT's patch-embedding layer in one pass (both layers are hooked at
  once, so every path point moves text and image together from the baseline to the input). This
  gives per-token and per-patch scores and the completeness gap (Captum's convergence delta).
* :func:`fusion_integrated_gradients` — fusion level, the cheap mode. The two encoders run once on
  the input and once on the baseline; IG then integrates only the fusion layer + head along the
  straight line between the baseline's and the input's *last hidden states*. It costs a few encoder
  passes instead of ``n_steps`` forward+backward passes of the whole model, but it gives only a
  modality split (per-position scores on contextual hidden states are not token or patch scores),
  and it integrates along a different path — a straight line in hidden-state space, not the image
  of the straight input-embedding path under the encoders — so its split can differ from the
  input-level one.

:func:`explain_sample` runs everything the report needs for one sample (IG, attention, modality)
and returns the per-sample keys of ``results.schema.json`` as plain Python data.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from captum.attr import IntegratedGradients, LayerIntegratedGradients
from captum.attr._utils.approximation_methods import approximation_parameters

from reportgen.aggregate import ig_flagged, ig_relative_delta
from reportgen.attention import encode_with_attention, summarise_attention
from reportgen.errors import ReportgenError
from reportgen.model import MMTD, MMTDConfig, spam_log_odds
from reportgen.modality import ig_modality_split, modality_contributions, shapley_from_hidden

#: Captum's quadrature rules that reportgen accepts for ``ig_method``.
IG_METHODS = ("gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle")
#: Image baselines: a blank white page (default: e-mails are dark text on white), black, blurred.
IMAGE_BASELINES = ("white", "black", "blur")
#: Gauss-Legendre nodes per sample by default; see :class:`ExplainOptions`.
DEFAULT_IG_STEPS = 16
#: Activation memory the automatic ``internal_batch_size`` may use (bytes). With the ~1.1 GB of
#: full-size weights and the interpreter this keeps one sample's IG well under 6 GB of RSS.
DEFAULT_MEMORY_BUDGET = 3 * 1024**3


@dataclass
class ExplainOptions:
    """Knobs of the per-sample explanation.

    Attributes:
        ig_steps: quadrature points of Integrated Gradients (one forward+backward each). 16
            Gauss-Legendre nodes cost 32 % of 50 Riemann steps. Measured completeness gaps: on the
            full-size random-weight model GL-2…16 stay under 4 % (16: 0.6 %) while Captum's
            ``riemann_trapezoid`` needs 32 steps (8: 11 %, 16: 6.9 %, 32: 3.0 %, 50: 2.4 %); on
            16 tiny-model cases (8 random models with a steep head x 2 e-mails) GL-16 has a median
            gap of 0.1 % and at most 2.1 % except on one sample whose output barely moves
            (|gap| 0.001, where every rule fails and the sample is flagged), Riemann-50 about 2 %
            everywhere. Captum's trapezoid weights sum to ``1 - 1/n``, which alone leaves a
            ``1/n`` gap.
        ig_method: Captum approximation method (one of :data:`IG_METHODS`).
        image_baseline: ``"white"`` (pixel 255 everywhere), ``"black"`` (pixel 0) or ``"blur"``
            (the picture under a Gaussian blur of ``blur_sigma`` input pixels, which keeps the page
            layout and colours but removes legible text).
        internal_batch_size: path points per forward+backward batch; ``None`` picks the largest
            batch whose estimated activations fit in ``memory_budget`` bytes.
        attention_layer: text encoder layer whose full attention matrix is stored (-1 = last).
        attention_head: head of that matrix (``None`` = mean over heads).
        blur_sigma: standard deviation of the ``"blur"`` baseline, in model-input pixels.
        pixel_mean: per-channel normalisation mean of the image processor (DiT: 0.5).
        pixel_std: per-channel normalisation std of the image processor (DiT: 0.5).
        memory_budget: activation bytes allowed when ``internal_batch_size`` is ``None``.
        record_path: also record f along the path (free: read off Captum's own forward passes).
    """

    ig_steps: int = DEFAULT_IG_STEPS
    ig_method: str = "gausslegendre"
    image_baseline: str = "white"
    internal_batch_size: int | None = None
    attention_layer: int = -1
    attention_head: int | None = None
    blur_sigma: float = 4.0
    pixel_mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    pixel_std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    memory_budget: int = DEFAULT_MEMORY_BUDGET
    record_path: bool = True

    def __post_init__(self) -> None:
        if self.ig_method not in IG_METHODS:
            raise ReportgenError(f"--ig-method {self.ig_method!r}: expected one of {', '.join(IG_METHODS)}")
        if self.image_baseline not in IMAGE_BASELINES:
            raise ReportgenError(
                f"--image-baseline {self.image_baseline!r}: expected one of {', '.join(IMAGE_BASELINES)}"
            )
        if int(self.ig_steps) < 2:
            raise ReportgenError(f"--ig-steps {self.ig_steps}: need at least 2 path points")
        if self.internal_batch_size is not None and int(self.internal_batch_size) < 1:
            raise ReportgenError(f"--internal-batch-size {self.internal_batch_size}: must be at least 1")
        if self.blur_sigma <= 0:
            raise ReportgenError(f"blur sigma {self.blur_sigma}: must be positive")


# -- inputs and baselines ---------------------------------------------------------------------------
def _device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def prepare_inputs(model: MMTD, encoded: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Check that ``encoded`` holds ONE sample and move it to the model's device.

    Args:
        model: the MMTD.
        encoded: ``Preprocessor.encode`` output (input_ids, attention_mask, pixel_values and
            optionally token_type_ids), batch size 1.

    Returns:
        The four tensors on the model's device (token_type_ids filled with zeros if absent).
    """
    missing = [k for k in ("input_ids", "attention_mask", "pixel_values") if k not in encoded]
    if missing:
        raise ValueError(f"encoded sample lacks {', '.join(missing)}")
    input_ids = encoded["input_ids"]
    if input_ids.dim() != 2 or input_ids.shape[0] != 1:
        raise ValueError(f"explain one sample at a time: input_ids has shape {tuple(input_ids.shape)}")
    device = _device(model)
    token_type_ids = encoded.get("token_type_ids")
    if token_type_ids is None:
        token_type_ids = torch.zeros_like(input_ids)
    return {
        "input_ids": input_ids.to(device),
        "token_type_ids": token_type_ids.to(device),
        "attention_mask": encoded["attention_mask"].to(device),
        "pixel_values": encoded["pixel_values"].to(device=device, dtype=next(model.parameters()).dtype),
    }


def text_baseline_ids(
    input_ids: torch.Tensor, attention_mask: torch.Tensor, special_ids: Mapping[str, int]
) -> torch.Tensor:
    """``[CLS] [PAD] … [PAD] [SEP] [PAD] …``: every real non-special token replaced by ``[PAD]``.

    CLS, SEP and PAD positions are kept, so the baseline has the input's length, attention mask and
    positions and only the word content is removed.

    Args:
        input_ids: ``[B, L]`` token ids.
        attention_mask: ``[B, L]`` (1 = real token).
        special_ids: ``{"cls": id, "sep": id, "pad": id}``.

    Returns:
        Baseline ids of the same shape.
    """
    for key in ("cls", "sep", "pad"):
        if key not in special_ids:
            raise ValueError(f"special_ids lacks {key!r}")
    # [PAD] ids need no keeping: they are replaced by [PAD] anyway.
    keep = (attention_mask == 0) | (input_ids == special_ids["cls"]) | (input_ids == special_ids["sep"])
    return torch.where(keep, input_ids, torch.full_like(input_ids, int(special_ids["pad"])))


def _gaussian_blur(pixel_values: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of ``[B, C, H, W]`` with reflected borders (no torchvision needed)."""
    radius = max(1, int(math.ceil(3 * sigma)))
    radius = min(radius, pixel_values.shape[-1] - 1, pixel_values.shape[-2] - 1)
    offsets = torch.arange(-radius, radius + 1, dtype=pixel_values.dtype, device=pixel_values.device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    channels = pixel_values.shape[1]
    out = torch.nn.functional.pad(pixel_values, (radius, radius, radius, radius), mode="reflect")
    out = torch.nn.functional.conv2d(out, kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1), groups=channels)
    return torch.nn.functional.conv2d(out, kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)


def image_baseline(pixel_values: torch.Tensor, options: ExplainOptions) -> torch.Tensor:
    """The image baseline in the model's normalised pixel space.

    ``white`` is raw pixel 255 and ``black`` raw pixel 0 after the processor's normalisation
    ``(x / 255 - mean) / std`` (+1.0 and -1.0 for DiT's mean = std = 0.5); ``blur`` blurs the
    normalised picture itself (normalisation is affine per channel, so this equals blurring the
    resized picture and normalising it).
    """
    mean = torch.tensor(options.pixel_mean, dtype=pixel_values.dtype, device=pixel_values.device).view(1, -1, 1, 1)
    std = torch.tensor(options.pixel_std, dtype=pixel_values.dtype, device=pixel_values.device).view(1, -1, 1, 1)
    if options.image_baseline == "white":
        return ((1.0 - mean) / std).expand_as(pixel_values).clone()
    if options.image_baseline == "black":
        return ((0.0 - mean) / std).expand_as(pixel_values).clone()
    return _gaussian_blur(pixel_values, options.blur_sigma)


def baseline_inputs(
    inputs: Mapping[str, torch.Tensor], special_ids: Mapping[str, int], options: ExplainOptions
) -> dict[str, torch.Tensor]:
    """The baseline sample: text baseline ids, the input's mask/types, and the image baseline."""
    return {
        "input_ids": text_baseline_ids(inputs["input_ids"], inputs["attention_mask"], special_ids),
        "token_type_ids": inputs["token_type_ids"],
        "attention_mask": inputs["attention_mask"],
        "pixel_values": image_baseline(inputs["pixel_values"], options),
    }


# -- memory ---------------------------------------------------------------------------------------
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


def auto_internal_batch_size(model: MMTD, inputs: Mapping[str, torch.Tensor], options: ExplainOptions) -> int:
    """Path points per batch: the explicit option, else as many as fit ``options.memory_budget``.

    The chosen size also balances the batches (20 steps with room for 8 → 7, 7, 6) so the last
    batch is not a nearly empty one.
    """
    steps = int(options.ig_steps)
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


# -- helpers --------------------------------------------------------------------------------------
@contextlib.contextmanager
def _inference_ready(model: MMTD) -> Iterator[None]:
    """Eval mode (dropout off: IG must be deterministic) and frozen weights for the duration.

    Freezing the parameters stops autograd from saving what only weight gradients would need;
    attributions need gradients w.r.t. the hooked activations alone.
    """
    was_training = model.training
    flags = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        model.train(was_training)


def _float(x: torch.Tensor | float) -> float:
    return float(x.detach().double().cpu().item()) if isinstance(x, torch.Tensor) else float(x)


# -- input-level IG -------------------------------------------------------------------------------
def integrated_gradients(
    model: MMTD,
    encoded: Mapping[str, torch.Tensor],
    special_ids: Mapping[str, int],
    options: ExplainOptions | None = None,
) -> dict[str, Any]:
    """Joint input-level Integrated Gradients of the spam log-odds for one sample.

    Args:
        model: the MMTD (any attention implementation; SDPA is fastest).
        encoded: one sample from ``Preprocessor.encode``.
        special_ids: ``{"cls", "sep", "pad"}`` token ids of the tokenizer.
        options: see :class:`ExplainOptions`.

    Returns:
        Plain data: ``n_steps``, ``method``, ``image_baseline``, ``internal_batch_size``,
        ``f_input``, ``f_baseline``, ``delta`` (Captum's convergence delta: sum of attributions
        minus ``f_input - f_baseline``), ``relative_delta``, ``flagged`` (relative_delta > 5 %),
        ``path`` (``alphas`` and ``f`` at the quadrature points), ``text_total``/``image_total``
        (signed sums per modality), ``token_scores`` (one per real token, [CLS]/[SEP] included,
        summed over the embedding dimension) and ``image_scores`` (rows of the patch grid, summed
        over the hidden dimension).
    """
    options = options or ExplainOptions()
    inputs = prepare_inputs(model, encoded)
    baseline = baseline_inputs(inputs, special_ids, options)
    batch_size = auto_internal_batch_size(model, inputs, options)
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
    with _inference_ready(model), warnings.catch_warnings():
        # Captum warns that hooked layers must not depend on each other; these two are the
        # first layers of two separate encoders.
        warnings.filterwarnings("ignore", message="Multiple layers provided")
        lig = LayerIntegratedGradients(forward, layers)
        (text_attr, image_attr), delta = lig.attribute(
            inputs=(inputs["input_ids"], inputs["pixel_values"]),
            baselines=(baseline["input_ids"], baseline["pixel_values"]),
            additional_forward_args=(inputs["token_type_ids"], inputs["attention_mask"]),
            n_steps=int(options.ig_steps),
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
    _, alphas_fn = approximation_parameters(options.ig_method)
    alphas = [float(a) for a in alphas_fn(int(options.ig_steps))]
    f_path = torch.cat(path_f).double().cpu().tolist() if path_f else []
    if len(f_path) != len(alphas):  # a Captum change would break the read-off; say so, never guess
        raise RuntimeError(f"recorded {len(f_path)} path values for {len(alphas)} IG steps")
    return {
        "n_steps": int(options.ig_steps),
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


def _stack(*samples: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: torch.cat([s[k] for s in samples], dim=0) for k in samples[0]}


# -- fusion-level IG ------------------------------------------------------------------------------
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


def encoder_states(model: MMTD, inputs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """The two encoders' last hidden states (what the fusion layer receives), without gradients."""
    with _inference_ready(model), torch.no_grad():
        text = model.encode_text(inputs["input_ids"], inputs["token_type_ids"], inputs["attention_mask"])
        image = model.encode_image(inputs["pixel_values"]).hidden_states[-1]
    return text.last_hidden_state, image


def shapley_modality(
    model: MMTD, inputs: Mapping[str, torch.Tensor], baseline: Mapping[str, torch.Tensor]
) -> dict[str, Any]:
    """Exact two-player Shapley values of text and image for one prepared sample and its baseline.

    The encoders run once on ``[input, baseline]``; :func:`reportgen.modality.shapley_from_hidden`
    recombines their states into the four coalitions. (:func:`explain_sample` gets the same states
    from its eager attention pass instead.)
    """
    return shapley_from_hidden(model, *encoder_states(model, _stack(inputs, baseline)))


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
        both = encoder_states(model, _stack(inputs, baseline_inputs(inputs, special_ids, options)))
        input_states = (both[0][:1], both[1][:1])
        baseline_states = (both[0][1:], both[1][1:])
    if input_states is None:
        input_states = encoder_states(model, inputs)
    if baseline_states is None:
        baseline_states = encoder_states(model, baseline_inputs(inputs, special_ids, options))

    n_text = input_states[0].shape[1]
    with _inference_ready(model):
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
        **ig_modality_split({"text": _float(text_total), "image": _float(image_total)}),
    }


# -- one sample, everything -----------------------------------------------------------------------
def explain_sample(
    model: MMTD,
    encoded: Mapping[str, torch.Tensor],
    special_ids: Mapping[str, int],
    options: ExplainOptions | None = None,
) -> dict[str, Any]:
    """All per-sample explanations the report needs, as plain Python data.

    Args:
        model: the MMTD (its attention implementation is restored afterwards).
        encoded: one sample from ``Preprocessor.encode``.
        special_ids: ``{"cls", "sep", "pad"}`` token ids.
        options: see :class:`ExplainOptions`.

    Returns:
        Exactly the schema's per-sample keys ``token_scores``, ``image_scores``,
        ``integrated_gradients``, ``attention`` and ``modality``.
    """
    options = options or ExplainOptions()
    ig = integrated_gradients(model, encoded, special_ids, options)
    token_scores = ig.pop("token_scores")
    image_scores = ig.pop("image_scores")
    inputs = prepare_inputs(model, encoded)
    baseline = baseline_inputs(inputs, special_ids, options)
    both = _stack(inputs, baseline)
    with _inference_ready(model):
        # One eager pass over [input, baseline] serves both the attention maps (of the input) and
        # the Shapley coalitions (which only recombine the two encoders' hidden states).
        text_out, image_out = encode_with_attention(model, both)
        attention = summarise_attention(
            model, text_out, image_out, both["attention_mask"], both["pixel_values"].shape[-2:], options, index=0
        )
        shapley = shapley_from_hidden(model, text_out.last_hidden_state, image_out.hidden_states[-1])
    modality = modality_contributions(ig, attention["fusion"], shapley)
    return {
        "token_scores": token_scores,
        "image_scores": image_scores,
        "integrated_gradients": ig,
        "attention": attention,
        "modality": modality,
    }
