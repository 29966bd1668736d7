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
    assert "checkpoint-939" in text and results["model"]["sha256"][:12] in text
    assert f"{results['dataset']['n_selected']} e-mails" in text
    assert f"{round(100 * results['metrics']['accuracy'])}\u00a0%" in text
    assert results["aggregate"]["verdict"]["headline"] in text  # the verdict with its interval, in words
    assert "Integrated Gradients" in text and "names the same leading source" in text
    assert "toward spam:" in text
    for warning in results["aggregate"]["warnings"]:
        assert warning in text


def test_every_figure_has_a_one_sentence_caption_and_alt_text(document: Report) -> None:
    figures = document.figures()
    names = {f.name for f in figures}
    # An e-mail's figures are named by its data row (asset file names): row-00000-image_ig, …
    first = f"row-{document.samples[0].row:05d}"
    for expected in ("confusion_matrix", "roc", "verdict_groups", "modality_panels", "estimator_agreement",
                     "top_words_spam",
                     f"{first}-image_ig", f"{first}-image_rollout", f"{first}-modality", f"{first}-attention",
                     f"{first}-text_rollout", f"{first}-ig_convergence"):
        assert expected in names
    for figure in figures:
        assert figure.caption.endswith(".") and figure.caption[0].isupper(), figure.name
        assert figure.alt
        # Aggregate charts stay vector; per-sample figures are rasters (WeasyPrint draws them far faster):
        # a small lossless WebP in the page, a JPEG that WeasyPrint embeds as it is in the PDF.
        per_sample = figure.name.startswith("row-")
        assert figure.src.startswith(f"data:image/{'webp' if per_sample else 'svg+xml'};base64,"), figure.name
        assert figure.print_src.startswith("data:image/jpeg;base64,") if per_sample else not figure.print_src
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
    limit = float(make_results(2, n_predictions=20)["aggregate"]["colour_scale"]["limit"])
    # The legend gives numbers in log-odds: the scale's ends and the uncoloured band.
    labels = [stop.label for stop in text.legend]
    assert labels[0] == f"≤ −{limit:.2f} ham" and labels[-1] == f"≥ +{limit:.2f} spam"
    assert "not coloured" in labels[2] and "log-odds" in text.legend_title


def test_sample_index_links_to_every_sample(document: Report) -> None:
    index = document.section("samples").blocks[0]
    assert isinstance(index, Table)
    assert index.links == [f"#{s.id}" for s in document.samples]


def test_attention_head_not_in_results_is_a_clear_error(results: dict) -> None:
    with pytest.raises(ResultsError, match="attention-head 3"):
        build_document(results, attention_head=3)


def test_other_attention_layer_shows_its_cls_row(results: dict) -> None:
    document = build_document(make_results(1, n_predictions=4), attention_layer=2)
    figure = next(f for f in document.figures() if f.name.endswith("-attention"))
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
    assert {f.name for f in document.figures()} == {"confusion_matrix", "roc", "verdict_groups"}
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


def test_bad_attention_layer_is_reported_from_a_worker_too(results: dict) -> None:
    with pytest.raises(ResultsError, match="--attention-layer 99 is out of range"):
        build_document(results, attention_layer=99, keep_figures=False, workers=2)


def test_workers_never_rerun_an_unguarded_script_that_loaded_torch(tmp_path) -> None:
    # A user's script without `if __name__ == "__main__"` that has loaded torch (OpenMP threads a
    # forked child would inherit): the worker processes must neither re-run it nor hang, and the
    # report must be the one drawn serially. (The per-sample figures of large reports are drawn by a
    # process pool; a reader must get the same page, in the same order, whichever way it was drawn:
    # this test also stands for test_worker_processes_build_the_same_report, which compared the two
    # ways again in the test process.)
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


# -- claims a reader can trust ---------------------------------------------------------------------


def _paragraphs(blocks) -> str:
    return " ".join(b.text for b in blocks if isinstance(b, Paragraph))


