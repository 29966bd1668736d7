"""Integrated Gradients on tiny MMTDs: completeness, baselines, shapes, options, explain_sample."""

from __future__ import annotations

import copy

import jsonschema
import pytest
import torch

from benchmarks.fusion_ig import fuse_first_position, fusion_integrated_gradients
from reportgen.explain.baselines import baseline_inputs, encoder_states, image_baseline, prepare_inputs, text_baseline_ids
from reportgen.explain.ig import activation_bytes_per_step, auto_internal_batch_size, integrated_gradients
from reportgen.explain.registry import explain_sample, methods
from reportgen.options import ExplainOptions
from reportgen.errors import ReportgenError
from reportgen.mmtd.model import mmtd_base_config, spam_log_odds
from reportgen.results.io import load_schema
from tests.factories import VOCAB, tiny_mmtd
from tests.tolerances import float32_approx

SPECIAL_IDS = {"cls": VOCAB.index("[CLS]"), "sep": VOCAB.index("[SEP]"), "pad": VOCAB.index("[PAD]")}
MAX_LENGTH = 16
IMAGE_SIZE = 32  # tiny_config: 32 px, patch 8 -> a 4 x 4 grid


def encode_sample(words: list[str], seed: int = 0, max_length: int = MAX_LENGTH) -> dict[str, torch.Tensor]:
    """One encoded sample as Preprocessor.encode returns it: [CLS] words [SEP] [PAD]…, random picture."""
    ids = [SPECIAL_IDS["cls"]] + [VOCAB.index(w) for w in words] + [SPECIAL_IDS["sep"]]
    ids += [SPECIAL_IDS["pad"]] * (max_length - len(ids))
    input_ids = torch.tensor([ids])
    generator = torch.Generator().manual_seed(seed)
    return {
        "input_ids": input_ids,
        "token_type_ids": torch.zeros_like(input_ids),
        "attention_mask": (input_ids != SPECIAL_IDS["pad"]).long(),
        "pixel_values": torch.rand(1, 3, IMAGE_SIZE, IMAGE_SIZE, generator=generator) * 2 - 1,
    }


def log_odds(model, sample: dict[str, torch.Tensor]) -> float:
    with torch.no_grad():
        logits = model(sample["input_ids"], sample["token_type_ids"], sample["attention_mask"], sample["pixel_values"])
    return float(spam_log_odds(logits)[0])


WORDS = ["win", "free", "money", "un", "##believ", "##able", "!"]


def sensitive_tiny_mmtd(seed: int = 1):
    """A tiny MMTD whose log-odds move by ~0.5 between input and baseline.

    Random tiny models barely react to their inputs (gaps of 1e-3, where float32 noise is already
    a percent); a steeper classifier makes completeness measurable at the 1 % level.
    """
    model = tiny_mmtd(seed=seed)
    with torch.no_grad():
        model.classifier.weight.mul_(20.0)
    return model


@pytest.fixture(scope="module")
def model():
    return sensitive_tiny_mmtd()


@pytest.fixture(scope="module")
def sample():
    return encode_sample(WORDS)


def test_text_baseline_keeps_cls_sep_pad_and_blanks_every_word():
    ids = torch.tensor([[2, 5, 6, 3, 0, 0]])
    baseline = text_baseline_ids(ids, (ids != 0).long(), SPECIAL_IDS)
    assert baseline.tolist() == [[2, 0, 0, 3, 0, 0]]


def test_image_baselines_are_white_black_and_a_blur_of_the_picture(sample):
    pixels = sample["pixel_values"]
    white = image_baseline(pixels, ExplainOptions(image_baseline="white"))
    black = image_baseline(pixels, ExplainOptions(image_baseline="black"))
    blur = image_baseline(pixels, ExplainOptions(image_baseline="blur"))
    # DiT normalises x/255 with mean = std = 0.5: white paper is +1, black ink -1.
    assert torch.all(white == 1.0) and torch.all(black == -1.0)
    assert blur.shape == pixels.shape
    assert float(blur.std()) < 0.5 * float(pixels.std())  # the noise picture is smoothed out
    assert abs(float(blur.mean()) - float(pixels.mean())) < 0.05  # brightness kept
    constant = torch.full_like(pixels, 0.3)
    assert torch.allclose(image_baseline(constant, ExplainOptions(image_baseline="blur")), constant, atol=1e-6)


