"""Deletion/insertion faithfulness checks: they pass for IG on a planted signal and fail for wrong attributions."""

from __future__ import annotations

import json
import random

import jsonschema
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.explain.baselines import image_baseline, prepare_inputs
from reportgen.explain.faithfulness import (
    BLANK_LEVELS, FRACTIONS, HEADLINE_FRACTION, NEGLIGIBLE, RANDOM_DRAWS, _curves, blank_patches, check,
    check_direction, image_curves, rankings,
    remove_words, summarise, text_curves, unit_count, word_spans,
)
from reportgen.explain.occlusion import input_states
from reportgen.explain.registry import SampleContext, explain_sample
from reportgen.explain.words import merge_wordpieces
from reportgen.mmtd.checkpoint import save_checkpoint
from reportgen.mmtd.model import spam_log_odds
from reportgen.options import ExplainOptions
from reportgen.results.io import load_results, load_schema
from tests.planted import one_thread, trained  # noqa: F401 (fixtures)
from tests.planted import IMAGE_SIZE, MAX_LENGTH, PATCH, planted_email


def _words(preprocessor, encoded, token_scores):
    n = int(encoded["attention_mask"][0].sum())
    tokens = preprocessor.tokenizer.convert_ids_to_tokens(encoded["input_ids"][0, :n].tolist())
    return merge_wordpieces(tokens, token_scores)


# -- word removal --------------------------------------------------------------------------------
def test_removing_a_word_retokenises_the_text_without_merging_its_neighbours(trained):
    preprocessor = trained.preprocessor
    text = "win.free unbelievable money"
    encoded = preprocessor.encode_texts([text])
    words = _words(preprocessor, encoded, [0.0] * int(encoded["attention_mask"][0].sum()))
    assert [w["text"] for w in words] == ["win", ".", "free", "unbelievable", "money"]
    real = encoded["input_ids"][0, : int(encoded["attention_mask"][0].sum())].tolist()
    spans = word_spans(preprocessor, text, real, words)
    assert [text[a:b] for a, b in spans] == ["win", ".", "free", "unbelievable", "money"]
    assert remove_words(text, spans, frozenset({1})) == "win free unbelievable money"  # not "winfree"
    assert remove_words(text, spans, frozenset({3})) == "win.free  money"
    assert remove_words(text, spans, frozenset({0, 1, 2, 3, 4})).strip() == ""
    # all three pieces of "unbelievable" go, and what is left tokenises as the remaining words
    left = preprocessor.tokenizer.tokenize(remove_words(text, spans, frozenset({3})))
    assert left == ["win", ".", "free", "money"]


