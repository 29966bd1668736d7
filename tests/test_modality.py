"""The two modality estimators (Shapley, IG): Shapley efficiency, one-modality models, leading source, agreement."""

from __future__ import annotations

import pytest
import torch

from benchmarks.fusion_ig import fusion_integrated_gradients
from reportgen.explain.baselines import baseline_inputs, prepare_inputs
from reportgen.explain.modality import modality_contributions, shapley_modality
from reportgen.explain.registry import explain_sample
from reportgen.options import ExplainOptions
from reportgen.mmtd.model import MMTD, spam_log_odds
from tests.factories import tiny_config
from tests.test_attribution import SPECIAL_IDS, WORDS, encode_sample, log_odds, sensitive_tiny_mmtd
from tests.tolerances import float32_approx


class OneModalityMMTD(MMTD):
    """A tiny MMTD whose output provably depends on one modality only.

    The fusion input of the ignored modality is replaced by a constant (``0 * hidden - 10``), so no
    gradient and no coalition change can flow from it. The fusion attention is rigged so that
    position 0 gives those constant positions no weight either: queries are a constant ``10·1``
    (query weights zeroed), keys are the input itself (identity key weights), so a constant
    position scores ``-10·10·sqrt(d)`` per head against at most ±tens for a live one.
    """

    CONSTANT = -10.0

    def __init__(self, keep: str, seed: int = 0) -> None:
        torch.manual_seed(seed)
        super().__init__(tiny_config())
        self.keep = keep
        attn = self.multi_modality_transformer_layer.self_attn
        hidden = self.config.hidden_size
        with torch.no_grad():
            attn.in_proj_weight[:hidden].zero_()
            attn.in_proj_bias[:hidden].fill_(10.0)
            attn.in_proj_weight[hidden : 2 * hidden].copy_(torch.eye(hidden))
            attn.in_proj_bias[hidden : 2 * hidden].zero_()
            self.classifier.weight.mul_(20.0)  # a visible change of the log-odds, as elsewhere
        self.eval()

    def fusion_input(self, text_hidden: torch.Tensor, image_hidden: torch.Tensor) -> torch.Tensor:
        if self.keep == "text":
            image_hidden = 0.0 * image_hidden + self.CONSTANT
        else:
            text_hidden = 0.0 * text_hidden + self.CONSTANT
            image_hidden = image_hidden + 1.0
        return torch.cat([text_hidden, image_hidden], dim=1)


@pytest.fixture(scope="module")
def sample():
    return encode_sample(WORDS, seed=1)


def test_shapley_values_add_up_exactly_and_match_the_four_forward_passes(sample):
    model = sensitive_tiny_mmtd()
    inputs = prepare_inputs(model, sample)
    baseline = baseline_inputs(inputs, SPECIAL_IDS, ExplainOptions())
    shapley = shapley_modality(model, inputs, baseline)
    assert shapley["text"] + shapley["image"] == pytest.approx(shapley["f_full"] - shapley["f_none"], abs=1e-5)
    text_only = {**inputs, "pixel_values": baseline["pixel_values"]}
    image_only = {**baseline, "pixel_values": inputs["pixel_values"]}
    # float32 log-odds from a batch of four vs one: relative tolerance (tests/tolerances.py).
    assert shapley["f_full"] == float32_approx(log_odds(model, inputs))
    assert shapley["f_none"] == float32_approx(log_odds(model, baseline))
    assert shapley["f_text_only"] == float32_approx(log_odds(model, text_only))
    assert shapley["f_image_only"] == float32_approx(log_odds(model, image_only))
    phi_text = 0.5 * ((shapley["f_text_only"] - shapley["f_none"]) + (shapley["f_full"] - shapley["f_image_only"]))
    assert shapley["text"] == pytest.approx(phi_text, abs=1e-9)


