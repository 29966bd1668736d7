"""Model-randomisation sanity check: IG on a planted-signal model passes, a model-blind "explanation" fails."""

from __future__ import annotations

import random

import jsonschema
import pytest
import torch

from reportgen.analysis.sanity import (
    PASS_LIMIT, STAGES, SanityItem, ig_explainer, randomisation_check, randomise,
)
from reportgen.explain.words import merge_wordpieces
from reportgen.options import ExplainOptions
from reportgen.results.io import load_schema
from tests.planted import one_thread, trained  # noqa: F401 (fixtures)
from tests.planted import PATCH, planted_email


@pytest.fixture(scope="module")
def items(trained):
    """A text-spam, a picture-spam and a ham e-mail of the planted kind."""
    rng = random.Random(5)
    out = []
    for kind in [(True, False), (False, True), (False, False)]:
        text, picture = planted_email(rng, *kind)
        encoded = trained.preprocessor.encode([text], [picture])
        n = int(encoded["attention_mask"][0].sum())
        tokens = trained.preprocessor.tokenizer.convert_ids_to_tokens(encoded["input_ids"][0, :n].tolist())
        out.append(SanityItem(encoded, [w["tokens"] for w in merge_wordpieces(tokens, [0.0] * n)]))
    return out


def embedding_norms(model, encoded):
    """An "explanation" that ignores the model's decision: the input's own embedding and pixel norms."""
    n = int(encoded["attention_mask"][0].sum())
    words = model.text_encoder.bert.embeddings.word_embeddings.weight[encoded["input_ids"][0, :n]].norm(dim=-1)
    pixels = encoded["pixel_values"][0]
    patches = pixels.unfold(1, PATCH, PATCH).unfold(2, PATCH, PATCH).pow(2).sum(dim=(0, 3, 4)).sqrt()
    return words.tolist(), patches.flatten().tolist()


def test_integrated_gradients_pass_on_a_model_that_learnt_a_planted_signal(trained, items):
    before = {k: v.clone() for k, v in trained.model.state_dict().items()}
    result = randomisation_check(trained.model, items, ig_explainer(trained.preprocessor.special_ids, ExplainOptions()))
    assert result["passed"] is True, result["randomisation"]
    stages = result["randomisation"]
    assert [s["stage"] for s in stages] == [name for name, _ in STAGES]
    last = stages[-1]["per_sample"]
    assert all(abs(rho) < PASS_LIMIT for rho in last["text"] + last["image"] if rho is not None)
    assert result["verdicts"] == {"text": True, "image": True}
    assert sum(rho is not None for rho in last["text"] + last["image"]) >= 2  # the planted units were compared
    # the user's model keeps every weight
    assert all(torch.equal(before[k], v) for k, v in trained.model.state_dict().items())
    schema = load_schema()
    jsonschema.validate(result, {"$defs": schema["$defs"], **schema["properties"]["aggregate"]["properties"]["sanity"]})


def test_an_explanation_that_ignores_the_model_fails(trained, items):
    result = randomisation_check(trained.model, items, embedding_norms)
    assert result["passed"] is False
    for stage in result["randomisation"]:
        assert stage["text_spearman"] == pytest.approx(1.0) and stage["image_spearman"] == pytest.approx(1.0)


def test_an_explanation_that_only_flips_sign_with_the_model_fails(trained, items):
    # The input's norms times a sign the model decides: once the classifier is redrawn which way is
    # "spam" is a coin toss, so a map turned upside down is the same map, not a changed one.
    def flipping_norms(model, encoded):
        words, patches = embedding_norms(model, encoded)
        sign = 1.0 if model is trained.model else -1.0
        return [sign * v for v in words], [sign * v for v in patches]

    result = randomisation_check(trained.model, items, flipping_norms)
    assert result["randomisation"][-1]["text_spearman"] == pytest.approx(-1.0)
    assert result["verdicts"] == {"text": False, "image": False} and result["passed"] is False


def test_samples_whose_attributions_are_all_noise_are_not_compared(trained, items):
    def silent_text(model, encoded):
        words, patches = embedding_norms(model, encoded)
        return [0.0] * len(words), patches

    result = randomisation_check(trained.model, items[:1], silent_text)
    assert all(s["text_spearman"] is None and s["per_sample"]["text"] == [None] for s in result["randomisation"])
    assert result["verdicts"] == {"text": None, "image": False}
    assert result["passed"] is False  # judged on the patches alone


def test_randomisation_is_seeded_and_keeps_each_tensors_scale(trained):
    import copy

    first, second = copy.deepcopy(trained.model), copy.deepcopy(trained.model)
    randomise([first.classifier, first.multi_modality_transformer_layer], seed=3)
    randomise([second.classifier, second.multi_modality_transformer_layer], seed=3)
    assert torch.equal(first.classifier.weight, second.classifier.weight)
    original = trained.model.multi_modality_transformer_layer.linear1.weight
    redrawn = first.multi_modality_transformer_layer.linear1.weight
    assert not torch.equal(original, redrawn)
    assert float(redrawn.detach().std()) == pytest.approx(float(original.detach().std()), rel=0.1)
    assert torch.equal(first.pooler[0].weight, trained.model.pooler[0].weight)  # not part of those stages


def test_blank_patches_are_left_out_of_the_picture_comparison(trained, items):
    """IG scores a patch equal to the baseline 0 under any model: with those zeros in both rankings, two
    unrelated patch maps look alike. Restricted to the listed (non-blank) patches, they do not."""
    n_patches = len(embedding_norms(trained.model, items[0].encoded)[1])
    inked = list(range(0, n_patches, 4))  # a quarter of the picture has ink, the rest is blank
    calls = {"n": 0}

    def unrelated_maps(model, encoded):
        # the original map and every randomised one put their ink patches in unrelated orders
        calls["n"] += 1
        rng = random.Random(calls["n"])
        patches = [0.0] * n_patches
        for i in inked:
            patches[i] = 1.0 + rng.random()
        return [0.0] * int(encoded["attention_mask"][0].sum()), patches

    item = items[1]
    everything = randomisation_check(trained.model, [SanityItem(item.encoded, item.words)], unrelated_maps)
    calls["n"] = 0
    inked_only = randomisation_check(trained.model, [SanityItem(item.encoded, item.words, patches=inked)],
                                     unrelated_maps)
    # the shared zeros make unrelated maps correlate strongly (a false "unchanged")...
    assert abs(everything["randomisation"][-1]["image_spearman"]) > PASS_LIMIT
    assert everything["verdicts"]["image"] is False
    # ...while among the inked patches they are what they are: unrelated
    assert abs(inked_only["randomisation"][-1]["image_spearman"]) < PASS_LIMIT
    assert inked_only["verdicts"]["image"] is True
