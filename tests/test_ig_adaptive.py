"""Converged Integrated Gradients by default: steps double until the completeness gap is small."""

from __future__ import annotations

import pytest
import torch

from reportgen.explain.ig import integrated_gradients, path_alphas, step_schedule
from reportgen.options import IG_METHODS, ExplainOptions
from tests.factories import tiny_mmtd
from tests.test_attribution import SPECIAL_IDS, WORDS, encode_sample


def sharp_tiny_mmtd():
    """A tiny MMTD whose output changes abruptly along the IG path.

    Embeddings 300x larger than usual make the first stretch of the path (where the input's
    embedding overtakes the position embedding inside BERT's/BEiT's LayerNorm) almost a step: 16
    Gauss-Legendre nodes miss the score change by ~100 %, 64 catch it within 5 %.
    """
    model = tiny_mmtd(seed=2)
    with torch.no_grad():
        model.text_encoder.bert.embeddings.word_embeddings.weight.mul_(300.0)
        model.image_encoder.beit.embeddings.patch_embeddings.projection.weight.mul_(300.0)
        model.classifier.weight.mul_(20.0)
    return model


@pytest.fixture(scope="module")
def sharp():
    return sharp_tiny_mmtd(), encode_sample(WORDS, seed=1)


def test_adaptive_steps_converge_where_sixteen_do_not(sharp):
    model, sample = sharp
    fixed = integrated_gradients(model, sample, SPECIAL_IDS, ExplainOptions(ig_steps=16, ig_max_steps=16))
    assert fixed["flagged"] is True and fixed["relative_delta"] > 0.05  # the case the default must fix
    adaptive = integrated_gradients(model, sample, SPECIAL_IDS, ExplainOptions())  # the defaults: 16 … 256
    assert adaptive["converged"] is True and adaptive["flagged"] is False
    assert adaptive["relative_delta"] <= 0.05
    assert adaptive["n_steps"] > 16
    steps = [a["n_steps"] for a in adaptive["attempts"]]
    assert steps == [16 * 2**i for i in range(len(steps))] and steps[-1] == adaptive["n_steps"]
    assert all(a["relative_delta"] > 0.05 for a in adaptive["attempts"][:-1])
    # The attributions of the returned try add up to the score change within the 5 % limit.
    total = sum(adaptive["token_scores"]) + sum(map(sum, adaptive["image_scores"]))
    gap = adaptive["f_input"] - adaptive["f_baseline"]
    assert abs(total - gap) <= 0.05 * abs(gap)
    assert len(adaptive["path"]["alphas"]) == adaptive["n_steps"]


def test_a_sample_unconverged_at_the_cap_is_flagged(sharp):
    model, sample = sharp
    capped = integrated_gradients(model, sample, SPECIAL_IDS, ExplainOptions(ig_steps=16, ig_max_steps=32))
    assert [a["n_steps"] for a in capped["attempts"]] == [16, 32]
    assert capped["n_steps"] == 32 and capped["converged"] is False and capped["flagged"] is True


def test_step_schedule_doubles_up_to_the_cap_and_never_below_the_start():
    assert step_schedule(ExplainOptions()) == [16, 32, 64, 128, 256]
    assert step_schedule(ExplainOptions(ig_steps=20, ig_max_steps=100)) == [20, 40, 80]
    assert step_schedule(ExplainOptions(ig_steps=128, ig_max_steps=16)) == [128]


@pytest.mark.parametrize("method", IG_METHODS)
@pytest.mark.parametrize("n_steps", [2, 7, 16, 64])
def test_path_alphas_are_the_points_captum_integrates_at(method, n_steps):
    # Captum keeps this mapping private; reportgen computes it itself and checks it here.
    from captum.attr._utils.approximation_methods import approximation_parameters

    _, alphas = approximation_parameters(method)
    assert path_alphas(method, n_steps) == pytest.approx(list(alphas(n_steps)), rel=1e-12, abs=1e-15)