def test_text_mixed_up_with_another_samples_tokens_is_refused(trained):
    preprocessor = trained.preprocessor
    encoded = preprocessor.encode_texts(["win money"])
    words = _words(preprocessor, encoded, [0.0, 0.0, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="does not tokenise"):
        word_spans(preprocessor, "hello team", encoded["input_ids"][0, :4].tolist(), words)


def test_words_cut_off_by_truncation_never_come_back_when_others_are_removed(trained):
    preprocessor = trained.preprocessor
    text = " ".join(["hello"] * 20 + ["free"])  # "free" lies beyond the 16-token truncation
    _, picture = planted_email(random.Random(0), False, False)
    encoded = preprocessor.encode([text], [picture])
    result = explain_sample(trained.model, encoded, preprocessor.special_ids, ExplainOptions(ig_steps=4),
                            ("faithfulness",), text=text, preprocessor=preprocessor)
    curves = result["faithfulness"]["text"]
    assert curves["n_units"] == MAX_LENGTH - 2
    # the unperturbed re-tokenised text is exactly the model's input...
    with torch.no_grad():
        f_input = float(spam_log_odds(trained.model(**encoded))[0])
    assert curves["f_full"] == pytest.approx(f_input, rel=1e-4)
    # ... and no removal lets the spam word in: the prediction never moves toward spam
    assert max(curves["deletion"] + curves["random_deletion"]) < 0.5


def test_unit_counts_round_half_up_and_keep_at_least_one():
    assert [unit_count(k, 7) for k in FRACTIONS] == [1, 1, 1, 3]
    assert [unit_count(k, 196) for k in FRACTIONS] == [10, 20, 39, 78]
    assert unit_count(0.4, 1) == 1


# -- blank patches -------------------------------------------------------------------------------
def test_blank_patches_are_those_indistinguishable_from_the_baseline_fill():
    pixels = torch.ones(1, 3, 16, 16)  # white in DiT's normalisation (mean = std = 0.5)
    pixels[0, :, 0:8, 8:16] = -1.0  # one black patch
    pixels[0, 0, 9, 1] = 1.0 - (BLANK_LEVELS / 255) / 0.5  # within the tolerance: still blank
    pixels[0, 1, 12, 12] = 1.0 - ((BLANK_LEVELS + 1) / 255) / 0.5  # beyond it: not blank
    white = image_baseline(pixels, ExplainOptions(image_baseline="white"))
    assert blank_patches(pixels, white, 8, (0.5, 0.5, 0.5)).tolist() == [[True, False], [True, False]]
    black = image_baseline(pixels, ExplainOptions(image_baseline="black"))
    assert blank_patches(pixels, black, 8, (0.5, 0.5, 0.5)).tolist() == [[False, True], [False, False]]


# -- the check can pass and can fail -------------------------------------------------------------
def _checks(trained, n_per_kind=3):
    """Per sample: the check for IG's ranking, the reversed ranking, IG shifted by one unit and a ranking of ties."""
    rng = random.Random(21)
    names = ("ig", "reversed", "shifted", "tied")
    outcome = {"text": {name: [] for name in names}, "image": {name: [] for name in names}}
    options = ExplainOptions(ig_steps=16)
    for kind in [(True, False), (False, True), (True, True), (False, False)] * n_per_kind:
        text, picture = planted_email(rng, *kind)
        encoded = trained.preprocessor.encode([text], [picture])
        ig = explain_sample(trained.model, encoded, trained.preprocessor.special_ids, options,
                            ("integrated_gradients",))
        context = SampleContext(trained.model, encoded, trained.preprocessor.special_ids, options)
        text_hidden, image_hidden = input_states(context)
        sign = 1 if ig["integrated_gradients"]["f_input"] > 0 else -1
        inputs = prepare_inputs(trained.model, encoded)
        fill = image_baseline(inputs["pixel_values"], options)
        words = _words(trained.preprocessor, encoded, ig["token_scores"])
        word_scores = np.array([w["score"] for w in words])
        patch_scores = np.array(ig["image_scores"])
        real = encoded["input_ids"][0, : len(ig["token_scores"])].tolist()
        variants = {"ig": (word_scores, patch_scores), "reversed": (-word_scores, -patch_scores),
                    "shifted": (np.roll(word_scores, 1), np.roll(patch_scores.reshape(-1), 1).reshape(4, 4)),
                    "tied": (np.zeros_like(word_scores), np.zeros_like(patch_scores))}
        with torch.no_grad():
            for name, (w_scores, p_scores) in variants.items():
                ranked = [dict(w, score=float(s)) for w, s in zip(words, w_scores)]
                text_result = text_curves(trained.model, trained.preprocessor, text, real, ranked, image_hidden, sign,
                                          np.random.default_rng(0))
                image_result = image_curves(trained.model, inputs["pixel_values"], fill, p_scores.tolist(),
                                            text_hidden, sign, options.pixel_std, np.random.default_rng(0))
                outcome["text"][name].append({**text_result["check"], "curves": text_result})
                outcome["image"][name].append({**image_result["check"], "curves": image_result})
    return outcome


@pytest.fixture(scope="module")
def checks(trained):
    return _checks(trained)


def _carried(checks, modality):
    """Indices of the samples where the modality carries the decision (IG's check has a verdict)."""
    return [i for i, c in enumerate(checks[modality]["ig"]) if c["passed"] is not None]


@pytest.mark.parametrize("modality", ["text", "image"])
def test_removing_the_top_ten_percent_beats_random_for_most_samples(checks, modality):
    carried = _carried(checks, modality)
    # the modality carries the decision in the samples where only it holds the planted signal
    assert len(carried) >= 3
    ig = [checks[modality]["ig"][i] for i in carried]
    assert sum(c["deletion"] > c["random_deletion"] + NEGLIGIBLE for c in ig) > len(ig) / 2, ig
    assert sum(c["passed"] is True for c in ig) > len(ig) / 2, ig


@pytest.mark.parametrize("wrong", ["reversed", "shifted"])
@pytest.mark.parametrize("modality", ["text", "image"])
def test_a_deliberately_wrong_attribution_fails_the_same_check(checks, modality, wrong):
    carried = _carried(checks, modality)
    bad = [checks[modality][wrong][i] for i in carried]
    assert sum(c["passed"] is False for c in bad) > len(bad) / 2, bad
    # What the wrong ranking claims is not borne out: removing its top units does not move the log-odds
    # its way (down for "for", up for "against") by more than random removal does. (Float32 noise of a
    # few 1e-7 is not "moving the prediction": the rule's floor applies.)
    claimed = [1.0 if c["direction"] == "for" else -1.0 for c in bad]
    assert sum(s * c["deletion"] > s * c["random_deletion"] + NEGLIGIBLE for s, c in zip(claimed, bad)) \
        < len(bad) / 2, bad


@pytest.mark.parametrize("modality", ["text", "image"])
def test_an_attribution_that_ranks_nothing_gets_the_random_curve_and_fails(checks, modality):
    # Ties are broken by the random orders themselves, not by position: a constant attribution
    # cannot pass (or fail) by the luck of where the signal sits.
    for i in _carried(checks, modality):
        tied = checks[modality]["tied"][i]
        assert tied["curves"]["deletion"] == tied["curves"]["random_deletion"]
        assert tied["curves"]["insertion"] == tied["curves"]["random_insertion"]
        assert tied["passed"] is False


def test_tied_units_are_ordered_by_each_tie_break_order_not_by_position():
    scores = [0.5, 2.0, 0.5, 0.5, -1.0]
    orders = rankings(scores, 1, [[4, 3, 2, 1, 0], [0, 1, 2, 3, 4]])
    assert orders == [[1, 3, 2, 0, 4], [1, 0, 2, 3, 4]]
    # toward ham (sign -1) the most negative leads; the tie keeps each tie-break's order
    assert rankings(scores, -1, [[3, 0, 2, 1, 4]]) == [[4, 3, 0, 2, 1]]
    # without ties every tie-break gives the same ranking
    assert rankings([3.0, 1.0, 2.0], 1, [[0, 1, 2], [2, 1, 0]]) == [[0, 2, 1]] * 2


def _additive_curves(effects, scores, sign, f_full):
    """``_curves`` on a model whose log-odds are f_full minus the true effects of the removed units."""
    effects = np.asarray(effects, dtype=float)

    def evaluate(variants):
        return [f_full - float(effects[sorted(removed)].sum()) if removed else f_full for removed in variants]

    return _curves(scores, np.random.default_rng(0), evaluate, sign)


def test_a_modality_that_only_pushes_against_the_decision_is_checked_on_that_claim():
    # A ham decision (log-odds -3) whose 20 patches only push toward spam, as the demo's newsletters with
    # a loud sale banner: the faithful explanation names no evidence for ham in the picture, so its
    # "top 10 % toward ham" are patches scored 0 whose removal changes nothing. The check tests its
    # actual claim instead: removing the strongest spam patches raises the ham log-odds, more than random.
    effects = [0.0] * 10 + [0.05 * i for i in range(1, 11)]
    faithful = _additive_curves(effects, effects, -1, -3.0)["check"]
    assert faithful["direction"] == "against" and faithful["passed"] is True
    assert faithful["deletion"] == pytest.approx(-(0.5 + 0.45))  # the two strongest spam patches gone: ham +0.95
    # The reversed explanation claims the picture pushes toward ham: tested "for", and it fails.
    reversed_ = _additive_curves(effects, [-e for e in effects], -1, -3.0)["check"]
    assert reversed_["direction"] == "for" and reversed_["passed"] is False
    # An explanation that names nothing either way ranks at random and fails.
    nothing = _additive_curves(effects, [0.0] * 20, -1, -3.0)["check"]
    assert nothing["direction"] == "for" and nothing["passed"] is False
    # Evidence for the decision present: the usual direction, whatever the other units do.
    mixed = _additive_curves([-1.0, -0.5] + effects[2:], [-1.0, -0.5] + effects[2:], -1, -3.0)["check"]
    assert mixed["direction"] == "for" and mixed["passed"] is True


def test_direction_is_for_unless_the_top_units_name_no_evidence_for_the_decision():
    draws = [list(range(10))]
    assert check_direction([1.0] * 10, 1, 1, draws) == "for"
    assert check_direction([-1.0] * 10, 1, 1, draws) == "against"
    assert check_direction([0.0] * 10, 1, 1, draws) == "for"  # no claim either way: nothing to turn round
    assert check_direction([0.004] + [-1.0] * 9, 1, 1, draws) == "against"  # 0.004 toward it is below the floor
    assert check(-0.5, 0.1, 0.2, "against") is True and check(0.5, 0.1, 0.2, "against") is False
    assert check(-0.5, 0.1, 0.005, "against") is None  # no verdict whatever the direction


def test_curves_compare_with_the_mean_of_the_random_draws_and_validate(trained):
    text, picture = planted_email(random.Random(8), True, False)
    encoded = trained.preprocessor.encode([text], [picture])
    result = explain_sample(trained.model, encoded, trained.preprocessor.special_ids, ExplainOptions(ig_steps=8),
                            ("faithfulness",), text=text, preprocessor=trained.preprocessor)
    block = result["faithfulness"]
    schema = load_schema()
    jsonschema.validate(block, {"$defs": schema["$defs"], **schema["$defs"]["sample"]["properties"]["faithfulness"]})
    assert block["predicted"] == "spam"
    curves = block["text"]
    assert curves["fractions"] == list(FRACTIONS) and len(curves["random_deletion"]) == len(FRACTIONS)
    assert curves["aopc"] == pytest.approx(np.mean(curves["deletion"]))
    assert curves["aopc_random"] == pytest.approx(np.mean(curves["random_deletion"]))
    # with every word gone the drop is the whole text effect, which the top word alone already gives
    total = curves["f_full"] - curves["f_none"]
    assert curves["deletion"][0] == pytest.approx(total, rel=0.05)
    assert curves["insertion"][0] == pytest.approx(total, rel=0.05)
    assert curves["aopc"] > curves["aopc_random"] + 1.0


def test_switched_off_faithfulness_does_not_run():
    from reportgen.explain.registry import methods

    method = methods()["faithfulness"]
    assert method.enabled(ExplainOptions()) and not method.enabled(ExplainOptions(faithfulness=False))


def test_summary_counts_verdicts_and_averages_curves():
    def block(deletion, random_deletion, passed):
        return {"deletion": deletion, "random_deletion": random_deletion, "insertion": deletion,
                "random_insertion": random_deletion, "aopc": float(np.mean(deletion)),
                "aopc_random": float(np.mean(random_deletion)), "check": {"passed": passed}}

    samples = [
        {"faithfulness": {"text": block([2, 2, 3, 4], [0, 0.2, 0.5, 1], True), "image": None}},
        {"faithfulness": {"text": block([0, 0, 0, 1], [0, 0.2, 0.5, 1], False), "image": None}},
        {"faithfulness": {"text": block([0, 0, 0, 0], [0, 0, 0, 0], None), "image": None}},
        {"row": 4},  # no faithfulness block (e.g. explained before the check existed)
    ]
    summary = summarise(samples)
    assert summary["text"]["n"] == 3 and summary["text"]["passed"] == 1 and summary["text"]["failed"] == 1
    assert summary["text"]["deletion"] == pytest.approx([2 / 3, 2 / 3, 1, 5 / 3])
    assert HEADLINE_FRACTION == FRACTIONS[1]
    assert summary["text"]["ratio"] == pytest.approx((2 / 3) / (0.4 / 3))  # mean top 10 % vs mean random 10 %
    assert summary["image"] is None
    assert summarise([{"row": 1}]) is None


# -- end to end ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def edp_world(trained, tmp_path_factory):
    """The planted model as an original-layout checkpoint and an 8-row EDP folder of planted e-mails."""
    import pandas as pd

    root = tmp_path_factory.mktemp("faithful")
    (root / "pics").mkdir()
    rng = random.Random(31)
    rows = []
    for i, kind in enumerate([(True, False), (False, True), (True, True), (False, False)] * 2):
        text, picture = planted_email(rng, *kind)
        picture.save(root / "pics" / f"{i}.png")
        rows.append({"texts": text, "pics": f"{i}.png", "labels": int(kind[0] or kind[1])})
    pd.DataFrame(rows).to_csv(root / "EDP.csv", index=False)
    checkpoint = save_checkpoint(trained.model, root / "checkpoint-1")
    heads = root / "heads.json"
    model = trained.model
    heads.write_text(json.dumps({"text": {"num_attention_heads": model.config.text.num_attention_heads},
                                 "image": {"num_attention_heads": model.config.image.num_attention_heads},
                                 "fusion_heads": model.config.fusion_heads}))
    trained.preprocessor.tokenizer.save_pretrained(str(root / "tok"))
    return root, checkpoint.parent, heads


def _analyze(edp_world, out, *extra):
    root, checkpoint, heads = edp_world
    args = ["analyze", "--checkpoint", str(checkpoint), "--model-config", str(heads), "--tokenizer", str(root / "tok"),
            "--max-length", str(MAX_LENGTH), "--device", "cpu", "--data", str(root / "EDP.csv"),
            "--images", str(root / "pics"), "--out", str(out), "--no-progress", "--ig-steps", "8",
            "--deterministic", *extra]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return load_results(out / "results.json")  # validates against the schema


def test_analyze_checks_every_explained_sample_by_default(edp_world, tmp_path):
    results = _analyze(edp_world, tmp_path / "out", "--samples", "3:1")
    assert IMAGE_SIZE // PATCH == 4
    samples = results["samples"]
    assert len(samples) == 4
    for sample in samples:
        assert set(sample["faithfulness"]) == {"predicted", "text", "image"}
        assert len(sample["occlusion"]["word_scores"]) == len(sample["words"])
        assert sample["occlusion"]["agreement"]["image"]["n"] == 16
    summary = results["aggregate"]["faithfulness"]
    for modality in ("text", "image"):
        assert summary[modality]["passed"] > summary[modality]["failed"]
    sanity = results["aggregate"]["sanity"]
    # checked on the two samples with the most attribution: they carry a planted signal each, so the words are
    # compared. Whether they pass is one seed's draw here (one planted word among ~10 near-zero ones: their order
    # is arbitrary, see test_sanity.py, which judges IG over several seeds); `passed` follows the verdicts.
    assert sanity["n_samples"] == 2 and sanity["verdicts"]["text"] is not None, sanity["randomisation"][-1]
    assert sanity["passed"] is all(v for v in sanity["verdicts"].values() if v is not None)
    compared = sanity["randomisation"][-1]["per_sample"]
    assert compared["text"][0] is not None or compared["image"][0] is not None
    assert [s["stage"] for s in sanity["randomisation"]] == ["classifier", "pooler", "fusion layer",
                                                             "top encoder layer", "all encoder layers", "embeddings"]
    methods = results["methods"]
    assert methods["faithfulness"]["random_draws"] == RANDOM_DRAWS
    assert methods["faithfulness"]["fractions"] == list(FRACTIONS)
    assert methods["occlusion"]["patch_fill"].endswith("(white)") and methods["sanity"]["samples"].startswith("the 2 ")
    assert results["generator"]["options"]["faithfulness"] is True


def test_no_faithfulness_and_no_sanity_samples_leave_the_checks_out(edp_world, tmp_path):
    results = _analyze(edp_world, tmp_path / "out", "--samples", "1:1", "--no-faithfulness", "--sanity-samples", "0")
    assert all("faithfulness" not in s and "occlusion" not in s for s in results["samples"])
    assert "faithfulness" not in results["aggregate"] and "sanity" not in results["aggregate"]
    assert not {"faithfulness", "occlusion", "sanity"} & set(results["methods"])
    # The explanation itself is still there; adaptive IG starts at --ig-steps 8 (n_steps = steps it ended with).
    assert results["samples"][0]["integrated_gradients"]["attempts"][0]["n_steps"] == 8


def test_help_lists_the_check_options():
    output = CliRunner().invoke(main, ["analyze", "--help"]).output
    assert "--no-faithfulness" in output and "--sanity-samples" in output
