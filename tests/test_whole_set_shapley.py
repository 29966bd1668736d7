"""Whole-set Shapley: the exact text/picture split of every predicted e-mail, from the prediction pass."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from reportgen.analysis.aggregate import aggregate
from reportgen.analysis.pipeline import _prediction_records
from reportgen.analysis.predict import PREDICTION_COLUMNS, SHAPLEY_COLUMNS, predict
from reportgen.explain.baselines import baseline_inputs, prepare_inputs
from reportgen.explain.modality import shapley_modality
from reportgen.mmtd.edp import load_edp
from reportgen.mmtd.preprocessing import load_preprocessor
from reportgen.options import ExplainOptions
from tests.edp import write_edp
from tests.factories import write_cased_tokenizer
from tests.test_attribution import sensitive_tiny_mmtd
from tests.test_modality import OneModalityMMTD
from tests.tolerances import FLOAT32_REL, float32_approx

MAX_LENGTH = 24


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapley")
    # Texts of different lengths, so rows need different text baselines (and some share one).
    texts = ["win money now", "hello team", "free prize offer now click", "lunch", "win free money", "report",
             "cheap pills here now", "meeting tomorrow", "click here", "thanks team", "prize", "invoice attached"]
    csv, pics = write_edp(root / "edp", n=len(texts), texts=texts)
    return csv, pics, write_cased_tokenizer(root / "tok")


def _predict(model, folder, options=ExplainOptions(), batch_size=5):
    csv, pics, tok = folder
    pre = load_preprocessor(str(tok), None, image_size=32, max_length=MAX_LENGTH)
    data = load_edp(csv, pics)
    return pre, data, predict(model, pre, data, batch_size=batch_size, progress=False, shapley=options)


@pytest.mark.parametrize("image_baseline", ["white", "blur"])
def test_every_row_gets_an_exact_split_that_matches_the_per_sample_one(folder, image_baseline):
    model = sensitive_tiny_mmtd()
    options = ExplainOptions(image_baseline=image_baseline)
    pre, data, frame = _predict(model, folder, options)
    assert list(frame.columns) == PREDICTION_COLUMNS + SHAPLEY_COLUMNS
    # Efficiency and the explained quantity, to float64 rounding (both are computed that way).
    f_full = frame["logit_spam"] - frame["logit_ham"]
    np.testing.assert_allclose(frame["f_full"], f_full, rtol=1e-15, atol=0)
    np.testing.assert_allclose(frame["shapley_text"] + frame["shapley_image"], frame["f_full"] - frame["f_none"],
                               rtol=1e-12, atol=1e-12)
    # The logits are the model's own prediction (Shapley does not change them).
    plain = predict(model, pre, data, batch_size=3, progress=False)
    np.testing.assert_allclose(frame[["logit_ham", "logit_spam"]], plain[["logit_ham", "logit_spam"]],
                               rtol=FLOAT32_REL)
    # Each row equals the per-sample split from four fusion passes of [input, baseline].
    for i in range(len(data)):
        encoded = pre.encode([data.texts[i]], [data.load_image(i)])
        inputs = prepare_inputs(model, encoded)
        one = shapley_modality(model, inputs, baseline_inputs(inputs, pre.special_ids, options))
        # A Shapley value is a difference of log-odds: only as exact as the log-odds themselves.
        scale = max(abs(one["f_full"]), abs(one["f_none"]))
        for column, key in (("shapley_text", "text"), ("shapley_image", "image"), ("f_none", "f_none")):
            assert frame[column][i] == float32_approx(one[key], scale=scale), (i, column)
    # The rows really differ: a split that is the same everywhere would pass the checks above too.
    assert frame["shapley_text"].std() > 1e-3 and frame["shapley_image"].std() > 1e-3


def test_results_records_carry_the_split_and_the_leading_source(folder):
    _, _, frame = _predict(sensitive_tiny_mmtd(), folder)
    records = _prediction_records(frame, ["en"] * len(frame))
    for record in records:
        split = record["shapley"]
        assert split["text"] + split["image"] == pytest.approx(split["f_full"] - split["f_none"], rel=1e-12)
        assert split["f_full"] == record["logit_spam"] - record["logit_ham"]
        assert record["leading"] in ("text", "image", "both", "none")
        assert record["language"] == "en"


@pytest.mark.parametrize("keep", ["text", "image"])
def test_a_signal_planted_in_one_modality_gets_that_headline_with_an_interval(folder, keep):
    model = OneModalityMMTD(keep)
    # Steeper, and centred so that the empty e-mail scores about 0: then what the e-mails contain
    # decides them (a tiny random model otherwise leaves most of them "decided by default").
    _, _, first = _predict(model, folder)
    with torch.no_grad():
        model.classifier.weight.mul_(10.0)
        model.classifier.bias.mul_(10.0)
        model.classifier.bias[1] -= 10.0 * float(np.median(first["f_none"]))
    _, _, frame = _predict(model, folder)
    predictions = _prediction_records(frame)
    # The ignored modality gets nothing in any row ...
    other = "image" if keep == "text" else "text"
    scale = max(max(abs(p["shapley"]["f_full"]), abs(p["shapley"]["f_none"])) for p in predictions)
    assert max(abs(p["shapley"][other]) for p in predictions) < FLOAT32_REL * scale  # float32 rounding only
    assert {p["leading"] for p in predictions} <= {keep, "none"}
    verdict = aggregate(predictions, [])["verdict"]
    assert verdict["n"] + verdict["n_decided_by_default"] == len(predictions)
    assert verdict["n"] >= 5, "the planted model must move enough e-mails for a verdict"
    # ... so the verdict names the planted modality, with an interval that is all on its side.
    assert verdict["leading"] == keep and verdict["hedged"] is False
    expected = 1.0 if keep == "text" else 0.0
    assert verdict["text_share"] == pytest.approx(expected, abs=1e-4)
    assert verdict["ci95"] == pytest.approx([expected, expected], abs=1e-4)
    words = {"text": "the text", "image": "the picture"}[keep]
    assert verdict["headline"].startswith(f"The decisions rest mostly on {words}")
    assert "95\u00a0% interval" in verdict["headline"]
    assert not math.isnan(verdict["text_share"])


def test_text_baselines_are_encoded_once_per_length(folder, monkeypatch):
    from reportgen.explain.shapley import WholeSetShapley

    model = sensitive_tiny_mmtd()
    calls: list[int] = []
    original = model.encode_text

    def counting(input_ids, *args, **kwargs):
        calls.append(len(input_ids))
        return original(input_ids, *args, **kwargs)

    monkeypatch.setattr(model, "encode_text", counting)
    pre, data, frame = _predict(model, folder, batch_size=4)
    lengths = {int(m.sum()) for m in pre.encode(data.texts, [data.load_image(i) for i in range(len(data))])[
        "attention_mask"]}
    # One text pass per batch for the e-mails, plus one row per distinct length for the baselines.
    n_batches = math.ceil(len(data) / 4)
    assert sum(calls) == len(data) + len(lengths)
    assert len(calls) <= 2 * n_batches
    assert len(frame) == len(data) and WholeSetShapley.__call__.__doc__