def test_attributions_add_up_to_the_change_in_spam_log_odds(model, sample):
    result = integrated_gradients(model, sample, SPECIAL_IDS, ExplainOptions(ig_steps=16))
    f_input = log_odds(model, sample)
    baseline = baseline_inputs(prepare_inputs(model, sample), SPECIAL_IDS, ExplainOptions())
    f_baseline = log_odds(model, baseline)
    # float32 log-odds near 3 from two batch shapes: relative tolerance (tests/tolerances.py).
    assert result["f_input"] == float32_approx(f_input)
    assert result["f_baseline"] == float32_approx(f_baseline)
    total = sum(result["token_scores"]) + sum(map(sum, result["image_scores"]))
    gap = f_input - f_baseline
    assert abs(gap) > 1e-3, "the test needs an input that differs from its baseline"
    assert total == pytest.approx(gap, rel=0.01)  # completeness within 1 %
    assert result["relative_delta"] < 0.01 and result["flagged"] is False
    # Differences and sums of float32 parts are exact only to the size of the log-odds they come from.
    assert total - gap == float32_approx(result["delta"], scale=abs(f_input) + abs(f_baseline))
    assert result["text_total"] == float32_approx(sum(result["token_scores"]), scale=abs(f_input) + abs(f_baseline))


def test_riemann_sums_converge_more_slowly_than_gauss_legendre(model, sample):
    def gap(method: str, steps: int) -> float:
        options = ExplainOptions(ig_steps=steps, ig_max_steps=steps, ig_method=method)  # one fixed count
        return integrated_gradients(model, sample, SPECIAL_IDS, options)["relative_delta"]

    riemann_16, riemann_64 = gap("riemann_trapezoid", 16), gap("riemann_trapezoid", 64)
    assert riemann_64 < riemann_16  # more steps, smaller completeness gap
    assert gap("gausslegendre", 16) < riemann_64  # 16 Gauss-Legendre nodes beat 64 Riemann steps


def test_scores_cover_real_tokens_and_the_patch_grid(model, sample):
    result = integrated_gradients(model, sample, SPECIAL_IDS, ExplainOptions(ig_steps=8))
    n_real = int(sample["attention_mask"].sum())
    assert len(result["token_scores"]) == n_real == len(WORDS) + 2
    # [CLS] and [SEP] are identical in input and baseline, so they get nothing.
    assert result["token_scores"][0] == 0.0 and result["token_scores"][-1] == 0.0
    assert [len(row) for row in result["image_scores"]] == [4, 4, 4, 4]
    assert all(isinstance(v, float) for v in result["token_scores"])


def test_path_records_the_integrand_at_the_quadrature_points(model, sample):
    result = integrated_gradients(model, sample, SPECIAL_IDS,
                                  ExplainOptions(ig_steps=6, ig_max_steps=6, ig_method="riemann_trapezoid",
                                                 internal_batch_size=4))
    path = result["path"]
    assert len(path["alphas"]) == len(path["f"]) == 6
    assert path["alphas"][0] == 0.0 and path["alphas"][-1] == pytest.approx(1.0)
    # Trapezoid nodes include both ends: the path starts at the baseline and ends at the input.
    assert path["f"][0] == float32_approx(result["f_baseline"])
    assert path["f"][-1] == float32_approx(result["f_input"])


def test_internal_batching_does_not_change_the_attributions(model, sample):
    one_batch = integrated_gradients(model, sample, SPECIAL_IDS, ExplainOptions(ig_steps=10, internal_batch_size=10))
    batched = integrated_gradients(model, sample, SPECIAL_IDS, ExplainOptions(ig_steps=10, internal_batch_size=3))
    assert batched["internal_batch_size"] == 3
    # Was abs=1e-6, which failed on a 2-core AMD EPYC (2.9e-6 on log-odds near 3): batch shapes change
    # the float32 summation order, so compare relative to the log-odds the scores decompose.
    log_odds_size = max(abs(f) for f in one_batch["path"]["f"])
    assert batched["token_scores"] == float32_approx(one_batch["token_scores"], scale=log_odds_size)
    assert batched["path"]["f"] == float32_approx(one_batch["path"]["f"])


def test_automatic_batch_keeps_a_full_size_sample_within_the_memory_budget():
    config = mmtd_base_config()
    per_step = activation_bytes_per_step(config, 256, 197)
    assert 0.2 * 1024**3 < per_step < 0.8 * 1024**3  # about a third of a GB per path point

    class Shell:  # auto_internal_batch_size only reads the config and the parameter dtype
        def __init__(self):
            self.config = config
            self.weight = torch.nn.Parameter(torch.zeros(1))

        def parameters(self):
            return iter([self.weight])

    inputs = {"input_ids": torch.zeros(1, 256, dtype=torch.long), "pixel_values": torch.zeros(1, 3, 224, 224)}
    options = ExplainOptions(ig_steps=16)
    size = auto_internal_batch_size(Shell(), inputs, options)
    assert 2 <= size <= 16
    assert size * per_step <= options.memory_budget
    # Balanced batches: no nearly empty last batch.
    assert 16 % size == 0 or 16 % size >= size // 2


def test_bad_options_are_one_line_user_errors():
    with pytest.raises(ReportgenError, match="--ig-method"):
        ExplainOptions(ig_method="simpson")
    with pytest.raises(ReportgenError, match="--image-baseline"):
        ExplainOptions(image_baseline="grey")
    with pytest.raises(ReportgenError, match="--ig-steps"):
        ExplainOptions(ig_steps=1)


