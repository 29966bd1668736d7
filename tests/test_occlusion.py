"""Occlusion (Captum) through the method registry: exact per-unit drops, agreement with IG, results.json."""

from __future__ import annotations

import random

import jsonschema
import pytest
import torch

from reportgen.explain.baselines import image_baseline
from reportgen.explain.occlusion import spearman, top_overlap
from reportgen.explain.registry import explain_sample, methods
from reportgen.mmtd.model import spam_log_odds
from reportgen.options import ExplainOptions
from reportgen.results.io import load_schema
from tests.planted import one_thread, trained  # noqa: F401 (fixtures)
from tests.planted import PATCH, SPAM_WORDS, planted_email

# float32 log-odds near 10 computed in batches of different sizes differ by ~1e-6 relative.
REL = 1e-4


def _explain(trained, text, picture, names=("occlusion",)):
    encoded = trained.preprocessor.encode([text], [picture])
    result = explain_sample(trained.model, encoded, trained.preprocessor.special_ids, ExplainOptions(ig_steps=16),
                            names, text=text, preprocessor=trained.preprocessor)
    return encoded, result


def _f(model, encoded):
    with torch.no_grad():
        return float(spam_log_odds(model(encoded["input_ids"], encoded["token_type_ids"], encoded["attention_mask"],
                                         encoded["pixel_values"]))[0])


def test_a_words_score_is_the_drop_when_all_its_pieces_become_pad(trained):
    text = "hello unbelievable team free"  # "unbelievable" is three WordPiece tokens
    _, picture = planted_email(random.Random(0), False, False)
    encoded, result = _explain(trained, text, picture)
    assert [w["text"] for w in result_words(trained, encoded)] == ["hello", "unbelievable", "team", "free"]
    special = trained.preprocessor.special_ids
    for index, word in enumerate(result_words(trained, encoded)):
        occluded = dict(encoded, input_ids=encoded["input_ids"].clone())
        occluded["input_ids"][0, word["tokens"]] = special["pad"]
        expected = _f(trained.model, encoded) - _f(trained.model, occluded)
        assert result["occlusion"]["word_scores"][index] == pytest.approx(expected, rel=REL, abs=1e-5)
    # the spam word is what the model reacts to
    scores = result["occlusion"]["word_scores"]
    assert scores.index(max(scores)) == 3 and max(scores) > 1.0


def result_words(trained, encoded):
    from reportgen.explain.words import merge_wordpieces

    n = int(encoded["attention_mask"][0].sum())
    tokens = trained.preprocessor.tokenizer.convert_ids_to_tokens(encoded["input_ids"][0, :n].tolist())
    return merge_wordpieces(tokens, [0.0] * n)


def test_a_patchs_score_is_the_drop_when_it_is_filled_with_the_ig_picture_baseline(trained):
    text, picture = planted_email(random.Random(3), False, True)
    encoded, result = _explain(trained, text, picture)
    grid = result["occlusion"]["image_scores"]
    assert len(grid) == 4 and all(len(row) == 4 for row in grid)
    fill = image_baseline(encoded["pixel_values"], ExplainOptions())
    for row, col in [(0, 0), (1, 2), (3, 3)]:
        occluded = dict(encoded, pixel_values=encoded["pixel_values"].clone())
        window = (..., slice(row * PATCH, (row + 1) * PATCH), slice(col * PATCH, (col + 1) * PATCH))
        occluded["pixel_values"][window] = fill[window]
        expected = _f(trained.model, encoded) - _f(trained.model, occluded)
        assert grid[row][col] == pytest.approx(expected, rel=REL, abs=1e-5)
    # exactly one patch holds the red square, and only filling it moves the spam decision
    flat = [v for r in grid for v in r]
    assert max(flat) > 1.0 and sorted(flat)[-2] < 0.1 * max(flat)


def test_patches_already_equal_to_the_fill_score_zero_without_a_pass_each(trained, monkeypatch):
    from PIL import ImageDraw

    from reportgen.explain.baselines import prepare_inputs
    from reportgen.explain.occlusion import patch_occlusion, unchanged_patches

    text, picture = planted_email(random.Random(3), False, True)
    ImageDraw.Draw(picture).rectangle((0, 0, 4 * PATCH - 1, 2 * PATCH - 1), fill=(255, 255, 255))  # top half white
    encoded, result = _explain(trained, text, picture)
    grid = result["occlusion"]["image_scores"]
    assert grid[0] == [0.0] * 4 and grid[1] == [0.0] * 4
    # the other patches as before: exactly the drop when filled (checked against a plain forward pass)
    fill = image_baseline(encoded["pixel_values"], ExplainOptions())
    occluded = dict(encoded, pixel_values=encoded["pixel_values"].clone())
    occluded["pixel_values"][..., 3 * PATCH:, 3 * PATCH:] = fill[..., 3 * PATCH:, 3 * PATCH:]
    assert grid[3][3] == pytest.approx(_f(trained.model, encoded) - _f(trained.model, occluded), rel=REL, abs=1e-5)
    # cost: one pass per patch to fill, one shared pass for all the white ones and the unperturbed input
    unchanged = unchanged_patches(encoded["pixel_values"], fill, PATCH)
    assert unchanged[:2].all() and int(unchanged.sum()) >= 8
    assert all(grid[r][c] == 0.0 for r in range(4) for c in range(4) if unchanged[r, c])
    rows_encoded = []
    encode_image = trained.model.encode_image
    monkeypatch.setattr(trained.model, "encode_image",
                        lambda pixels, *a, **k: rows_encoded.append(pixels.shape[0]) or encode_image(pixels, *a, **k))
    text_hidden = torch.zeros(1, 1, trained.model.config.text.hidden_size)
    with torch.no_grad():
        patch_occlusion(trained.model, prepare_inputs(trained.model, encoded), fill, text_hidden)
    assert sum(rows_encoded) == int((~unchanged).sum()) + 1 + 1


