"""Model-randomisation sanity check: IG on a planted-signal model passes, a model-blind "explanation" fails."""

from __future__ import annotations

import random
from statistics import median

import jsonschema
import pytest
import torch

from reportgen.analysis import sanity
from reportgen.analysis.sanity import (
    PASS_LIMIT, SEED, STAGES, SanityItem, cascade, describe, ig_explainer, randomisation_check, randomise, redraw,
    stage_names,
)
from reportgen.explain.words import merge_wordpieces
from reportgen.mmtd.model import MMTD, spam_log_odds
from reportgen.options import ExplainOptions
from reportgen.results.io import load_schema
from tests.factories import tiny_config
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


@pytest.fixture(scope="module")
def embedding_norms(trained):
    """An "explanation" that ignores the model it is given: the input's own embedding and pixel norms.

    The words are embedded with a frozen copy of the trained model's table, so the norms stay the input's
    even once the cascade has randomised the embeddings of the model under test.
    """
    table = trained.model.text_encoder.bert.embeddings.word_embeddings.weight.detach().clone()

    def explain(model, encoded):
        n = int(encoded["attention_mask"][0].sum())
        words = table[encoded["input_ids"][0, :n]].norm(dim=-1)
        pixels = encoded["pixel_values"][0]
        patches = pixels.unfold(1, PATCH, PATCH).unfold(2, PATCH, PATCH).pow(2).sum(dim=(0, 3, 4)).sqrt()
        return words.tolist(), patches.flatten().tolist()

    return explain


#: Randomisation seeds the planted model's check is judged over (see the test below).
SEEDS = (0, 100, 200, 300, 400, 500, 600, 700)


def test_integrated_gradients_pass_on_a_model_that_learnt_a_planted_signal(trained, items, monkeypatch):
    """On the planted model one word (one patch) carries the decision and the rest score near 0: their order is
    as good as arbitrary, and Spearman's correlation of two unrelated orders of these 10 words (16 patches) has
    a standard deviation of about 1/sqrt(n - 1) ≈ 0.3, so one seed's verdict is a draw that passes most of the
    time. IG is therefore judged over several seeds: its correlation falls toward 0 and most seeds pass, where the
    model-blind explanation below stays at 1 under every seed."""
    before = {k: v.clone() for k, v in trained.model.state_dict().items()}
    explain = ig_explainer(trained.preprocessor.special_ids, ExplainOptions())
    results = []
    for seed in SEEDS:
        monkeypatch.setattr(sanity, "SEED", seed)
        results.append(randomisation_check(trained.model, items, explain))
    for result in results:
        assert [s["stage"] for s in result["randomisation"]] == stage_names(trained.model)
        last = result["randomisation"][-1]["per_sample"]
        assert sum(rho is not None for rho in last["text"] + last["image"]) >= 2  # the planted units were compared
    assert result["randomisation"][-1]["stage"] == "embeddings"  # judged with every weight random
    final = [abs(rho) for r in results for m in ("text", "image")
             for rho in r["randomisation"][-1]["per_sample"][m] if rho is not None]
    assert median(final) < PASS_LIMIT / 2, final
    passed = [r["passed"] for r in results]
    assert passed.count(True) > len(SEEDS) / 2 and None not in passed, passed
    # the user's model keeps every weight
    assert all(torch.equal(before[k], v) for k, v in trained.model.state_dict().items())
    schema = load_schema()
    for result in results:
        jsonschema.validate(result, {"$defs": schema["$defs"],
                                     **schema["properties"]["aggregate"]["properties"]["sanity"]})


def test_an_explanation_that_ignores_the_model_fails(trained, items, embedding_norms):
    result = randomisation_check(trained.model, items, embedding_norms)
    assert result["passed"] is False and result["verdicts"] == {"text": False, "image": False}
    for stage in result["randomisation"]:
        assert stage["text_spearman"] == pytest.approx(1.0) and stage["image_spearman"] == pytest.approx(1.0)


def test_an_explanation_that_only_flips_sign_with_the_model_fails(trained, items, embedding_norms):
    # The input's norms times a sign the model decides: once the classifier is redrawn which way is
    # "spam" is a coin toss, so a map turned upside down is the same map, not a changed one.
    def flipping_norms(model, encoded):
        words, patches = embedding_norms(model, encoded)
        sign = 1.0 if model is trained.model else -1.0
        return [sign * v for v in words], [sign * v for v in patches]

    result = randomisation_check(trained.model, items, flipping_norms)
    assert result["randomisation"][-1]["text_spearman"] == pytest.approx(-1.0)
    assert result["verdicts"] == {"text": False, "image": False} and result["passed"] is False


def test_samples_whose_attributions_are_all_noise_are_not_compared(trained, items, embedding_norms):
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


def test_blank_patches_are_left_out_of_the_picture_comparison(trained, items, embedding_norms):
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


# ------------------------------------------------------------------------------------ the cascade's stages

ALL_STAGES = ["classifier", "pooler", "fusion layer", "top encoder layer", "top half of the encoder layers",
              "all encoder layers", "embeddings"]


