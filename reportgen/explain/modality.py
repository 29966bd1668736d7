"""How much of one decision came from the text and how much from the picture: three estimators.

* **IG split** — the signed sums of the joint Integrated Gradients attributions per modality
  (:func:`ig_modality_split`). They add up to ``f(input) - f(baseline)`` up to the convergence
  delta, so each is a contribution to the spam log-odds.
* **Shapley** — the exact two-player Shapley values of "text" and "image" (:func:`shapley_from_hidden`)
  from four forward passes, a missing modality being replaced by its IG baseline:
  ``φ_text = ½[(f(T, I₀) − f(T₀, I₀)) + (f(T, I) − f(T₀, I))]`` and likewise for the image, so
  ``φ_text + φ_image == f(T, I) − f(T₀, I₀)`` exactly (efficiency).
* **Fusion attention** — the share of the fusion layer's position-0 attention (the position the
  classifier reads) on text vs image positions (:func:`attention_modality`). Descriptive only: it
  says where the fusion layer looked, not what changed the output.

Each estimate holds ``text``, ``image`` and ``text_share = |text| / (|text| + |image|)`` (``None``
when both are zero) — magnitudes, because signed contributions of the two modalities may cancel.
:func:`agreement` names the dominant modality per estimator (text when its share > 0.5, image
when < 0.5, tie at exactly 0.5) and whether all three agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from reportgen.analysis.aggregate import ESTIMATORS, text_share
from reportgen.explain.baselines import baseline_inputs, encoder_states, inference_ready, prepare_inputs, stack
from reportgen.explain.registry import Method, SampleContext
from reportgen.mmtd.model import MMTD, spam_log_odds

AGREEMENT_RULE = (
    "dominant modality per estimator: text if its text share |text|/(|text|+|image|) > 0.5, "
    "image if < 0.5, tie if = 0.5; estimators agree when they name the same dominant modality"
)


def _share(text: float, image: float) -> float | None:
    # The report's one definition of a text share (None when both contributions are zero).
    return text_share({"text": text, "image": image})


def ig_modality_split(ig: Mapping[str, Any]) -> dict[str, Any]:
    """Estimator (a): per-modality signed sums of an Integrated Gradients result.

    Args:
        ig: the dict of :func:`reportgen.explain.ig.integrated_gradients` (``text_total`` /
            ``image_total``) or of :func:`reportgen.explain.ig.fusion_integrated_gradients`
            (``text`` / ``image``).

    Returns:
        ``{"text", "image", "text_share"}``.
    """
    text = float(ig["text_total"] if "text_total" in ig else ig["text"])
    image = float(ig["image_total"] if "image_total" in ig else ig["image"])
    return {"text": text, "image": image, "text_share": _share(text, image)}


def shapley_from_hidden(model: MMTD, text_hidden: torch.Tensor, image_hidden: torch.Tensor) -> dict[str, Any]:
    """Estimator (b) from the encoders' last hidden states of ``[input, baseline]`` (batch of 2).

    The encoders see each modality separately, so the four coalitions only differ in which
    hidden states enter the fusion: the two encoder passes are shared and just the small fusion
    layer runs four times.
    """
    if text_hidden.shape[0] != 2 or image_hidden.shape[0] != 2:
        raise ValueError("shapley_from_hidden expects hidden states of [input, baseline]")
    # Coalitions in the order full, text only, image only, none (index 0 = input, 1 = baseline).
    pick_text = torch.tensor([0, 0, 1, 1], device=text_hidden.device)
    pick_image = torch.tensor([0, 1, 0, 1], device=image_hidden.device)
    with torch.no_grad():
        f = spam_log_odds(model.fuse(text_hidden[pick_text], image_hidden[pick_image])).double().cpu().tolist()
    f_full, f_text_only, f_image_only, f_none = f
    phi_text = 0.5 * ((f_text_only - f_none) + (f_full - f_image_only))
    # Written as the remainder so that efficiency holds to the last bit, not just to rounding.
    phi_image = (f_full - f_none) - phi_text
    return {
        "text": phi_text,
        "image": phi_image,
        "text_share": _share(phi_text, phi_image),
        "f_full": f_full,
        "f_none": f_none,
        "f_text_only": f_text_only,
        "f_image_only": f_image_only,
    }


def attention_modality(fusion: Mapping[str, Any]) -> dict[str, Any]:
    """Estimator (c): the fusion layer's position-0 attention mass on text vs image positions."""
    text, image = float(fusion["text"]), float(fusion["image"])
    return {"text": text, "image": image, "text_share": _share(text, image)}


def dominant_modality(text_share: float | None) -> str | None:
    """``"text"`` if share > 0.5, ``"image"`` if < 0.5, ``"tie"`` at 0.5, ``None`` if undefined."""
    if text_share is None:
        return None
    if text_share > 0.5:
        return "text"
    if text_share < 0.5:
        return "image"
    return "tie"


def agreement(estimates: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Which estimators name the same dominant modality.

    Returns:
        ``rule`` (the rule in words), ``dominant`` (per estimator), ``agree`` (all three name the
        same modality), ``majority`` (the modality named by at least two, else ``None``) and
        ``agreeing`` (the estimators naming the majority modality).
    """
    dominant = {name: dominant_modality(estimates[name].get("text_share")) for name in ESTIMATORS}
    named = [d for d in dominant.values() if d in ("text", "image")]
    majority = next((m for m in ("text", "image") if named.count(m) >= 2), None)
    return {
        "rule": AGREEMENT_RULE,
        "dominant": dominant,
        "agree": len(set(dominant.values())) == 1 and dominant["ig"] in ("text", "image"),
        "majority": majority,
        "agreeing": [name for name in ESTIMATORS if majority is not None and dominant[name] == majority],
    }


def modality_contributions(
    ig: Mapping[str, Any], fusion: Mapping[str, Any], shapley: Mapping[str, Any]
) -> dict[str, Any]:
    """The schema's ``modality`` section: the three estimators and their agreement.

    Args:
        ig: the result of :func:`reportgen.explain.ig.integrated_gradients`.
        fusion: the ``attention["fusion"]`` section of :mod:`reportgen.explain.attention`.
        shapley: the result of :func:`shapley_from_hidden`.
    """
    estimates = {
        "ig": ig_modality_split(ig),
        "shapley": dict(shapley),
        "attention": attention_modality(fusion),
    }
    return {**estimates, "agreement": agreement(estimates)}


def shapley_modality(
    model: MMTD, inputs: Mapping[str, torch.Tensor], baseline: Mapping[str, torch.Tensor]
) -> dict[str, Any]:
    """Exact two-player Shapley values of text and image for one prepared sample and its baseline.

    The encoders run once on ``[input, baseline]``; :func:`shapley_from_hidden` recombines their
    states into the four coalitions.
    """
    return shapley_from_hidden(model, *encoder_states(model, stack(inputs, baseline)))


def _explain(context: SampleContext) -> dict[str, Any]:
    model = context.model
    states = context.shared.get("encoder_states")  # the attention pass's, when it ran
    with inference_ready(model):
        if states is None:
            inputs = prepare_inputs(model, context.encoded)
            shapley = shapley_modality(model, inputs, baseline_inputs(inputs, context.special_ids, context.options))
        else:
            shapley = shapley_from_hidden(model, *states)
    ig = context.results["integrated_gradients"]
    fusion = context.results["attention"]["fusion"]
    return {"modality": modality_contributions(ig, fusion, shapley)}


METHOD = Method(
    name="modality",
    title="Modality contributions",
    produces=("modality",),
    explain=_explain,
    after=("integrated_gradients", "attention"),
)