def test_the_first_page_states_the_verdict_with_its_interval(results: dict, document: Report) -> None:
    from reportgen.report.render import render_html

    verdict = results["aggregate"]["verdict"]
    assert document.headline == verdict["headline"]
    assert "95\u00a0% interval" in verdict["headline"] or verdict["headline"].startswith("No clear lead")
    html = render_html(document)
    cover_end = html.index('id="summary"')
    assert html.index('class="headline"') < cover_end  # on the cover, before any section


def test_no_absolute_local_path_before_the_reproducibility_appendix() -> None:
    results = make_results(2, n_predictions=8)
    results["model"]["path"] = "/home/alice/models/fold1/checkpoint-939"
    results["dataset"]["csv"] = "/home/alice/data/EDP.csv"
    document = build_document(results)
    for section in document.sections[:-1]:
        shown = _paragraphs(section.blocks) + " ".join(str(v) for b in section.blocks if hasattr(b, "items")
                                                      for _, v in b.items)
        assert "/home/alice" not in shown, section.id
    assert "/home/alice" not in document.subtitle and "checkpoint-939" in document.subtitle
    reproducibility = document.section("reproducibility")
    assert any("/home/alice/models" in str(v) for b in reproducibility.blocks if hasattr(b, "items")
               for _, v in b.items)


def _row(results: dict, index: int, *, text: float, image: float, f_none: float, words_scale: float | None = None):
    """Give sample ``index`` a Shapley split (and optionally tiny word/patch scores)."""
    from reportgen.claims import decision_text_share, leading_from_share

    sample = results["samples"][index]
    f_full = f_none + text + image
    prediction = int(f_full > 0)
    sample["prediction"] = prediction
    shapley = sample["modality"]["shapley"]
    shapley.update(text=text, image=image, f_none=f_none, f_full=f_full)
    for key in ("shapley", "ig"):
        split = sample["modality"][key]
        split.update(text=text, image=image)
        share = decision_text_share(text, image, f_full, f_none, prediction)
        split.update(text_share=share, leading=leading_from_share(share))
    sample["modality"]["leading"] = shapley["leading"]
    sample["modality"]["decided_by_default"] = shapley["text_share"] is None
    if words_scale is not None:
        for k, word in enumerate(sample["words"]):
            word["score"] = words_scale * (1 if k % 2 else -1)
        sample["image_scores"] = [[words_scale / 2] * len(r) for r in sample["image_scores"]]
    return sample


@pytest.fixture(scope="module")
def scenarios() -> Report:
    """One report whose three e-mails each play a case below (each card is built from its e-mail alone)."""
    results = make_results(3, n_predictions=8)
    # Row-12-like: a ham decision; the picture pushes +0.031 toward spam, the text -0.4 toward ham.
    _row(results, 1, text=-0.4, image=0.031, f_none=-3.0)
    # Row-25-like: the empty e-mail scores -3.0 (ham); nothing in the e-mail moved it.
    _row(results, 2, text=0.001, image=0.001, f_none=-3.0, words_scale=0.002)
    _row(results, 0, text=0.4, image=5.6, f_none=-3.0)
    return build_document(results)


def test_a_push_against_the_decision_never_makes_the_picture_the_leading_source(scenarios: Report) -> None:
    sample = scenarios.samples[1]  # the row-12-like e-mail
    table = next(b for b in sample.blocks if isinstance(b, Table) and b.name.endswith("-modality"))
    shapley_row = table.rows[0]
    assert shapley_row[0].startswith("Shapley") and shapley_row[-1] == "text"
    text = _paragraphs(sample.blocks)
    assert "The text carried the ham decision" in text
    assert "picture pushed against the decision" in text