@pytest.mark.parametrize("keep, other", [("text", "image"), ("image", "text")])
def test_a_modality_the_model_ignores_gets_nothing_from_any_estimator(sample, keep, other):
    model = OneModalityMMTD(keep)
    # Sanity: changing the ignored modality really does not move the output.
    changed = dict(sample)
    if keep == "text":
        changed["pixel_values"] = -sample["pixel_values"]
    else:
        changed["input_ids"] = encode_sample(["hello", "team", "meeting", "tomorrow", "lunch", "thanks", "."])["input_ids"]
    assert log_odds(model, changed) == float32_approx(log_odds(model, sample))

    explanation = explain_sample(model, sample, SPECIAL_IDS, ExplainOptions(ig_steps=16))
    modality = explanation["modality"]
    gap = abs(modality["shapley"]["f_full"] - modality["shapley"]["f_none"])
    assert gap > 0.05, "the kept modality must move the output for the test to mean anything"
    for name in ("ig", "shapley"):
        assert abs(modality[name][other]) < 1e-6 * max(1.0, gap), name
    assert "attention" not in modality  # where the fusion layer looked is no contribution estimate
    assert explanation["attention"]["fusion"][other] < 1e-6
    ig_scores = explanation["token_scores"] if other == "text" else sum(explanation["image_scores"], [])
    assert max(abs(v) for v in ig_scores) < 1e-6
    # The ignored modality is never the leading source: either the kept one leads, or nothing moved
    # the score toward the decision enough (decided by default).
    if modality["decided_by_default"]:
        assert modality["leading"] == "none" and modality["shapley"]["text_share"] is None
    else:
        assert modality["leading"] == keep
        for name in ("ig", "shapley"):
            assert modality[name]["text_share"] == pytest.approx(1.0 if keep == "text" else 0.0, abs=1e-5)
            assert modality[name]["leading"] == keep
        assert modality["agreement"]["compared"] is True and modality["agreement"]["agree"] is True

    fusion = fusion_integrated_gradients(model, sample, SPECIAL_IDS, ExplainOptions(ig_steps=16))
    assert abs(fusion[other]) < 1e-6 and fusion["text_share"] == pytest.approx(float(keep == "text"), abs=1e-5)


def _ig(text: float, image: float, f_input: float, f_baseline: float, delta: float = 0.0) -> dict:
    return {"text_total": text, "image_total": image, "f_input": f_input, "f_baseline": f_baseline, "delta": delta}


def test_a_modality_pushing_against_the_decision_is_never_the_leading_source():
    # Row-12-like ham e-mail: the picture pushes +0.4 toward spam, the text -0.9 toward ham; the
    # magnitude share would credit the picture with 31 %, the sign-aware rule credits it with nothing.
    shapley = {"text": -0.9, "image": 0.4, "f_full": -3.5, "f_none": -3.0}
    result = modality_contributions(_ig(-0.9, 0.4, -3.5, -3.0), shapley)
    assert result["leading"] == "text"
    assert result["shapley"]["text_share"] == 1.0
    # A spam decision carried by the picture while the text pulls toward ham: the picture leads.
    spam = modality_contributions(_ig(-1.0, 3.0, 1.0, -1.0), {"text": -1.0, "image": 3.0, "f_full": 1.0,
                                                              "f_none": -1.0})
    assert spam["leading"] == "image" and spam["shapley"]["text_share"] == 0.0


def test_a_push_below_the_floor_is_decided_by_default_even_when_the_parts_are_larger():
    # Row-25-like: nothing in the e-mail moved the empty e-mail's ham score (push 0.002 < 0.1).
    quiet = modality_contributions(_ig(0.001, 0.001, -2.998, -3.0), {"text": 0.001, "image": 0.001,
                                                                     "f_full": -2.998, "f_none": -3.0})
    assert quiet["decided_by_default"] is True and quiet["leading"] == "none"
    assert quiet["shapley"]["text_share"] is None
    # Row-12-like with cancelling parts: +0.031 and -0.031 leave the baseline's decision untouched.
    cancel = modality_contributions(_ig(-0.031, 0.031, -3.0, -3.0), {"text": -0.031, "image": 0.031,
                                                                     "f_full": -3.0, "f_none": -3.0})
    assert cancel["leading"] == "none" and cancel["ig"]["leading"] == "none"


def test_ig_is_compared_with_shapley_only_when_it_converged():
    shapley = {"text": 2.0, "image": 2.0, "f_full": 1.0, "f_none": -3.0}
    # IG hands the shared evidence to the picture (saturation), Shapley splits it evenly.
    disagree = modality_contributions(_ig(0.4, 3.6, 1.0, -3.0), shapley)
    assert disagree["leading"] == "both" and disagree["ig"]["leading"] == "image"
    assert disagree["agreement"]["compared"] is True and disagree["agreement"]["agree"] is False
    unconverged = modality_contributions(_ig(0.4, 3.6, 1.0, -3.0, delta=1.0), shapley)
    assert unconverged["agreement"]["compared"] is False and unconverged["agreement"]["agree"] is None


def test_spam_log_odds_is_the_explained_quantity(sample):
    model = sensitive_tiny_mmtd()
    inputs = prepare_inputs(model, sample)
    with torch.no_grad():
        logits = model(inputs["input_ids"], inputs["token_type_ids"], inputs["attention_mask"], inputs["pixel_values"])
    shapley = shapley_modality(model, inputs, baseline_inputs(inputs, SPECIAL_IDS, ExplainOptions()))
    assert shapley["f_full"] == float32_approx(float(logits[0, 1] - logits[0, 0]))
    assert float(spam_log_odds(logits)[0]) == float32_approx(shapley["f_full"])
