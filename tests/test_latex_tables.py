"""LaTeX tables for papers: one fixed number of decimals per numeric column (siunitx-friendly)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from reportgen.report.assets import table_to_latex
from reportgen.report.build import build_document
from tests.results_fixture import make_results

_NUMBER = re.compile(r"^-?\d+(?:\.(\d+))?$")


def _body(latex: str) -> list[list[str]]:
    """The cells of a booktabs table's body rows (an escaped \\& is not a column break)."""
    body = latex.split("\\midrule\n", 1)[1].split("\\bottomrule", 1)[0]
    return [[cell.strip() for cell in re.split(r"(?<!\\)&", line.rstrip().removesuffix("\\\\"))]
            for line in body.strip().splitlines()]


def _decimals_per_column(latex: str) -> dict[int, set[int]]:
    """Column index → the set of decimal counts of its numeric cells."""
    found: dict[int, set[int]] = {}
    for row in _body(latex):
        for index, cell in enumerate(row):
            match = _NUMBER.match(cell)
            if match:
                found.setdefault(index, set()).add(len(match.group(1) or ""))
    return found


@pytest.fixture(scope="module")
def document():
    return build_document(make_results(hostile=True), keep_figures=False)


def test_every_numeric_column_of_every_report_table_has_one_decimal_count(document):
    tables = list(document.tables())
    assert len(tables) >= 5
    checked = 0
    for table in tables:
        latex = table_to_latex(pd.DataFrame(table.rows, columns=table.columns), table.caption, f"tab:{table.name}")
        for column, decimals in _decimals_per_column(latex).items():
            assert len(decimals) == 1, f"{table.name}, column {table.columns[column]!r}: decimals {sorted(decimals)}"
            checked += 1
    assert checked >= 10


def test_decimals_follow_the_largest_value_and_integers_stay_integers():
    table = pd.DataFrame({"Word": ["a_b", "c & d"], "E-mails": [3, 12], "Score": [0.0123, -1.5],
                          "AUC": [0.5, "n/a"], "Tiny": [-0.00001, 0.0]})
    latex = table_to_latex(table)
    rows = _body(latex)
    assert rows[0] == ["a\\_b", "3", "0.012", "0.5000", "-0.000010"]
    assert rows[1] == ["c \\& d", "12", "-1.500", "n/a", "0.000000"]
    assert "\\begin{tabular}{lrrrr}" in latex  # numbers right-aligned, so equal decimals line up


def test_a_negative_zero_is_written_without_its_sign():
    latex = table_to_latex(pd.DataFrame({"Score": [-0.00004, 2.0]}))
    assert _body(latex) == [["0.000"], ["2.000"]]
