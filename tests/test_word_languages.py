"""E-mail words keep their e-mail's language wherever the report lists them (HTML ``lang``, BCP 47).

The card's coloured text already carries the e-mail's tag; the same words also appear in the card's
top-word table, the occlusion table, the summary's word lists and the aggregate word tables. A screen
reader reads a cell without ``lang`` by the page's English rules ("Geld" as an English word). A word
listed over several e-mails gets their language when they all agree, else "und" (undetermined).
"""

from __future__ import annotations

from typing import Any

import pytest

from reportgen.analysis.aggregate import aggregate as aggregate_block
from reportgen.report import build_document
from reportgen.report.render import render_html
from reportgen.results.io import validate_results
from tests.results_fixture import make_results

XHTML = "{http://www.w3.org/1999/xhtml}"
#: Sample i of make_results reads TEXTS[i % 2]: German, Dutch, German, Dutch (rows 0, 3, 4, 7).
TEXTS = ("Gratis Geld jetzt gewinnen, gratis Reise!", "Gratis geld nu winnen, gratis reis!")
#: Row 3 has no language (undetermined) and its Integrated Gradients did not converge (the fixture
#: flags sample 1), so it feeds no aggregate word list.
LANGUAGES = ("de", None, "de", "nl")


@pytest.fixture(scope="module")
def page() -> Any:
    import tinyhtml5  # WeasyPrint's HTML parser: the page as an ElementTree

    results = make_results(4, n_predictions=12, texts=TEXTS)
    for sample, language in zip(results["samples"], LANGUAGES):
        assert sample["integrated_gradients"]["flagged"] is (language is None)
        if language is None:
            del sample["language"]
        else:
            sample["language"] = language
            results["predictions"][sample["row"]]["language"] = language
    results["aggregate"] = aggregate_block(results["predictions"], results["samples"], top_k=10, min_count=1,
                                           skipped=results["dataset"]["skipped"])
    for sample in results["samples"]:  # occlusion's second opinion, as analyze writes it
        patches = len(sample["image_scores"]) * len(sample["image_scores"][0])
        sample["occlusion"] = {
            "word_scores": [0.9 * w["score"] for w in sample["words"]],
            "image_scores": [[1.1 * v for v in row] for row in sample["image_scores"]],
            "agreement": {"text": {"n": len(sample["words"]), "spearman": 0.8, "top5_overlap": 0.6},
                          "image": {"n": patches, "spearman": 0.5, "top5_overlap": 0.4}}}
    validate_results(results)
    return tinyhtml5.parse(render_html(build_document(results, keep_figures=False)))


def _cells(page: Any, table: str) -> list[list[tuple[str, str | None]]]:
    """(text, lang) of every body cell of the table ``tab-<table>``, row by row."""
    figure = next(f for f in page.iter(f"{XHTML}figure") if f.get("id") == f"tab-{table}")
    return [[("".join(td.itertext()), td.get("lang")) for td in tr.iter(f"{XHTML}td")]
            for tr in figure.iter(f"{XHTML}tr")][1:]


def test_a_cards_top_words_carry_the_emails_language(page: Any) -> None:
    for row, language in ((0, "de"), (3, "und"), (7, "nl")):
        rows = _cells(page, f"row-{row:05d}-top_words")
        assert rows
        for (spam, spam_lang), (_, score_lang), (ham, ham_lang), (_, other_lang) in rows:
            for word, lang in ((spam, spam_lang), (ham, ham_lang)):
                assert lang == (language if word else None), (row, word)  # an empty cell claims nothing
            assert score_lang is other_lang is None  # numbers stay in the page's language


def test_occlusion_names_words_in_the_emails_language_and_patches_in_english(page: Any) -> None:
    words, patches = _cells(page, "row-00007-occlusion")
    assert words[0] == ("Words", None) and [lang for _, lang in words[3:]] == ["nl", "nl"]
    assert "winnen" in words[3][0]
    assert patches[0] == ("Picture patches", None) and {lang for _, lang in patches} == {None}


def test_aggregate_words_take_the_language_their_emails_agree_on(page: Any) -> None:
    rows = _cells(page, "top_words_spam")
    languages = {word: lang for (word, lang), *_ in rows}
    assert languages["jetzt"] == languages["Geld"] == "de"  # rows 0 and 4, both German
    assert languages["geld"] == languages["winnen"] == "nl"  # row 7 only: row 3 (no language) is left out
    assert languages["Gratis"] == languages["gratis"] == "und"  # German and Dutch e-mails
    assert all(lang is None for row in rows for _, lang in row[1:])  # kind, counts, scores: English


def test_summary_word_lists_tag_each_quoted_word(page: Any) -> None:
    paragraph = next(p for p in page.iter(f"{XHTML}p") if "".join(p.itertext()).startswith("Words that most often"))
    quoted = [("".join(span.itertext()), span.get("lang")) for span in paragraph.iter(f"{XHTML}span")]
    assert quoted and all(lang for _, lang in quoted)
    assert dict(quoted)["Gratis"] == "und" and dict(quoted)["jetzt"] == "de"
    text = "".join(paragraph.itertext())
    assert text.startswith("Words that most often push toward spam: “Gratis”, “gratis”, ")
    assert text.endswith("Words that most often push toward ham: none (numbers in the word tables).")