def _as_if_trained(model: MMTD) -> MMTD:
    """Shift every parameter by seeded noise, as training would: a freshly built model has constant tensors (zero
    biases, LayerNorm scales of ones) that a redraw from their own spread leaves as they are."""
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn(parameter.shape, generator=generator) * 0.02)
    return model.eval()


def _model(text_layers: int, image_layers: int) -> MMTD:
    config = tiny_config(layers=text_layers)
    config.image.num_hidden_layers = image_layers
    torch.manual_seed(0)
    return _as_if_trained(MMTD(config))


def _inputs(model: MMTD) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(5, model.config.text.vocab_size, (1, 12), generator=generator)
    size = model.config.image.image_size
    return {"input_ids": ids, "token_type_ids": torch.zeros_like(ids), "attention_mask": torch.ones_like(ids),
            "pixel_values": torch.randn(1, 3, size, size, generator=generator)}


def _parameters_the_score_depends_on(model: MMTD) -> set[str]:
    """Names of the parameters that get a gradient of the spam log-odds (the encoders' own unused heads do not)."""
    model.zero_grad()
    spam_log_odds(model(**_inputs(model))).sum().backward()
    names = {name for name, p in model.named_parameters() if p.grad is not None and bool(p.grad.abs().sum() > 0)}
    model.zero_grad()
    return names


def _stage_parameters(model: MMTD) -> dict[str, set[str]]:
    name_of = {id(p): name for name, p in model.named_parameters()}
    return {stage: {name_of[id(p)] for p in parameters} for _, stage, parameters in cascade(model)}


def test_a_2_layer_model_skips_the_top_half_stage_that_would_repeat_the_top_layer():
    model = _model(2, 2)
    assert stage_names(model) == [s for s in ALL_STAGES if s != "top half of the encoder layers"]
    added = _stage_parameters(model)
    assert all(added.values())  # every stage run randomises something new
    assert {n.split(".layer.")[1].split(".")[0] for n in added["all encoder layers"] if ".encoder.layer." in n} \
        == {"0"}  # the top layer (1) was randomised a stage before
    assert describe(ExplainOptions(), model)["n_stages"] == 6


def _layer_indices(names: set[str], encoder: str) -> set[int]:
    marker = {"text": "text_encoder.bert.encoder.layer.", "image": "image_encoder.beit.layers."}[encoder]
    return {int(n[len(marker):].split(".")[0]) for n in names if n.startswith(marker)}


@pytest.mark.parametrize("text_layers, image_layers", [(12, 12), (12, 4)])
def test_a_deep_model_gets_every_stage_with_each_encoders_own_halves(text_layers, image_layers):
    model = _model(text_layers, image_layers)
    assert stage_names(model) == ALL_STAGES
    added = _stage_parameters(model)
    top = {"text": text_layers - 1, "image": image_layers - 1}
    for encoder, depth in (("text", text_layers), ("image", image_layers)):
        assert _layer_indices(added["top encoder layer"], encoder) == {top[encoder]}
        # the top half of each encoder by its own depth, less the top layer already randomised
        assert _layer_indices(added["top half of the encoder layers"], encoder) == set(range(depth // 2, depth - 1))
        assert _layer_indices(added["all encoder layers"], encoder) == set(range(depth // 2))
    assert {n.split(".embeddings.")[1] for n in added["embeddings"]} == {
        "word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight", "LayerNorm.weight",
        "LayerNorm.bias", "cls_token", "mask_token", "position_embeddings", "patch_embeddings.projection.weight",
        "patch_embeddings.projection.bias"}
    # no parameter is redrawn twice: the stages add disjoint sets
    assert sum(map(len, added.values())) == len(set().union(*added.values()))


def test_after_the_last_stage_every_weight_the_score_depends_on_is_random_and_the_users_model_is_untouched():
    model = _model(12, 12)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    used = _parameters_the_score_depends_on(model)
    assert any(".embeddings." in n for n in used) and "classifier.weight" in used
    snapshots = []

    def recording(randomised, encoded):
        # the check explains the original once, then the randomised copy once per stage
        snapshots.append({k: v.clone() for k, v in randomised.named_parameters()})
        return [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]

    result = randomisation_check(model, [SanityItem(_inputs(model), [[0], [1], [2]])], recording)
    assert [s["stage"] for s in result["randomisation"]] == ALL_STAGES
    last = snapshots[-1]
    unchanged = [n for n in used if float((last[n] == before[n]).float().mean()) > 0.01]
    assert unchanged == []  # every weight the spam score depends on was redrawn
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # the user's model is as it was
    # the stage before the embeddings leaves the embeddings trained: only the last stage randomises everything
    embeddings = [n for n in used if ".embeddings." in n]
    assert all(torch.equal(snapshots[-2][n], before[n]) for n in embeddings)


def test_the_cascade_is_seeded():
    first, second = _model(2, 2), _model(2, 2)
    for model in (first, second):
        for position, _, parameters in cascade(model):
            redraw(parameters, SEED + position)
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))