def test_a_negligible_push_reads_decided_by_default_and_colours_nothing(scenarios: Report) -> None:
    sample = scenarios.samples[2]  # the row-25-like e-mail
    text = _paragraphs(sample.blocks)
    assert "An empty e-mail with a blank page already scores −3.00 (ham)" in text
    assert "text moved the score by +0.001 and its picture by +0.001, to −3.00 (ham)" in text
    assert "Decided by default: the e-mail's content moved the score by only 0.002 in all" in text
    highlighted = next(b for b in sample.blocks if isinstance(b, HighlightedText))
    assert "moved the score by 0.002 — negligible" in highlighted.caption
    assert all(span.background == "#ffffff" and span.direction == "neutral" for span in highlighted.spans)
    overlay = next(f for f in sample.blocks if isinstance(f, Figure) and f.name.endswith("-image_ig"))
    assert "negligible" in overlay.caption


def test_the_baseline_sentence_and_the_table_give_the_same_numbers(scenarios: Report) -> None:
    sample = scenarios.samples[0]
    text = _paragraphs(sample.blocks)
    assert ("An empty e-mail with a blank page already scores −3.00 (ham). This e-mail's text moved the score by "
            "+0.40 and its picture by +5.60, to +3.00 (spam).") in text
    table = next(b for b in sample.blocks if isinstance(b, Table) and b.name.endswith("-modality"))
    assert table.rows[0][1:5] == pytest.approx([-3.0, 0.4, 5.6, 3.0])
    assert "The picture carried the spam decision" in text


def test_one_colour_scale_for_every_e_mail() -> None:
    results = make_results(2, n_predictions=8)
    for sample in results["samples"]:
        sample["words"][0]["score"] = 0.05
    document = build_document(results)
    first = [next(b for b in s.blocks if isinstance(b, HighlightedText)).spans[0] for s in document.samples]
    # The same score gets the same colour in every e-mail (a per-e-mail scale would differ).
    assert first[0].background == first[1].background != "#ffffff"


def test_fusion_attention_is_captioned_where_it_looked_not_why(document: Report) -> None:
    text = _paragraphs(document.samples[0].blocks)
    assert "where the fusion layer looked, not why" in text
    for table in document.tables():
        assert not any("attention" in str(c).lower() for c in table.columns), table.name


def test_methods_appendix_states_every_rule_of_claims(document: Report) -> None:
    from reportgen.claims import DEFINITIONS

    text = _paragraphs(document.section("methods").blocks)
    for definition in DEFINITIONS:
        assert definition.rule in text, definition.name


def test_top_word_tables_mark_punctuation_and_numbers() -> None:
    results = make_results(1, n_predictions=4)  # the word lists are set below
    results["aggregate"]["top_words"]["spam"] = [
        {"word": "free", "kind": "word", "count": 3, "n_seen": 4, "mean_score": 0.5},
        {"word": "!", "kind": "punctuation", "count": 4, "n_seen": 4, "mean_score": 0.7},
        {"word": "000", "kind": "number", "count": 2, "n_seen": 3, "mean_score": 0.2}]
    document = build_document(results)
    table = next(t for t in document.tables() if t.name == "top_words_spam")
    assert [r[:2] for r in table.rows] == [["free", "word"], ["!", "punctuation"], ["000", "number"]]
    assert table.columns[2:4] == ["Among strongest in", "Seen in"]
    summary = _paragraphs(document.section("summary").blocks)
    assert "“free”" in summary and "“!”" not in summary and "“000”" not in summary


def test_a_windows_path_shows_only_its_file_name_before_the_appendix() -> None:
    """results.json written on Windows and rendered elsewhere: page 1 names the file, not the folders."""
    results = make_results(n_samples=1)
    results["model"]["path"] = "C:\\Users\\ana\\models\\fold1\\model.safetensors"
    results["dataset"]["csv"] = "D:\\data\\EDP.csv"
    document = build_document(results)
    assert document.subtitle == "model.safetensors on EDP.csv"
    summary = " ".join(block.text for block in document.sections[0].blocks if isinstance(block, Paragraph))
    assert "model.safetensors" in summary and "Users" not in summary and "ana" not in summary.split()
