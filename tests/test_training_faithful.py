"""`reportgen predict` reads data as MMTD's training did: its own folds, missing texts as "null", the
published DiT picture processor (issue 14). References are built here the training way, by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from tests.edp import write_edp
from tests.factories import tiny_mmtd, write_cased_tokenizer

MAX_LENGTH = 24  # the tiny model has 64 text positions
IMAGE_SIZE = 32  # and 32x32 pictures
#: Missing texts (written as empty cells) in the CSV of the end-to-end test.
MISSING = (1, 4)


@pytest.fixture()
def project(tmp_path):
    """A tiny checkpoint, its head counts, a cased tokenizer and the predict arguments (no --data yet)."""
    from reportgen.mmtd.checkpoint import save_checkpoint

    model = tiny_mmtd(seed=5)
    save_checkpoint(model, tmp_path / "checkpoint-1", format="bin")
    heads = tmp_path / "heads.json"
    heads.write_text(json.dumps({
        "text": {"num_attention_heads": model.config.text.num_attention_heads},
        "image": {"num_attention_heads": model.config.image.num_attention_heads},
        "fusion_heads": model.config.fusion_heads,
    }))
    tok = write_cased_tokenizer(tmp_path / "tok")
    args = ["predict", "--checkpoint", str(tmp_path / "checkpoint-1"), "--model-config", str(heads),
            "--tokenizer", str(tok), "--max-length", str(MAX_LENGTH), "--device", "cpu", "--batch-size", "4",
            "--no-progress"]
    return {"model": model, "tok": tok, "args": args, "tmp": tmp_path}


def _predict(project, csv, pics, *extra):
    from reportgen.cli import main

    out = project["tmp"] / "predictions.csv"
    result = CliRunner().invoke(main, project["args"] + ["--data", str(csv), "--images", str(pics),
                                                         "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return pd.read_csv(out), result.output


def test_predict_fold_1_and_3_are_mmtds_test_rows(project):
    csv, pics = write_edp(project["tmp"] / "edp", n=32)
    frame, output = _predict(project, csv, pics, "--split", "fold:1")
    # N = 32: q = 6; fold 1 = rows 4q..N-1 (with the 2 leftover rows), fold 3 = rows 2q..3q-1.
    assert frame["row"].tolist() == list(range(24, 32))
    assert "fold:1/5 (MMTD training split: rows 24-31)" in output
    frame, _ = _predict(project, csv, pics, "--split", "fold:3/5")
    assert frame["row"].tolist() == list(range(12, 18))


def _training_way_logits(model, tok, csv, pics, *, missing="null", resample=Image.BILINEAR):
    """Logits computed as MMTD's training code prepared its inputs, without reportgen's loaders.

    pd.read_csv(csv).fillna('null'); BertTokenizerFast(max_length, truncation, padding='max_length');
    the published DiT processor written out: PIL bilinear to the model's picture size, no crop,
    /255, (x - 0.5) / 0.5. ``missing`` and ``resample`` build the two wrong references.
    """
    from transformers import BertTokenizerFast

    data = pd.read_csv(csv).fillna(missing)
    tokens = BertTokenizerFast.from_pretrained(str(tok))(
        data["texts"].tolist(), return_tensors="pt", max_length=MAX_LENGTH, truncation=True, padding="max_length")
    pixels = []
    for name in data["pics"]:
        with Image.open(pics / name) as picture:
            resized = picture.convert("RGB").resize((IMAGE_SIZE, IMAGE_SIZE), resample)
        pixels.append(((np.asarray(resized, dtype=np.float64) / 255 - 0.5) / 0.5).transpose(2, 0, 1))
    with torch.no_grad():
        logits = model(input_ids=tokens["input_ids"], token_type_ids=tokens["token_type_ids"],
                       attention_mask=tokens["attention_mask"],
                       pixel_values=torch.tensor(np.stack(pixels), dtype=torch.float32))
    return logits.double().numpy()


def test_predict_logits_equal_a_reference_built_the_training_way(project):
    texts = [None if row in MISSING else text for row, text in
             enumerate(["win money now", "", "hello team", "free prize offer", "", "thanks for lunch"])]
    # Pictures larger than the model's and not square, so the resize filter matters.
    csv, pics = write_edp(project["tmp"] / "edp", n=6, texts=texts, size=(90, 70))
    frame, _ = _predict(project, csv, pics)  # no --image-processor, no --missing-text: the defaults
    logits = frame[["logit_ham", "logit_spam"]].to_numpy()
    reference = _training_way_logits(project["model"], project["tok"], csv, pics)
    # float32 forward passes: equal up to rounding, relative to the logits' scale (batching and CPU
    # kernels reorder float32 sums; a relative 1e-5 is ~100 float32 ulps).
    tolerance = 1e-5 * np.abs(reference).max()
    np.testing.assert_allclose(logits, reference, rtol=1e-5, atol=tolerance)
    # The two ways reportgen used to differ from training are each far outside that tolerance.
    empty = _training_way_logits(project["model"], project["tok"], csv, pics, missing="")
    bicubic = _training_way_logits(project["model"], project["tok"], csv, pics, resample=Image.BICUBIC)
    for wrong in (empty, bicubic):
        assert np.abs(wrong - reference).max() > 100 * tolerance
    assert np.abs(empty - reference)[list(MISSING)].min() > 100 * tolerance  # exactly the missing rows
    # --missing-text empty reproduces the old behaviour for models trained that way.
    frame, _ = _predict(project, csv, pics, "--missing-text", "empty")
    np.testing.assert_allclose(frame[["logit_ham", "logit_spam"]].to_numpy(), empty, rtol=1e-5, atol=tolerance)


def test_help_says_how_data_is_prepared():
    from reportgen.cli import main

    text = " ".join(CliRunner().invoke(main, ["predict", "--help"], terminal_width=200).output.split())
    for words in ("fold:K", "SplitData", "no shuffle", "NOT MMTD's training folds", "--missing-text",
                  "fillna('null')", "PIL bilinear", "no crop", "--max-pixels", "--allow-outside-images"):
        assert words in text, words
