"""Paper-appendix assets: every figure as SVG + PDF, every table as CSV + LaTeX, byte-stable."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from reportgen.report import figures as F
from reportgen.report.assets import export_assets, latex_escape, table_to_latex
from reportgen.report.document import Figure as DocFigure
from reportgen.report.document import Table as DocTable


def _figures() -> dict:
    return {
        "confusion_matrix": F.confusion_matrix_figure({"confusion_matrix": [[8, 2], [1, 9]]}),
        "top_words_spam": F.top_words_figure([{"word": "free", "count": 3, "mean_score": 0.7}], "spam"),
    }


def _tables() -> dict:
    return {
        "metrics": pd.DataFrame({"Metric": ["accuracy", "f1"], "Value": [0.85, 0.8125]}),
        "top_words_spam": pd.DataFrame({"Word": ["free", "{{ 7*7 }}", "50%_off\\now"], "E-mails": [3, 2, 1],
                                        "Mean score": [0.7, 0.31, -0.05]}),
    }


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_export_assets_writes_svg_pdf_csv_tex(tmp_path: Path) -> None:
    assets = export_assets(_figures(), _tables(), tmp_path)
    assert assets == tmp_path / "assets"
    assert sorted(p.name for p in assets.iterdir()) == [
        "confusion_matrix.pdf", "confusion_matrix.svg", "metrics.csv", "metrics.tex",
        "top_words_spam.csv", "top_words_spam.pdf", "top_words_spam.svg", "top_words_spam.tex",
    ]
    assert (assets / "confusion_matrix.svg").read_text(encoding="utf-8").startswith("<?xml")
    reader = PdfReader(assets / "confusion_matrix.pdf")
    assert len(reader.pages) == 1
    assert "/CreationDate" not in (reader.metadata or {})
    assert "Confusion matrix" in reader.pages[0].extract_text()  # text, not outlines: searchable in a paper


def test_csv_round_trips(tmp_path: Path) -> None:
    tables = _tables()
    assets = export_assets({}, tables, tmp_path)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(pd.read_csv(assets / f"{name}.csv"), frame)


def test_latex_is_escaped_booktabs(tmp_path: Path) -> None:
    tex = (export_assets({}, _tables(), tmp_path) / "top_words_spam.tex").read_text(encoding="utf-8")
    assert r"\toprule" in tex and r"\bottomrule" in tex
    assert r"\{\{ 7*7 \}\}" in tex
    assert r"50\%\_off\textbackslash now" in tex
    assert "E-mails & Mean score" in tex
    assert "0.31" in tex and "-0.05" in tex


def test_latex_headers_are_escaped_once() -> None:
    tex = table_to_latex(pd.DataFrame({"Share %": [1.5], "a_b": ["x"]}))
    assert r"Share \% & a\_b \\" in tex


def test_latex_caption_is_escaped() -> None:
    tex = table_to_latex(pd.DataFrame({"a": [1]}), caption="Share of 5 % & more", label="tab:x")
    assert r"\caption{Share of 5 \% \& more}" in tex and r"\label{tab:x}" in tex
    assert latex_escape("~^$#") == r"\textasciitilde{}\textasciicircum{}\$\#"


def test_assets_are_byte_identical_across_runs(tmp_path: Path) -> None:
    first = _digests(export_assets(_figures(), _tables(), tmp_path / "one"))
    second = _digests(export_assets(_figures(), _tables(), tmp_path / "two"))
    assert first == second and len(first) == 8


def test_clashing_names_are_refused(tmp_path: Path) -> None:
    fig = F.roc_figure({"roc_auc": 0.9, "roc_curve": {"fpr": [0, 1], "tpr": [0, 1]}})
    with pytest.raises(ValueError, match="same file: a_b"):
        export_assets({"a b": fig, "a/b": fig}, {}, tmp_path)


class _Document:
    """What export_assets uses of reportgen.report.document.Report: figures, tables, explained e-mails."""

    def __init__(self, figures: list[DocFigure], tables: list[DocTable]) -> None:
        self._figures, self._tables = figures, tables
        self.samples: list = []  # no e-mail cards, so no coloured-words figures

    def figures(self) -> list[DocFigure]:
        return self._figures

    def tables(self) -> list[DocTable]:
        return self._tables


def test_export_assets_from_a_document(tmp_path: Path) -> None:
    figure = F.confusion_matrix_figure({"confusion_matrix": [[1, 0], [0, 1]]})
    document = _Document(
        [DocFigure(name="confusion_matrix", caption="How often it is right.", alt="matrix", figure=figure)],
        [DocTable(name="row-00003-modality", caption="Text vs image (5 % gap).", columns=["Estimator", "Text"],
                  rows=[["Shapley", 1.25], ["IG", None]])],
    )
    assets = export_assets(document, tmp_path)
    assert sorted(p.name for p in assets.iterdir()) == [
        "confusion_matrix.pdf", "confusion_matrix.svg", "row-00003-modality.csv", "row-00003-modality.tex"]
    tex = (assets / "row-00003-modality.tex").read_text(encoding="utf-8")
    assert r"\caption{Text vs image (5 \% gap).}" in tex and r"\label{tab:row-00003-modality}" in tex
    assert (assets / "row-00003-modality.csv").read_text(encoding="utf-8") == "Estimator,Text\nShapley,1.25\nIG,\n"


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(tmp_path: Path) -> None:
    # E-mail words reach the exported word tables; opened in Excel/LibreOffice, a cell starting
    # with = + - @ (or a tab/CR) runs as a formula (OWASP "CSV injection"). Numbers stay numbers.
    import csv

    words = ['=HYPERLINK("http://evil.invalid/x","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
             "\t=1+1", "\r=1+1", "-0.25", "+3", "-", "free"]
    table = pd.DataFrame({"Word": words, "E-mails": list(range(len(words))), "Mean score": [-0.5] * len(words)})
    assets = export_assets({}, {"top_words_spam": table}, tmp_path)
    with open(assets / "top_words_spam.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == len(words) + 1, "quoted line breaks stay inside their cell"
    cells = [row[0] for row in rows[1:]]
    assert cells == ["'" + w.replace("\r", "\n") for w in words[:6]] + ["-0.25", "+3", "'-", "free"]
    assert [row[2] for row in rows[1:]] == ["-0.5"] * len(words), "numeric columns are written as numbers"
    # The LaTeX copy is for typesetting, not a spreadsheet: it keeps the words as they are (escaped).
    tex = (assets / "top_words_spam.tex").read_text(encoding="utf-8")
    assert r"@SUM(A1:A9)" in tex and "'@SUM" not in tex
