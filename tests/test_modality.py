"""The three modality estimators: Shapley efficiency, one-modality models, agreement rule."""

from __future__ import annotations

import pytest
import torch

from benchmarks.fusion_ig import fusion_integrated_gradients
from reportgen.explain.baselines import baseline_inputs, prepare_inputs
from reportgen.explain.modality import agreement, ig_modality_split, shapley_modality
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
        assert modality[name]["text_share"] == pytest.approx(1.0 if keep == "text" else 0.0, abs=1e-5)
    assert modality["attention"][other] < 1e-6
    assert modality["agreement"]["dominant"] == {"ig": keep, "shapley": keep, "attention": keep}
    assert modality["agreement"]["agree"] is True
    ig_scores = explanation["token_scores"] if other == "text" else sum(explanation["image_scores"], [])
    assert max(abs(v) for v in ig_scores) < 1e-6

    fusion = fusion_integrated_gradients(model, sample, SPECIAL_IDS, ExplainOptions(ig_steps=16))
    assert abs(fusion[other]) < 1e-6 and fusion["text_share"] == pytest.approx(float(keep == "text"), abs=1e-5)


def test_ig_split_reads_input_and_fusion_level_results():
    assert ig_modality_split({"text_total": -3.0, "image_total": 1.0}) == {"text": -3.0, "image": 1.0,
                                                                          "text_share": 0.75}
    assert ig_modality_split({"text": 0.0, "image": 0.0})["text_share"] is None


def test_agreement_names_the_dominant_modality_by_text_share():
    result = agreement({"ig": {"text_share": 0.8}, "shapley": {"text_share": 0.6}, "attention": {"text_share": 0.3}})
    assert result["dominant"] == {"ig": "text", "shapley": "text", "attention": "image"}
    assert result["agree"] is False
    assert result["majority"] == "text" and result["agreeing"] == ["ig", "shapley"]
    assert "> 0.5" in result["rule"]
    tied = agreement({"ig": {"text_share": 0.5}, "shapley": {"text_share": 0.5}, "attention": {"text_share": 0.5}})
    assert tied["agree"] is False and tied["majority"] is None


def test_spam_log_odds_is_the_explained_quantity(sample):
    model = sensitive_tiny_mmtd()
    inputs = prepare_inputs(model, sample)
    with torch.no_grad():
        logits = model(inputs["input_ids"], inputs["token_type_ids"], inputs["attention_mask"], inputs["pixel_values"])
    shapley = shapley_modality(model, inputs, baseline_inputs(inputs, SPECIAL_IDS, ExplainOptions()))
    assert shapley["f_full"] == float32_approx(float(logits[0, 1] - logits[0, 0]))
    assert float(spam_log_odds(logits)[0]) == float32_approx(shapley["f_full"])