def test_occlusion_agrees_with_ig_where_the_signal_was_planted(trained):
    rng = random.Random(11)
    for text_spam, image_spam in [(True, False), (False, True)]:
        text, picture = planted_email(rng, text_spam, image_spam)
        encoded, result = _explain(trained, text, picture)
        words = result_words(trained, encoded)
        ig_words = [sum(result["token_scores"][i] for i in w["tokens"]) for w in words]
        occlusion_words = result["occlusion"]["word_scores"]
        ig_patches = [v for row in result["image_scores"] for v in row]
        occlusion_patches = [v for row in result["occlusion"]["image_scores"] for v in row]
        agreement = result["occlusion"]["agreement"]
        assert agreement["text"]["n"] == len(words) == len(occlusion_words)
        assert agreement["image"]["n"] == 16
        if text_spam:  # both methods put the planted word first
            top = max(range(len(words)), key=lambda i: occlusion_words[i])
            assert words[top]["text"] in SPAM_WORDS
            assert top == max(range(len(words)), key=lambda i: ig_words[i])
            assert agreement["text"]["top5_overlap"] >= 0.2 and agreement["text"]["spearman"] is not None
        else:  # ... or the planted patch
            top = max(range(16), key=lambda i: occlusion_patches[i])
            assert top == max(range(16), key=lambda i: ig_patches[i])
            assert agreement["image"]["top5_overlap"] >= 0.2 and agreement["image"]["spearman"] is not None


def test_occlusion_block_validates_against_the_results_schema(trained):
    text, picture = planted_email(random.Random(2), True, True)
    _, result = _explain(trained, text, picture)
    schema = load_schema()
    jsonschema.validate(result["occlusion"], {"$defs": schema["$defs"], "$ref": "#/$defs/occlusion"})
    assert "occlusion" in methods() and methods()["occlusion"].after == ("integrated_gradients",)


def test_without_a_tokenizer_words_are_left_out_and_patches_still_scored(trained):
    text, picture = planted_email(random.Random(4), False, True)
    encoded = trained.preprocessor.encode([text], [picture])
    result = explain_sample(trained.model, encoded, trained.preprocessor.special_ids, ExplainOptions(ig_steps=8),
                            ("occlusion",))
    assert result["occlusion"]["word_scores"] is None and result["occlusion"]["agreement"]["text"] is None
    assert max(v for row in result["occlusion"]["image_scores"] for v in row) > 1.0


def test_occlusion_reuses_the_attention_pass_states_with_the_same_result(trained):
    text, picture = planted_email(random.Random(5), True, False)
    _, alone = _explain(trained, text, picture)
    _, with_attention = _explain(trained, text, picture, names=("occlusion", "attention"))
    assert with_attention["occlusion"]["word_scores"] == pytest.approx(alone["occlusion"]["word_scores"],
                                                                         rel=REL, abs=1e-5)


def test_rank_agreement_is_undefined_rather_than_invented():
    assert spearman([1, 2], [2, 1]) is None  # fewer than 3 units
    assert spearman([0, 0, 0], [1, 2, 3]) is None  # a constant side has no ranking
    assert spearman([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert top_overlap([0, 0, 0], [1, 2, 3]) is None
    assert top_overlap([5, -4, 3, 2, 1, 0, 0], [1, 2, -3, 4, 5, 6, -7]) == pytest.approx(3 / 5)  # by |score|
    assert top_overlap([1, 2], [2, 1]) == 1.0  # fewer than 5 units: all of them


def test_occlusion_leaves_the_model_untouched(trained):
    before = {k: v.clone() for k, v in trained.model.state_dict().items()}
    text, picture = planted_email(random.Random(6), True, True)
    _explain(trained, text, picture)
    assert all(torch.equal(before[k], v) for k, v in trained.model.state_dict().items())
    assert not trained.model.training
