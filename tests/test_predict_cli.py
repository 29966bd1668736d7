"""Predictions, metrics and `reportgen predict` end to end on a tiny checkpoint and EDP folder."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from reportgen.mmtd.edp import load_edp
from reportgen.analysis.metrics import classification_metrics
from reportgen.analysis.predict import PREDICTION_COLUMNS, predict
from reportgen.mmtd.preprocessing import load_preprocessor
from tests.edp import write_edp
from tests.factories import tiny_mmtd, write_cased_tokenizer
from tests.tolerances import FLOAT32_REL

MAX_LENGTH = 24  # tiny model has 64 positions


# -- metrics ---------------------------------------------------------------------------------------
def test_metrics_match_hand_counts_and_schema():
    import jsonschema

    from reportgen.results.io import load_schema

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
    # float32 logits from other batch shapes: relative to the logits' size (tests/tolerances.py); the
    # probabilities inherit the logits' error (dp = p(1-p) dlogit), so they get the same tolerance.
    size = float(direct.abs().max())
    np.testing.assert_allclose(frame[["logit_ham", "logit_spam"]].to_numpy(), direct.numpy(), rtol=FLOAT32_REL,
                               atol=FLOAT32_REL * size)
    np.testing.assert_allclose(frame["prob_spam"], torch.softmax(direct, -1)[:, 1].numpy(), rtol=FLOAT32_REL,
                               atol=FLOAT32_REL * size)
    assert frame["prediction"].tolist() == direct.argmax(-1).tolist()
    np.testing.assert_allclose(frame["prob_ham"] + frame["prob_spam"], 1.0)


def test_predict_batch_size_and_threads_do_not_change_results(tiny):
    csv, pics, tok = tiny
    model = tiny_mmtd(seed=2)
    pre = load_preprocessor(str(tok), None, image_size=32, max_length=MAX_LENGTH)
    data = load_edp(csv, pics)
    one = predict(model, pre, data, batch_size=1, progress=False, workers=1)
    for batch_size, workers in ((5, 1), (2, 3), (1, 4)):
        other = predict(model, pre, data, batch_size=batch_size, progress=False, workers=workers)
        assert other["row"].tolist() == one["row"].tolist()
        logits = one[["logit_ham", "logit_spam"]].to_numpy()
        np.testing.assert_allclose(logits, other[["logit_ham", "logit_spam"]], rtol=FLOAT32_REL,
                                   atol=FLOAT32_REL * float(np.abs(logits).max()))


def test_picture_lost_after_loading_is_a_data_error_naming_the_row(tiny):
    from reportgen.errors import DataError

    csv, pics, tok = tiny
    pre = load_preprocessor(str(tok), None, image_size=32, max_length=MAX_LENGTH)
    data = load_edp(csv, pics)
    (pics / "3.png").unlink()
    with pytest.raises(DataError, match=r"row 3: cannot read picture .*3.png"):
        predict(tiny_mmtd(), pre, data, batch_size=1, progress=False, workers=2)


def test_predict_unlabelled_has_na_labels(tmp_path):
    csv, pics = write_edp(tmp_path / "edp", n=3, with_labels=False)
    pre = load_preprocessor(str(write_cased_tokenizer(tmp_path / "tok")), None, image_size=32, max_length=MAX_LENGTH)
    frame = predict(tiny_mmtd(), pre, load_edp(csv, pics), progress=False)
    assert frame["label"].isna().all() and len(frame) == 3


# -- reportgen predict (CLI) -----------------------------------------------------------------------
@pytest.fixture()
def project(tmp_path):
    """A tiny checkpoint-1/ (original layout), its head-count config, a tokenizer and an EDP folder."""
    from reportgen.mmtd.checkpoint import save_checkpoint

    model = tiny_mmtd(seed=3)
    save_checkpoint(model, tmp_path / "checkpoint-1", format="bin")
    # hidden 32 is not a multiple of 64: the head counts must come from a model config.
    model_config = tmp_path / "heads.json"
    model_config.write_text(json.dumps({
        "text": {"num_attention_heads": model.config.text.num_attention_heads},
        "image": {"num_attention_heads": model.config.image.num_attention_heads},
        "fusion_heads": model.config.fusion_heads,
    }))
    csv, pics = write_edp(tmp_path / "edp", n=6)
    tok = write_cased_tokenizer(tmp_path / "tok")
    args = [
        "predict", "--checkpoint", str(tmp_path / "checkpoint-1"), "--model-config", str(model_config),
        "--tokenizer", str(tok), "--max-length", str(MAX_LENGTH), "--device", "cpu", "--batch-size", "4",
        "--data", str(csv), "--images", str(pics), "--no-progress",
    ]
    return {"model": model, "args": args, "csv": csv, "pics": pics, "tok": tok, "tmp": tmp_path}


def _run(args):
    from reportgen.cli import main

    return CliRunner().invoke(main, args)


def test_cli_predict_writes_csv_whose_logits_match_the_model(project):
    out = project["tmp"] / "preds" / "p.csv"
    result = _run(project["args"] + ["--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame.columns) == PREDICTION_COLUMNS
    assert frame["row"].tolist() == list(range(6)) and frame["label"].tolist() == [0, 1] * 3
    pre = load_preprocessor(str(project["tok"]), None, image_size=32, max_length=MAX_LENGTH)
    data = load_edp(project["csv"], project["pics"])
    with torch.no_grad():
        direct = project["model"](**pre.encode(data.texts, [data.load_image(i) for i in range(6)]))
    np.testing.assert_allclose(frame[["logit_ham", "logit_spam"]].to_numpy(), direct.numpy(), atol=1e-4)
    for word in ("accuracy", "precision", "recall", "F1", "confusion matrix", "true spam"):
        assert word in result.output
    metrics = classification_metrics(frame["label"], frame["prediction"], frame["prob_spam"])
    assert f"accuracy   {metrics['accuracy']:.4f}" in result.output


def test_cli_predict_split_and_unlabelled(project, tmp_path):
    out = tmp_path / "fold.csv"
    result = _run(project["args"] + ["--split", "stratified:2/3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 2 and "stratified:2/3 (StratifiedKFold, seed 0; not MMTD's" in result.output
    csv, pics = write_edp(tmp_path / "unlabelled", n=3, with_labels=False)
    args = list(project["args"])
    args[args.index("--data") + 1], args[args.index("--images") + 1] = str(csv), str(pics)
    result = _run(args + ["--out", str(tmp_path / "u.csv")])
    assert result.exit_code == 0, result.output
    assert "metrics skipped" in result.output and pd.read_csv(tmp_path / "u.csv")["label"].isna().all()


def test_cli_skip_invalid_records_skipped_rows(project, tmp_path):
    (project["pics"] / "2.png").unlink()
    out = tmp_path / "p.csv"
    result = _run(project["args"] + ["--skip-invalid", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["row"].tolist() == [0, 1, 3, 4, 5]
    assert "skipped row 2 (2.png: missing)" in result.output


def _edit_csv(csv, **changes):
    frame = pd.read_csv(csv)
    for column, (row, value) in changes.items():
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
    frame.to_csv(csv, index=False)


@pytest.mark.parametrize(
    ("setup", "extra", "message"),
    [
        ("drop_texts", [], "no text column 'texts'"),
        ("missing_pic", [], "row 4 (4.png: missing)"),
        ("label_2", [], "row 1: label 2"),
        ("missing_pic", ["--rows", "4", "--skip-invalid"], "every selected row"),
        (None, ["--rows", "1,x"], "'x' is not a row number"),
        (None, ["--rows", "99"], "row 99 does not exist"),
        (None, ["--split", "fold:4/3"], "--split 'fold:4/3'"),
        (None, ["--split", "stratified:1/9"], "fewer than 9 folds"),
        (None, ["--split", "fold:1", "--rows", "1"], "either --split or --rows"),
        (None, ["--label-column", "y"], "no label column 'y'"),
        (None, ["--tokenizer", "no-such-tokenizer"], "pass --tokenizer FOLDER"),
        (None, ["--max-length", "100"], "--max-length 100 exceeds the checkpoint's 64 text positions"),
        ("small_vocab", [], "has 51 tokens but the checkpoint's text encoder only 40"),
        ("no_model_config", [], "cannot infer the text encoder's attention heads"),
    ],
)
def test_cli_bad_inputs_one_line_nonzero_nothing_written(project, tmp_path, setup, extra, message):
    args = list(project["args"])
    if setup == "drop_texts":
        pd.read_csv(project["csv"]).drop(columns="texts").to_csv(project["csv"], index=False)
    elif setup == "missing_pic":
        (project["pics"] / "4.png").unlink()
    elif setup == "label_2":
        _edit_csv(project["csv"], labels=(1, 2))
    elif setup == "small_vocab":  # a tokenizer bigger than the embedding table would crash mid-run
        from reportgen.mmtd.checkpoint import save_checkpoint

        save_checkpoint(tiny_mmtd(vocab_size=40), tmp_path / "small")
        args[args.index("--checkpoint") + 1] = str(tmp_path / "small")
    elif setup == "no_model_config":
        at = args.index("--model-config")
        del args[at:at + 2]
    out = tmp_path / "never" / "p.csv"
    result = _run(args + extra + ["--out", str(out)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert message in lines[0]
    assert not out.exists() and not out.parent.exists()


def test_resolve_device():
    from reportgen.inputs import resolve_device
    from reportgen.errors import ReportgenError

    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ReportgenError, match="no CUDA device"):
            resolve_device("cuda")


def test_cli_empty_selection_is_an_error(project, tmp_path):
    pd.read_csv(project["csv"]).iloc[:0].to_csv(project["csv"], index=False)
    out = tmp_path / "p.csv"
    result = _run(project["args"] + ["--out", str(out)])
    assert result.exit_code == 1 and "selection (all) is empty" in result.output
    assert not out.exists()


def test_cli_data_errors_come_before_model_loading(project, tmp_path):
    """A typo in a column or tokenizer must not cost a checkpoint load: a broken checkpoint is not reached."""
    broken = tmp_path / "broken.bin"
    broken.write_bytes(b"not a checkpoint")
    args = list(project["args"])
    args[args.index("--checkpoint") + 1] = str(broken)
    result = _run(args + ["--text-column", "body", "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 1 and "no text column 'body'" in result.output
    result = _run(args + ["--tokenizer", str(tmp_path / "none"), "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 1 and "pass --tokenizer FOLDER" in result.output


def test_cli_help_explains_every_option():
    from reportgen.cli import main

    result = CliRunner().invoke(main, ["predict", "--help"])
    assert result.exit_code == 0
    for option in ("--checkpoint", "--model-config", "--tokenizer", "--image-processor", "--max-length",
                   "--device", "--batch-size", "--data", "--images", "--text-column", "--pic-column",
                   "--label-column", "--split", "--rows", "--skip-invalid", "--seed", "--out", "--progress"):
        assert option in result.output
    assert "StratifiedKFold" in result.output


def test_cli_image_processor_of_the_wrong_size_is_refused(project, tmp_path):
    from transformers import BeitImageProcessorPil

    BeitImageProcessorPil(size={"height": 48, "width": 48}).save_pretrained(str(tmp_path / "proc48"))
    BeitImageProcessorPil(size={"shortest_edge": 32}).save_pretrained(str(tmp_path / "proc_edge"))
    for folder, made in (("proc48", "48x48 pictures"), ("proc_edge", "size depends on the input")):
        out = tmp_path / "p.csv"
        result = _run(project["args"] + ["--image-processor", str(tmp_path / folder), "--out", str(out)])
        assert result.exit_code == 1 and made in result.output and "expects 32x32" in result.output
        assert not out.exists()
