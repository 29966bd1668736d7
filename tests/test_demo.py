"""`reportgen demo` end to end: corpus, shipped model, analysis, report — and the numbers it promises."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from reportgen.demo.pipeline import choose_rows, demo_assets

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run `reportgen demo --out DIR` once for the whole module (it is the expensive part)."""
    from reportgen.cli import main

    out = tmp_path_factory.mktemp("demo") / "report"
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--no-progress"], catch_exceptions=False)
    elapsed = time.perf_counter() - started
    print(f"\nreportgen demo took {elapsed:.1f} s (in-process, warm imports)")
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    frame = pd.read_csv(out / "demo-data" / "EDP.csv", keep_default_na=False)
    return {"out": out, "output": result.output, "results": results, "frame": frame, "elapsed": elapsed}


def _shares(demo_run: dict, signal: str) -> list[float]:
    """Shapley text shares of the explained samples whose planted signal is ``signal``."""
    frame = demo_run["frame"]
    shares = []
    for sample in demo_run["results"]["samples"]:
        if frame.loc[sample["row"], "signal"] == signal:
            share = sample["modality"]["shapley"].get("text_share")
            shapley = sample["modality"]["shapley"]
            if share is None:
                total = abs(shapley["text"]) + abs(shapley["image"])
                share = abs(shapley["text"]) / total if total else 0.5
            shares.append(float(share))
    return shares


def test_demo_writes_corpus_results_and_report(demo_run: dict) -> None:
    from pypdf import PdfReader

    from reportgen.results.io import validate_results

    out = demo_run["out"]
    for name in ("demo-data/EDP.csv", "results.json", "report.html", "report.pdf"):
        assert (out / name).is_file(), name
    assert len(list((out / "demo-data" / "pics").glob("*.png"))) == len(demo_run["frame"])
    validate_results(demo_run["results"])
    assert len(PdfReader(str(out / "report.pdf")).pages) >= 2
    assert str(out / "report.html") in demo_run["output"]  # it says where the report is


def test_demo_model_is_accurate_on_held_out_emails(demo_run: dict) -> None:
    metrics = demo_run["results"]["metrics"]
    assert metrics["n"] == len(demo_run["frame"]) == demo_assets().corpus_size
    assert metrics["accuracy"] >= 0.95


def test_demo_explains_every_signal_kind_and_both_classes(demo_run: dict) -> None:
    frame = demo_run["frame"]
    rows = [s["row"] for s in demo_run["results"]["samples"]]
    signals = frame.loc[rows, "signal"].tolist()
    for signal in ("text", "image", "both"):
        assert signals.count(signal) >= 3, signal
    assert signals.count("none") >= 3
    assert "newsletter" in frame.loc[rows, "banner"].tolist()  # hard ham is shown
    assert set(frame.loc[rows, "language"]) == {"en", "es", "de", "ru"}


def test_report_names_the_planted_modality(demo_run: dict) -> None:
    text_on_text_spam = statistics.median(_shares(demo_run, "text"))
    image_on_image_spam = 1 - statistics.median(_shares(demo_run, "image"))
    print(f"\nmedian Shapley text share on text-only spam {text_on_text_spam:.3f}, "
          f"image share on image-only spam {image_on_image_spam:.3f}")
    assert text_on_text_spam >= 0.6
    assert image_on_image_spam >= 0.6


def test_choose_rows_covers_kinds_and_languages() -> None:
    from reportgen.demo.corpus import generate_corpus

    assets = demo_assets()
    frame = pd.DataFrame([
        {"signal": e.signal, "banner": e.banner.style if e.banner else "", "language": e.language}
        for e in generate_corpus(assets.corpus_size, assets.corpus_seed)
    ])
    rows = choose_rows(frame, 4)
    chosen = frame.loc[rows]
    assert rows == sorted(set(rows))
    for signal in ("text", "image", "both"):
        part = chosen[chosen["signal"] == signal]
        assert len(part) == 4 and part["language"].nunique() == 4
    assert set(chosen.loc[chosen["signal"] == "none", "banner"]) == {"newsletter", "photo", ""}


def test_shipped_checkpoint_loads_with_no_flags_and_is_small() -> None:
    from reportgen.mmtd.checkpoint import load_mmtd

    assets = demo_assets()
    loaded = load_mmtd(assets.checkpoint)
    assert loaded.info.format == "safetensors"
    assert loaded.info.config.image.image_size == assets.image_size
    assert loaded.info.config.text.max_position_embeddings >= assets.max_length
    total = sum(p.stat().st_size for p in assets.checkpoint.parent.parent.rglob("*") if p.is_file())
    assert total < 5_000_000


def test_wheel_ships_the_demo_assets(tmp_path: Path) -> None:
    import zipfile

    builders = pytest.importorskip("hatchling.builders.wheel", reason="hatchling builds the wheel")
    wheel = next(builders.WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"]))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("reportgen/demo/assets/demo.json", "reportgen/demo/assets/checkpoint/model.safetensors",
                 "reportgen/demo/assets/tokenizer/tokenizer.json", "reportgen/demo/assets/tokenizer/tokenizer_config.json"):
        assert name in names, name


def test_vocabulary_is_reproducible_and_covers_the_demo_text() -> None:
    from reportgen.demo.corpus import generate_corpus
    from reportgen.demo.train import build_vocabulary
    from reportgen.mmtd.preprocessing import load_tokenizer

    texts = [e.text for e in generate_corpus(60, seed=5)]
    assert build_vocabulary(texts) == build_vocabulary(list(texts))
    tokenizer = load_tokenizer(str(demo_assets().tokenizer))
    demo_texts = [e.text for e in generate_corpus(40, seed=demo_assets().corpus_seed)]
    ids = tokenizer(demo_texts)["input_ids"]
    assert all(tokenizer.unk_token_id not in row for row in ids)  # no [UNK] in any demo e-mail


def test_missing_demo_assets_is_a_one_line_error(tmp_path: Path) -> None:
    from reportgen.errors import ReportgenError

    with pytest.raises(ReportgenError, match="demo.json"):
        demo_assets(tmp_path)


def test_demo_json_only_skips_the_report_and_is_reproducible(tmp_path: Path) -> None:
    from reportgen.cli import main

    outputs = []
    for name in ("first", "second"):
        out = tmp_path / name
        result = CliRunner().invoke(main, ["demo", "--out", str(out), "--samples", "1", "--format", "json",
                                           "--deterministic", "--no-progress"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert (out / "results.json").is_file() and not (out / "report.html").exists()
        assert f"open {out / 'results.json'}" in result.output
        outputs.append(out)
    results = json.loads((outputs[0] / "results.json").read_text(encoding="utf-8"))
    assert len(results["samples"]) == 4  # one text, image and both spam, one ham
    # Same demo, same bytes (apart from the output folder the command line names).
    first, second = ((o / "results.json").read_text(encoding="utf-8").replace(str(o), "OUT") for o in outputs)
    assert first == second
