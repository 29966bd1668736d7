"""Hostile or broken data through the CLI (issue 12): decompression bombs, truncated JPEGs, over-long
picture names, duplicate columns and pictures outside --images are one line (or skipped), never a
traceback; a bomb in a results.json picture is refused by `render`."""

from __future__ import annotations

import base64
import json
import warnings

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.edp import write_edp, write_png_header
from tests.factories import tiny_mmtd, write_cased_tokenizer


@pytest.fixture()
def project(tmp_path):
    from reportgen.mmtd.checkpoint import save_checkpoint

    model = tiny_mmtd(seed=1)
    save_checkpoint(model, tmp_path / "checkpoint-1", format="bin")
    heads = tmp_path / "heads.json"
    heads.write_text(json.dumps({
        "text": {"num_attention_heads": model.config.text.num_attention_heads},
        "image": {"num_attention_heads": model.config.image.num_attention_heads},
        "fusion_heads": model.config.fusion_heads,
    }))
    csv, pics = write_edp(tmp_path / "edp", n=5)
    args = ["predict", "--checkpoint", str(tmp_path / "checkpoint-1"), "--model-config", str(heads),
            "--tokenizer", str(write_cased_tokenizer(tmp_path / "tok")), "--max-length", "24", "--device", "cpu",
            "--data", str(csv), "--images", str(pics), "--no-progress"]
    return {"args": args, "csv": csv, "pics": pics, "tmp": tmp_path}


def _run(args):
    from reportgen.cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a printed multi-line warning (PIL's bomb warning) counts as a failure
        return CliRunner().invoke(main, args)


def _one_line_error(result, message):
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.output


def _skipped(result, out, row):
    assert result.exit_code == 0, result.output
    assert row not in pd.read_csv(out)["row"].tolist() and f"skipped row {row} " in result.output


@pytest.mark.parametrize("size", [(30_000, 30_000), (12_000, 12_000)])
def test_decompression_bomb_refused_or_skipped(project, size):
    write_png_header(project["pics"] / "2.png", *size)
    out = project["tmp"] / "p.csv"
    _one_line_error(_run(project["args"] + ["--out", str(out)]), "row 2 (2.png: too large")
    assert not out.exists()
    _skipped(_run(project["args"] + ["--skip-invalid", "--out", str(out)]), out, 2)


def test_max_pixels_option(project):
    out = project["tmp"] / "p.csv"
    _one_line_error(_run(project["args"] + ["--max-pixels", "100", "--out", str(out)]),
                    "more than --max-pixels 100")
    _one_line_error(_run(project["args"] + ["--max-pixels", "100000000", "--out", str(out)]),
                    "--max-pixels 100000000: expected 1 .. 89,478,485 (PIL's own limit)")


def test_truncated_jpeg_is_skipped_by_skip_invalid(project):
    csv, pics = write_edp(project["tmp"] / "jpeg", n=4, size=(300, 200), truncated=[1])
    args = list(project["args"])
    args[args.index("--data") + 1], args[args.index("--images") + 1] = str(csv), str(pics)
    out = project["tmp"] / "p.csv"
    _one_line_error(_run(args + ["--out", str(out)]), "row 1 (1.jpg: unreadable (image file is truncated")
    _skipped(_run(args + ["--skip-invalid", "--out", str(out)]), out, 1)


def test_picture_name_too_long(project):
    pd.read_csv(project["csv"]).assign(pics=["0.png", "1.png", "y" * 300 + ".png", "3.png", "4.png"]).to_csv(
        project["csv"], index=False)
    out = project["tmp"] / "p.csv"
    _one_line_error(_run(project["args"] + ["--out", str(out)]), "unusable name")
    _skipped(_run(project["args"] + ["--skip-invalid", "--out", str(out)]), out, 2)


def test_duplicate_columns_and_outside_pictures(project):
    out = project["tmp"] / "p.csv"
    frame = pd.read_csv(project["csv"])
    frame.to_csv(project["csv"], index=False, header=["texts", "pics", "texts"])
    _one_line_error(_run(project["args"] + ["--out", str(out)]), "column name 'texts' appears 2 times")
    frame.assign(pics=["0.png", "../../secret.png", "2.png", "3.png", "4.png"]).to_csv(project["csv"], index=False)
    (project["pics"] / "1.png").rename(project["tmp"] / "secret.png")
    _one_line_error(_run(project["args"] + ["--skip-invalid", "--out", str(out)]),
                    "row 1: picture '../../secret.png' lies outside the pictures folder")
    assert not out.exists()
    result = _run(project["args"] + ["--allow-outside-images", "--out", str(out)])
    assert result.exit_code == 0 and pd.read_csv(out)["row"].tolist() == [0, 1, 2, 3, 4], result.output


@pytest.mark.parametrize("size", [(30_000, 30_000), (12_000, 12_000)])
def test_render_refuses_a_bomb_picture_in_results_json(tmp_path, size):
    from reportgen.results.io import save_results
    from tests.results_fixture import make_results

    results = make_results(1, n_predictions=4)
    bomb = write_png_header(tmp_path / "bomb.png", *size).read_bytes()
    results["samples"][0]["picture"] = "data:image/png;base64," + base64.b64encode(bomb).decode("ascii")
    save_results(results, tmp_path / "results.json")
    out = tmp_path / "report"
    result = _run(["render", str(tmp_path / "results.json"), "--out", str(out), "--format", "html", "--no-progress"])
    _one_line_error(result, "sample picture is too large to decode safely")
    assert not out.exists() or list(out.iterdir()) == []
