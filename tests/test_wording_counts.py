"""Counts are written as a reader says them: "no mistakes", "1 mistake", "3 mistakes" — never "(s)"."""

from __future__ import annotations

import re
import tokenize
from pathlib import Path

import pytest

from reportgen.analysis.aggregate import aggregate, headline
from reportgen.options import parse_formats
from reportgen.errors import ReportgenError
from reportgen.report.sections.summary import summary_section
from reportgen.report.wording import count
from tests.results_fixture import make_results


@pytest.mark.parametrize("n,noun,plural,expected", [
    (0, "mistake", None, "no mistakes"),
    (1, "mistake", None, "1 mistake"),
    (3, "mistake", None, "3 mistakes"),
    (1, "wanted e-mail", None, "1 wanted e-mail"),
    (2, "wanted e-mail", None, "2 wanted e-mails"),
    (2, "box", "boxes", "2 boxes"),
])
def test_count_uses_the_singular_only_for_one(n, noun, plural, expected):
    assert count(n, noun, plural) == expected


def test_count_can_write_zero_as_a_digit():
    assert count(0, "e-mail", zero="0") == "0 e-mails"


def _summary_text(results) -> str:
    return " ".join(getattr(block, "text", "") for block in summary_section(results).blocks)


@pytest.mark.parametrize("matrix,expected", [
    ([[20, 0], [0, 20]], "(no mistakes)"),
    ([[20, 1], [0, 19]], "(1 mistake: 1 wanted e-mail flagged as spam, no spam e-mails let through)"),
    ([[18, 2], [1, 19]], "(3 mistakes: 2 wanted e-mails flagged as spam, 1 spam e-mail let through)"),
])
def test_the_summary_states_the_mistakes_in_real_sentences(matrix, expected):
    results = make_results()
    results["metrics"]["confusion_matrix"] = matrix
    text = _summary_text(results)
    assert expected in text
    assert "(s)" not in text


def test_one_skipped_row_is_singular_in_the_summary():
    results = make_results()
    assert len(results["dataset"]["skipped"]) == 1
    assert "1 row could not be used and was skipped" in _summary_text(results)
    results["dataset"]["skipped"].append({"row": 42, "pic": "00042.png", "reason": "picture file not found"})
    assert "2 rows could not be used and were skipped" in _summary_text(results)


def test_headline_with_one_default_decision_is_singular():
    summary = {"n": 0, "n_decided_by_default": 1, "text_share": None, "ci95": None, "leading": "unclear",
               "hedged": False}
    text = headline(summary, 1)
    assert "none of the 1 predicted e-mail moved" in text
    assert "1 of 1 e-mail was decided by default (the empty e-mail already scored its class) and is not" in text


def test_aggregate_warnings_count_in_words():
    results = make_results(n_samples=1)
    agg = aggregate(results["predictions"], results["samples"], skipped=[{"row": 5, "reason": "missing"}])
    text = "\n".join(agg["warnings"])
    assert "1 row skipped" in text and "only 1 sample explained" in text and "(s)" not in text


def test_format_errors_name_one_format_in_the_singular():
    with pytest.raises(ReportgenError, match=r"unknown format docx;"):
        parse_formats("json,docx")
    with pytest.raises(ReportgenError, match=r"unknown formats doc, odt;"):
        parse_formats("doc,odt")


def test_no_count_in_the_package_is_worded_with_an_s_in_brackets():
    # A guard for new sentences: "(s)" after a word inside a string (f-strings included) is what was replaced.
    package = Path(__file__).resolve().parents[1] / "reportgen"
    kinds = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    offenders = []
    for path in sorted(package.rglob("*.py")):
        with path.open("rb") as source:
            for token in tokenize.tokenize(source.readline):
                if token.type in kinds and re.search(r"[a-z]\(s\)", token.string):
                    offenders.append(f"{path.relative_to(package)}:{token.start[0]}")
    assert offenders == []
