"""How much of one decision came from the text and how much from the picture: two estimators.

* **Shapley** — the exact two-player Shapley values of "text" and "image"
  (:func:`reportgen.explain.shapley.shapley_from_hidden`), a missing modality being replaced by its
  baseline; they add up exactly to ``f(full) - f(none)``. The report's claims rest on it.
* **IG split** — the signed sums of the joint Integrated Gradients attributions per modality
  (:func:`ig_modality_split`). They add up to ``f(input) - f(baseline)`` up to the convergence gap.
  On a saturated model the straight path can hand redundant evidence to whichever modality
  saturates the output first, so IG is *compared* with Shapley, never the basis of a claim.

Fusion attention is not an estimator of contributions (it says where the fusion layer looked, not
what moved the score); it stays in the sample's ``attention.fusion``.

Each estimate holds ``text``, ``image`` (signed, log-odds), ``text_share`` (the text's share of the
push toward the predicted class, ``None`` when decided by default) and ``leading``, all by the
rules of :mod:`reportgen.claims`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from reportgen.claims import decision_text_share, ig_flagged, leading_from_share
from reportgen.explain.baselines import baseline_inputs, encoder_states, inference_ready, prepare_inputs, stack
from reportgen.explain.registry import Method, SampleContext
from reportgen.explain.shapley import shapley_from_hidden
from reportgen.mmtd.model import MMTD

AGREEMENT_RULE = (
    "Integrated Gradients agrees with Shapley when both name the same leading source (text, image, both or "
    "none) by the same rule; an e-mail whose Integrated Gradients did not converge is not compared"
)


def _claims(text: float, image: float, f_full: float, f_none: float, prediction: int) -> dict[str, Any]:
    share = decision_text_share(text, image, f_full, f_none, prediction)
    return {"text_share": share, "leading": leading_from_share(share)}


def ig_modality_split(ig: Mapping[str, Any], prediction: int) -> dict[str, Any]:
    """Per-modality signed sums of an Integrated Gradients result with their share and leading source.

    Args:
        ig: the dict of :func:`reportgen.explain.ig.integrated_gradients` (``text_total``,
            ``image_total``, ``f_input``, ``f_baseline``).
        prediction: the predicted class (1 = spam).

    Returns:
        ``{"text", "image", "text_share", "leading"}``.
    """
    text, image = float(ig["text_total"]), float(ig["image_total"])
    return {"text": text, "image": image,
            **_claims(text, image, float(ig["f_input"]), float(ig["f_baseline"]), prediction)}


def shapley_modality(
    model: MMTD, inputs: Mapping[str, torch.Tensor], baseline: Mapping[str, torch.Tensor]
) -> dict[str, Any]:
    """Exact two-player Shapley values of text and image for one prepared sample and its baseline.

    The encoders run once on ``[input, baseline]``; :func:`shapley_from_hidden` recombines their
    states into the four coalitions.
    """
    return shapley_from_hidden(model, *encoder_states(model, stack(inputs, baseline)))


def modality_contributions(ig: Mapping[str, Any], shapley: Mapping[str, Any]) -> dict[str, Any]:
    """The schema's ``modality`` section: both estimators, the leading source and their agreement.

    The predicted class is read off ``f_full`` (spam when the spam log-odds are positive, as the
    model's argmax decides).

    Args:
        ig: the result of :func:`reportgen.explain.ig.integrated_gradients`.
        shapley: the result of :func:`reportgen.explain.shapley.shapley_from_hidden`.
    """
    prediction = int(float(shapley["f_full"]) > 0)
    shap = dict(shapley)
    shap.update(_claims(shap["text"], shap["image"], shap["f_full"], shap["f_none"], prediction))
    ig_split = ig_modality_split(ig, prediction)
    converged = not bool(ig.get("flagged", ig_flagged(ig["delta"], ig["f_input"], ig["f_baseline"])))
    return {
        "shapley": shap,
        "ig": ig_split,
        "leading": shap["leading"],
        "decided_by_default": shap["text_share"] is None,
        "agreement": {
            "rule": AGREEMENT_RULE,
            "compared": converged,
            "agree": (ig_split["leading"] == shap["leading"]) if converged else None,
        },
    }


def _explain(context: SampleContext) -> dict[str, Any]:
    model = context.model
    states = context.shared.get("encoder_states")  # the attention pass's, when it ran
    with inference_ready(model):
        if states is None:
            inputs = prepare_inputs(model, context.encoded)
            shapley = shapley_modality(model, inputs, baseline_inputs(inputs, context.special_ids, context.options))
        else:
            shapley = shapley_from_hidden(model, *states)
    return {"modality": modality_contributions(context.results["integrated_gradients"], shapley)}


METHOD = Method(
    name="modality",
    title="Modality contributions",
    produces=("modality",),
    explain=_explain,
    after=("integrated_gradients", "attention"),
)
