"""The typed document built from results.json alone: order, plain-language content, captions."""

from __future__ import annotations

import warnings

import pytest

from reportgen.errors import ResultsError
from reportgen.report import build_document
from reportgen.report.document import Figure, HighlightedText, Paragraph, Report, Table
from reportgen.results.io import dumps_results, validate_results
from tests.results_fixture import HOSTILE_STRINGS, make_results

warnings.filterwarnings("ignore", message="Glyph .* missing from font")


@pytest.fixture(scope="module")
def results() -> dict:
    return make_results(2, n_predictions=20)


@pytest.fixture(scope="module")
def document(results: dict) -> Report:
    return build_document(results)


def test_fixture_is_valid_results() -> None:
    for hostile in (False, True):
        results = make_results(4, hostile=hostile)
        validate_results(results)
        assert len(results["samples"]) == 4
        # Plain JSON: dumps works (no NaN, no numpy).
        assert dumps_results(results)


def test_hostile_fixture_carries_attacker_content() -> None:
    text = dumps_results(make_results(6, hostile=True))
    for attack in HOSTILE_STRINGS:
        assert attack.replace('"', '\\"') in text


def test_sections_in_reading_order_summary_first(document: Report) -> None:
    assert [s.id for s in document.sections] == ["summary", "aggregate", "samples", "methods", "reproducibility"]
    assert [s.id for s in document.samples] == ["sample-1", "sample-2"]


def test_summary_states_model_data_accuracy_modality_words_and_warnings(results: dict, document: Report) -> None:
    text = " ".join(b.text for b in document.section("summary").blocks if isinstance(b, Paragraph))
    assert results["model"]["path"] in text
    assert f"{results['dataset']['n_selected']} e-mails" in text
    assert f"{round(100 * results['metrics']['accuracy'])}\u00a0%" in text
    assert "decisions lean" in text and "three methods agree" in text
    assert "toward spam:" in text and "toward ham:" in text
    for warning in results["aggregate"]["warnings"]:
        assert warning in text


def test_every_figure_has_a_one_sentence_caption_and_alt_text(document: Report) -> None:
    figures = document.figures()
    names = {f.name for f in figures}
    for expected in ("confusion_matrix", "roc", "modality_panels", "estimator_agreement", "top_words_spam",
                     "sample-1_image_ig", "sample-1_image_rollout", "sample-1_modality", "sample-1_attention",
                     "sample-1_text_rollout", "sample-1_ig_convergence"):
        assert expected in names
    for figure in figures:
        assert figure.caption.endswith(".") and figure.caption[0].isupper(), figure.name
        assert figure.alt
        # Aggregate charts stay vector; per-sample figures are PNG (WeasyPrint draws them far faster).
        kind = "png" if figure.name.startswith("sample-") else "svg+xml"
        assert figure.src.startswith(f"data:image/{kind};base64,"), figure.name
    assert len(names) == len(figures), "figure names are file stems for exports: unique"


def test_flagged_ig_sample_gets_a_warning(results: dict, document: Report) -> None:
    for raw, sample in zip(results["samples"], document.samples):
        flagged = raw["integrated_gradients"]["flagged"]
        assert bool(sample.warnings) == flagged
    assert any(s.warnings for s in document.samples), "fixture sample 2 is flagged"


def test_words_are_coloured_by_sign(document: Report) -> None:
    text = next(b for b in document.samples[0].blocks if isinstance(b, HighlightedText))
    strongest = max(text.spans, key=lambda s: abs(s.score))
    red, blue = int(strongest.background[1:3], 16), int(strongest.background[5:7], 16)
    assert strongest.direction == ("spam" if strongest.score > 0 else "ham")
    assert (red > blue) == (strongest.score > 0)
    assert [stop.label for stop in text.legend][0] == "strongly toward ham"


def test_sample_index_links_to_every_sample(document: Report) -> None:
    index = document.section("samples").blocks[0]
    assert isinstance(index, Table)
    assert index.links == [f"#{s.id}" for s in document.samples]


