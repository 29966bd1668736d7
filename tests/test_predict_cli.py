"""Predictions, metrics and `reportgen predict` end to end on a tiny checkpoint and EDP folder."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from reportgen.data import load_edp
from reportgen.metrics import classification_metrics
from reportgen.predict import PREDICTION_COLUMNS, predict
from reportgen.preprocessing import load_preprocessor
from tests.edp import write_edp
from tests.factories import tiny_mmtd, write_cased_tokenizer

MAX_LENGTH = 24  # tiny model has 64 positions


# -- metrics ---------------------------------------------------------------------------------------
def test_metrics_match_hand_counts_and_schema():
    import jsonschema

    from reportgen.results import load_schema

    labels = [0, 0, 0, 1, 1, 1, 1]
    preds = [0, 1, 0, 1, 1, 0, 1]
    probs = [0.1, 0.6, 0.2, 0.9, 0.8, 0.4, 0.7]
    metrics = classification_metrics(labels, preds, probs)
    jsonschema.validate(metrics, load_schema()["properties"]["metrics"])
    assert metrics["confusion_matrix"] == [[2, 1], [1, 3]]  # [[TN, FP], [FN, TP]]
    assert metrics["accuracy"] == pytest.approx(5 / 7)
    assert metrics["precision"] == pytest.approx(3 / 4)
    assert metrics["recall"] == pytest.approx(3 / 4)
    assert metrics["f1"] == pytest.approx(3 / 4)
    assert metrics["roc_auc"] == pytest.approx(11 / 12)  # one (spam 0.4 < ham 0.6) of 12 pairs out of order
    assert metrics["roc_curve"]["fpr"][0] == 0.0 and metrics["roc_curve"]["tpr"][-1] == 1.0
    json.dumps(metrics, allow_nan=False)


def test_metrics_one_class_and_no_labels():
    metrics = classification_metrics([1, 1], [0, 1], [0.3, 0.8])
    assert metrics["roc_auc"] is None and metrics["confusion_matrix"] == [[0, 0], [1, 1]]
    assert metrics["precision"] == 1.0 and metrics["recall"] == 0.5
    assert classification_metrics(None, [0, 1], [0.3, 0.8]) is None


# -- predict() -------------------------------------------------------------------------------------
@pytest.fixture()
def tiny(tmp_path):
    csv, pics = write_edp(tmp_path / "edp", n=5, texts=["win money now", "hello team", None, "free prize", "lunch"])
    tok = write_cased_tokenizer(tmp_path / "tok")
    return csv, pics, tok


def test_predict_columns_rows_and_logits_equal_direct_forward(tiny):
    csv, pics, tok = tiny
    model = tiny_mmtd(seed=1)
    pre = load_preprocessor(str(tok), None, image_size=32, max_length=MAX_LENGTH)
    data = load_edp(csv, pics, rows=[4, 0, 2])
    frame = predict(model, pre, data, batch_size=2, progress=False)
    assert list(frame.columns) == PREDICTION_COLUMNS
    assert frame["row"].tolist() == [4, 0, 2] and frame["label"].tolist() == [0, 0, 0]
    encoded = pre.encode(data.texts, [data.load_image(i) for i in range(3)])
    with torch.no_grad():
        direct = model(**encoded)
    np.testing.assert_allclose(frame[["logit_ham", "logit_spam"]].to_numpy(), direct.numpy(), atol=1e-5)
    np.testing.assert_allclose(frame["prob_spam"], torch.softmax(direct, -1)[:, 1].numpy(), atol=1e-6)
    assert frame["prediction"].tolist() == direct.argmax(-1).tolist()
    np.testing.assert_allclose(frame["prob_ham"] + frame["prob_spam"], 1.0)


def test_predict_batch_size_does_not_change_results(tiny):
    csv, pics, tok = tiny
    model = tiny_mmtd(seed=2)
    pre = load_preprocessor(str(tok), None, image_size=32, max_length=MAX_LENGTH)
    data = load_edp(csv, pics)
    one = predict(model, pre, data, batch_size=1, progress=False)
    many = predict(model, pre, data, batch_size=5, progress=False)
    np.testing.assert_allclose(one[["logit_ham", "logit_spam"]], many[["logit_ham", "logit_spam"]], atol=1e-5)


def test_predict_unlabelled_has_na_labels(tmp_path):
    csv, pics = write_edp(tmp_path / "edp", n=3, with_labels=False)
    pre = load_preprocessor(str(write_cased_tokenizer(tmp_path / "tok")), None, image_size=32, max_length=MAX_LENGTH)
    frame = predict(tiny_mmtd(), pre, load_edp(csv, pics), progress=False)
    assert frame["label"].isna().all() and len(frame) == 3
