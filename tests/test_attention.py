"""Attention maps: eager pass and restore, rollout, selected matrices, grids, fusion shares."""

from __future__ import annotations

import math

import pytest
import torch

from reportgen.explain.attention import attention_maps, eager_attention, fusion_attention, rollout
from reportgen.explain.baselines import prepare_inputs
from reportgen.options import ExplainOptions
from reportgen.errors import ReportgenError
from tests.factories import tiny_mmtd
from tests.test_attribution import WORDS, encode_sample


@pytest.fixture(scope="module")
def model():
    return tiny_mmtd(seed=2)


@pytest.fixture(scope="module")
def inputs(model):
    return prepare_inputs(model, encode_sample(WORDS))


def _implementations(model) -> tuple[str, str]:
    return model.text_encoder.config._attn_implementation, model.image_encoder.config._attn_implementation


def test_eager_pass_restores_sdpa_even_after_an_error(model, inputs):
    assert _implementations(model) == ("sdpa", "sdpa")
    attention_maps(model, inputs, ExplainOptions())
    assert _implementations(model) == ("sdpa", "sdpa")
    with pytest.raises(RuntimeError), eager_attention(model):
        assert _implementations(model) == ("eager", "eager")
        raise RuntimeError("boom")
    assert _implementations(model) == ("sdpa", "sdpa")


def test_rollout_rows_sum_to_one_and_identity_layers_change_nothing():
    generator = torch.Generator().manual_seed(0)
    layers = [torch.softmax(torch.randn(5, 5, generator=generator), dim=-1) for _ in range(3)]
    result = rollout(layers)
    assert torch.allclose(result.sum(dim=-1), torch.ones(5, dtype=result.dtype))
    assert torch.allclose(rollout([torch.eye(4), torch.eye(4)]), torch.eye(4, dtype=torch.float64))
    # One layer: half residual, half attention (Abnar & Zuidema).
    assert torch.allclose(rollout(layers[:1]), 0.5 * layers[0].double() + 0.5 * torch.eye(5, dtype=torch.float64))


def test_text_maps_cover_real_tokens_and_sum_to_one(model, inputs):
    maps = attention_maps(model, inputs, ExplainOptions())
    n_real = int(inputs["attention_mask"].sum())
    text = maps["text"]
    assert len(text["cls_rows"]) == model.config.text.num_hidden_layers
    for row in text["cls_rows"]:
        assert len(row) == n_real and math.isclose(sum(row), 1.0, abs_tol=1e-5)  # padding gets nothing
    assert len(text["rollout"]) == n_real and math.isclose(sum(text["rollout"]), 1.0, abs_tol=1e-9)
    selected = text["selected"]
    assert selected["layer"] == model.config.text.num_hidden_layers - 1 and selected["head"] == "mean"
    assert len(selected["matrix"]) == n_real and all(len(r) == n_real for r in selected["matrix"])
    assert all(math.isclose(sum(r), 1.0, abs_tol=1e-5) for r in selected["matrix"])


def test_a_chosen_layer_and_head_are_stored_and_bad_choices_are_user_errors(model, inputs):
    with eager_attention(model), torch.no_grad():
        raw = model.encode_text(inputs["input_ids"], inputs["token_type_ids"], inputs["attention_mask"],
                                output_attentions=True).attentions
    n_real = int(inputs["attention_mask"].sum())
    maps = attention_maps(model, inputs, ExplainOptions(attention_layer=0, attention_head=1))
    assert maps["text"]["selected"]["layer"] == 0 and maps["text"]["selected"]["head"] == 1
    expected = raw[0][0, 1, :n_real, :n_real]
    assert torch.allclose(torch.tensor(maps["text"]["selected"]["matrix"], dtype=expected.dtype), expected, atol=1e-6)
    with pytest.raises(ReportgenError, match="--attention-layer"):
        attention_maps(model, inputs, ExplainOptions(attention_layer=7))
    with pytest.raises(ReportgenError, match="--attention-head"):
        attention_maps(model, inputs, ExplainOptions(attention_head=9))
    assert _implementations(model) == ("sdpa", "sdpa")


def test_image_maps_are_patch_grids(model, inputs):
    maps = attention_maps(model, inputs, ExplainOptions())
    for key in ("cls_to_patches", "rollout"):
        grid = maps["image"][key]
        assert [len(row) for row in grid] == [4, 4, 4, 4]
        mass = sum(map(sum, grid))
        assert 0.0 < mass < 1.0  # the [CLS]-to-itself share is not a patch


def test_fusion_shares_are_position_0_attention_split_at_the_text_image_border(model, inputs):
    maps = attention_maps(model, inputs, ExplainOptions())
    fusion = maps["fusion"]
    assert fusion["text"] + fusion["image"] == pytest.approx(1.0, abs=1e-9)
    assert 0.0 < fusion["text_real"] <= fusion["text"]
    # Recompute the fusion layer's attention by hand from its projection weights.
    with torch.no_grad():
        text = model.encode_text(inputs["input_ids"], inputs["token_type_ids"], inputs["attention_mask"])
        image = model.encode_image(inputs["pixel_values"]).hidden_states[-1]
        x = model.fusion_input(text.last_hidden_state, image)[0]
        attn = model.multi_modality_transformer_layer.self_attn
        q, k, _ = torch.nn.functional.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
        heads, d = attn.num_heads, x.shape[-1] // attn.num_heads
        q, k = q.view(-1, heads, d).transpose(0, 1), k.view(-1, heads, d).transpose(0, 1)
        manual = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d), dim=-1).mean(dim=0)
        weights = fusion_attention(model, text.last_hidden_state, image)[0]
    assert torch.allclose(weights, manual, atol=1e-5)
    n_text = text.last_hidden_state.shape[1]
    assert fusion["text"] == pytest.approx(float(manual[0, :n_text].sum()), abs=1e-5)