def test_attention_head_not_in_results_is_a_clear_error(results: dict) -> None:
    with pytest.raises(ResultsError, match="attention-head 3"):
        build_document(results, attention_head=3)


def test_other_attention_layer_shows_its_cls_row(results: dict) -> None:
    document = build_document(make_results(1, n_predictions=4), attention_layer=2)
    figure = next(f for f in document.figures() if f.name == "sample-1_attention")
    assert "layer 2" in figure.caption
    with pytest.raises(ResultsError, match="out of range"):
        build_document(make_results(1, n_predictions=4), attention_layer=40)


def test_unlabelled_data_says_so_instead_of_metrics() -> None:
    results = make_results(1, n_predictions=4)
    results["metrics"] = None
    for p in results["predictions"]:
        p["label"] = None
    document = build_document(results)
    text = " ".join(b.text for b in document.section("summary").blocks if isinstance(b, Paragraph))
    assert "no labels" in text
    assert not any(isinstance(f, Figure) and f.name == "confusion_matrix" for f in document.figures())


def test_no_explained_samples_says_so_without_empty_charts() -> None:
    results = make_results(0, n_predictions=6)
    document = build_document(results)
    text = " ".join(b.text for s in document.sections for b in s.blocks if isinstance(b, Paragraph))
    assert "No e-mail was explained in detail" in text
    assert "n/a" not in text and "0 e-mails explained" not in text
    assert {f.name for f in document.figures()} == {"confusion_matrix", "roc"}
    assert all(t.rows for t in document.tables()), "no empty tables"


def test_highlighted_text_keeps_the_emails_spacing_and_marks_the_unread_tail() -> None:
    results = make_results(1, n_predictions=4)
    sample = results["samples"][0]
    sample["text"] = sample["text"] + "\n\nP.S. words past the length limit"
    document = build_document(results)
    text = next(b for b in document.samples[0].blocks if isinstance(b, HighlightedText))
    rebuilt = "".join(s.before + s.text for s in text.spans) + text.unread
    assert rebuilt == sample["text"]
    assert text.unread.strip() == "P.S. words past the length limit"
    assert "not read" in text.caption


def test_worker_processes_build_the_same_report(results: dict) -> None:
    # The per-sample figures of large reports are drawn by a process pool; a reader must get the
    # same page whichever way it was drawn (and in the same order).
    from reportgen.report.render import render_html

    serial = build_document(results, keep_figures=False, workers=1)
    parallel = build_document(results, keep_figures=False, workers=2)
    assert [s.id for s in parallel.samples] == ["sample-1", "sample-2"]
    assert render_html(parallel) == render_html(serial)


def test_bad_attention_layer_is_reported_from_a_worker_too(results: dict) -> None:
    with pytest.raises(ResultsError, match="--attention-layer 99 is out of range"):
        build_document(results, attention_layer=99, keep_figures=False, workers=2)


def test_workers_never_rerun_an_unguarded_script_that_loaded_torch(tmp_path) -> None:
    # A user's script without `if __name__ == "__main__"` that has loaded torch (OpenMP threads a
    # forked child would inherit): the worker processes must neither re-run it nor hang, and the
    # report must be the one drawn serially.
    import subprocess
    import sys
    from pathlib import Path

    runs = tmp_path / "runs.txt"
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import hashlib, sys, warnings\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})\n"
        "warnings.filterwarnings('ignore')\n"
        f"open({str(runs)!r}, 'a').write('ran\\n')\n"
        "import torch\n"
        "from reportgen.report import build_document\n"
        "from reportgen.report.render import render_html\n"
        "from tests.results_fixture import make_results\n"
        "results = make_results(2, n_predictions=8)\n"
        "pages = [render_html(build_document(results, keep_figures=False, workers=n)) for n in (2, 1)]\n"
        "print(pages[0] == pages[1], len(pages[0]) > 10000)\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["True", "True"]
    assert runs.read_text() == "ran\n", "the script ran once: workers did not re-import it"