def test_more_than_one_sample_is_refused(model, sample):
    two = {k: torch.cat([v, v]) for k, v in sample.items()}
    with pytest.raises(ValueError, match="one sample"):
        integrated_gradients(model, two, SPECIAL_IDS)


def test_fusion_level_ig_is_complete_and_shares_the_endpoints(model, sample):
    options = ExplainOptions(ig_steps=16)
    fusion = fusion_integrated_gradients(model, sample, SPECIAL_IDS, options)
    full = integrated_gradients(model, sample, SPECIAL_IDS, options)
    assert fusion["level"] == "fusion"
    assert fusion["f_input"] == float32_approx(full["f_input"])
    assert fusion["f_baseline"] == float32_approx(full["f_baseline"])
    assert fusion["text"] + fusion["image"] == pytest.approx(fusion["f_input"] - fusion["f_baseline"], rel=0.01)
    assert 0.0 <= fusion["text_share"] <= 1.0


@pytest.mark.parametrize("norm_first", [False, True])
def test_position_0_fusion_gives_the_models_logits(sample, norm_first):
    model = sensitive_tiny_mmtd()
    model.multi_modality_transformer_layer.norm_first = norm_first
    inputs = prepare_inputs(model, sample)
    text, image = encoder_states(model, inputs)
    with torch.no_grad():
        assert torch.allclose(fuse_first_position(model, text, image), model.fuse(text, image), atol=1e-5)


def test_fusion_level_ig_over_keys_and_values_equals_ig_over_the_hidden_states(model, sample):
    from captum.attr import IntegratedGradients

    from benchmarks.fusion_ig import _fusion_key_values, _head_from_key_values

    inputs = prepare_inputs(model, sample)
    states = encoder_states(model, inputs)
    base_states = encoder_states(model, baseline_inputs(inputs, SPECIAL_IDS, ExplainOptions()))
    with torch.no_grad():
        logits = _head_from_key_values(model, *_fusion_key_values(model, *states))
        assert torch.allclose(logits, model.fuse(*states), atol=1e-5)
    # The reference: plain IG over the two hidden states through the model's own fuse.
    reference = IntegratedGradients(lambda t, i: spam_log_odds(model.fuse(t, i))).attribute(
        states, baselines=base_states, n_steps=8, method="gausslegendre")
    ours = fusion_integrated_gradients(model, sample, SPECIAL_IDS, ExplainOptions(ig_steps=8),
                                       input_states=states, baseline_states=base_states)
    size = abs(float(reference[0].sum())) + abs(float(reference[1].sum()))
    assert ours["text"] == float32_approx(float(reference[0].sum()), scale=size)
    assert ours["image"] == float32_approx(float(reference[1].sum()), scale=size)


def test_fusion_level_ig_can_reuse_encoder_states(model, sample):
    options = ExplainOptions(ig_steps=8)
    inputs = prepare_inputs(model, sample)
    states = encoder_states(model, inputs)
    base_states = encoder_states(model, baseline_inputs(inputs, SPECIAL_IDS, options))
    fresh = fusion_integrated_gradients(model, sample, SPECIAL_IDS, options)
    reused = fusion_integrated_gradients(model, sample, SPECIAL_IDS, options,
                                         input_states=states, baseline_states=base_states)
    size = abs(fresh["text"]) + abs(fresh["image"])
    assert reused["text"] == float32_approx(fresh["text"], scale=size)
    assert reused["image"] == float32_approx(fresh["image"], scale=size)


def test_explain_sample_gives_the_schema_keys_and_leaves_the_model_as_it_was(model, sample):
    before = copy.deepcopy(model.state_dict())
    flags = [p.requires_grad for p in model.parameters()]
    explanation = explain_sample(model, sample, SPECIAL_IDS, ExplainOptions(ig_steps=8))
    # every default method's declared keys, and nothing else (so a new method needs no edit here)
    assert set(explanation) == {key for method in methods().values() if method.default for key in method.produces}
    assert {"token_scores", "image_scores", "integrated_gradients", "attention", "modality"} <= set(explanation)
    assert model.text_encoder.config._attn_implementation == "sdpa"
    assert model.image_encoder.config._attn_implementation == "sdpa"
    assert [p.requires_grad for p in model.parameters()] == flags
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    # The Shapley coalitions use the IG baselines, so their end points coincide.
    shapley = explanation["modality"]["shapley"]
    ig = explanation["integrated_gradients"]
    assert shapley["f_full"] == pytest.approx(ig["f_input"], abs=1e-4)
    assert shapley["f_none"] == pytest.approx(ig["f_baseline"], abs=1e-4)

    schema = load_schema()
    item = {
        "row": 0, "label": 1, "prediction": 1, "probabilities": {"ham": 0.4, "spam": 0.6}, "text": "x",
        "tokens": ["[CLS]"] + WORDS + ["[SEP]"], "words": [], **explanation,
    }
    validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/sample"})
    errors = [e.message for e in validator.iter_errors(item)]
    assert errors == []
