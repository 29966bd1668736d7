"""Paper-appendix assets: every report figure as SVG + PDF and every table as CSV + LaTeX.

Files are named as the report's blocks: aggregate ones by what they show (``roc.svg``), an explained
e-mail's by its data row (``row-00042-image_ig.svg``, ``row-00042-modality.csv``), plus each e-mail's
words coloured by their score as a figure (``row-00042-words.svg``/``.pdf``), drawn in the page's colours.

``reportgen render/run --export-assets`` writes them under ``DIR/assets/``; the files are
deterministic (no timestamps, salted SVG ids), so re-running on the same results.json gives the same
bytes and a diff of two asset folders shows only real changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from reportgen.report.figures import coloured_words_figure, figure_to_pdf_bytes, figure_to_svg

if TYPE_CHECKING:  # pandas and the document model are only needed when assets are written
    import pandas as pd
    from matplotlib.figure import Figure

    from reportgen.report.document import Report

__all__ = ["ASSETS_DIRNAME", "coloured_words_figures", "csv_safe", "export_assets", "latex_escape", "table_to_latex",
           "write_assets"]

#: Sub-folder of the output directory that receives the assets.
ASSETS_DIRNAME = "assets"

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_LATEX_RE = re.compile("|".join(re.escape(c) for c in _LATEX_SPECIALS))


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters so ``text`` prints literally (e-mail words are hostile)."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIALS[m.group()], str(text))


#: A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """``value`` for a CSV cell a spreadsheet will not run: a text that starts like a formula gets a ``'``.

    E-mail words, file names and paths reach the exported tables; opened in a spreadsheet,
    ``=HYPERLINK("http://…")`` would be a live formula. Following the OWASP rule, text starting
    with ``= + - @``, a tab or a carriage return is prefixed with a single quote, unless it is a
    plain number such as ``-0.25``. Non-text values are returned unchanged.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    # float() also accepts surrounding whitespace ("\t1"): only a bare number stays as it is.
    return value if value == value.strip() else "'" + value


def _csv_cell(value: Any) -> Any:
    """:func:`csv_safe`, and a carriage return as a line feed (Python's csv module quotes a cell
    with a line feed, but a bare carriage return would end the row in a spreadsheet)."""
    value = csv_safe(value)
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def _stem(name: str) -> str:
    """A safe file stem from an asset name (names come from the document, never from e-mails)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    if not stem:
        raise ValueError(f"asset name {name!r} has no usable characters for a file name")
    return stem


def table_to_latex(table: pd.DataFrame, caption: str | None = None, label: str | None = None) -> str:
    """A booktabs LaTeX table of ``table`` with every cell and header escaped.

    Args:
        table: the data (index is not written).
        caption: optional caption (escaped); with it the output is a floating ``table`` environment.
        label: optional ``\\label`` (only used with a caption).

    Returns:
        LaTeX source needing ``\\usepackage{booktabs}``. Every numeric column has one fixed number of
        decimals (enough for 4 significant digits of its largest value; integers none), so it lines up
        and siunitx's ``S`` columns read it as is.
    """
    # Numbers become text with one fixed number of decimals per column, so that a column lines up on
    # its decimal point and siunitx's S columns read it as is. escape=True escapes cells and headers
    # alike (headers must not be escaped a second time).
    fixed = table.apply(_fixed_precision)
    return fixed.to_latex(
        index=False, escape=True, na_rep="", column_format=_column_format(table),
        caption=latex_escape(caption) if caption else None, label=label if caption else None,
        position="htbp" if caption else None,
    )


#: Significant digits the largest magnitude of a LaTeX column keeps; decimals are capped at 6.
_LATEX_SIGNIFICANT = 4
_LATEX_MAX_DECIMALS = 6


def _is_number(value: Any) -> bool:
    import math
    import numbers

    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and not (isinstance(value, float) and math.isnan(value)))


def _fixed_precision(column: pd.Series) -> pd.Series:
    """A column's numbers as text with the same decimals: enough for :data:`_LATEX_SIGNIFICANT` digits of its
    largest magnitude (integer columns keep none); text cells (``n/a``) stay as they are."""
    import math
    import numbers

    values = [v for v in column if _is_number(v)]
    if not values:
        return column
    if all(isinstance(v, numbers.Integral) for v in values):
        decimals = 0
    else:
        largest = max(abs(float(v)) for v in values)
        exponent = math.floor(math.log10(largest)) if largest > 0 else 0
        decimals = min(max(_LATEX_SIGNIFICANT - 1 - exponent, 0), _LATEX_MAX_DECIMALS)

    def fixed(value: Any) -> Any:
        if not _is_number(value):
            return value
        if isinstance(value, numbers.Integral) and decimals == 0:
            return str(int(value))
        text = f"{float(value):.{decimals}f}"
        return text.lstrip("-") if float(text) == 0 else text  # no "-0.000"

    return column.map(fixed).astype(object)


def _column_format(table: pd.DataFrame) -> str:
    """Numeric columns right-aligned (on the decimal point, given fixed decimals), text left."""
    return "".join("r" if any(_is_number(v) for v in table[c]) else "l" for c in table.columns)


def write_assets(figures: Mapping[str, Figure], tables: Mapping[str, pd.DataFrame], out_dir: Path, *,
                 captions: Mapping[str, str] | None = None) -> Path:
    """Write ``assets/<name>.svg`` and ``.pdf`` per figure and ``assets/<name>.csv`` and ``.tex`` per table.

    CSV cells that a spreadsheet would run as a formula are neutralised (:func:`csv_safe`).

    Args:
        figures: name → matplotlib figure.
        tables: name → DataFrame (columns as headers; the index is not written).
        out_dir: the report folder; files go to ``out_dir/assets/``.
        captions: optional name → caption for the LaTeX tables.

    Returns:
        The assets folder.

    Raises:
        ValueError: if two figures or two tables map to the same file name (a programming error).
    """
    assets = Path(out_dir) / ASSETS_DIRNAME
    assets.mkdir(parents=True, exist_ok=True)
    captions = captions or {}
    for kind, names in (("figure", figures), ("table", tables)):
        stems = [_stem(n) for n in names]
        clashes = sorted({s for s in stems if stems.count(s) > 1})
        if clashes:
            raise ValueError(f"two {kind}s would be written to the same file: {', '.join(clashes)}")
    for name, fig in figures.items():
        stem = _stem(name)
        # Salt ids per figure so SVGs can be inlined side by side without id clashes.
        (assets / f"{stem}.svg").write_text(figure_to_svg(fig, salt=f"reportgen-{stem}"), encoding="utf-8",
                                            newline="\n")
        (assets / f"{stem}.pdf").write_bytes(figure_to_pdf_bytes(fig))
    for name, table in tables.items():
        stem = _stem(name)
        safe = table.apply(lambda column: column.map(_csv_cell)).set_axis([_csv_cell(c) for c in table.columns], axis=1)
        (assets / f"{stem}.csv").write_text(safe.to_csv(index=False, lineterminator="\n"), encoding="utf-8",
                                            newline="\n")
        (assets / f"{stem}.tex").write_text(table_to_latex(table, captions.get(name), f"tab:{stem}"),
                                            encoding="utf-8", newline="\n")
    return assets


def coloured_words_figures(document: Report) -> dict[str, Figure]:
    """Each explained e-mail's words on their page colours as a figure, by block name (``row-00042-words``).

    The page shows them as coloured HTML text, which a paper cannot include; the figure is drawn
    from the same spans, so its colours, legend and noise floor are the page's.
    """
    from dataclasses import asdict

    from reportgen.report.document import HighlightedText

    return {block.name: coloured_words_figure([asdict(span) for span in block.spans],
                                              [asdict(stop) for stop in block.legend], title=sample.title,
                                              legend_title=block.legend_title, unread=block.unread)
            for sample in document.samples for block in sample.blocks if isinstance(block, HighlightedText)}


@overload
def export_assets(document: Report, out_dir: Path, /) -> Path: ...


@overload
def export_assets(figures: Mapping[str, Figure], tables: Mapping[str, pd.DataFrame], out_dir: Path, /) -> Path: ...


def export_assets(first: Any, second: Any, out_dir: Path | None = None, /) -> Path:
    """Write the report's figures (SVG, PDF) and tables (CSV, LaTeX) under ``out_dir/assets/``.

    Two call forms:

    * ``export_assets(document, out_dir)``: every figure and table of a
      :class:`reportgen.report.document.Report` (what ``render_report(..., export_assets=True)`` does)
      and each e-mail's coloured words (:func:`coloured_words_figures`); table captions become
      LaTeX captions.
    * ``export_assets(figures, tables, out_dir)``: name → Figure and name → DataFrame dicts.

    Returns:
        The assets folder.
    """
    if out_dir is not None:
        return write_assets(first, second, Path(out_dir))
    import pandas as pd

    document = first
    figures = {f.name: f.figure for f in document.figures() if f.figure is not None}
    figures.update(coloured_words_figures(document))
    tables = {t.name: pd.DataFrame(t.rows, columns=t.columns) for t in document.tables()}
    captions = {t.name: t.caption for t in document.tables()}
    return write_assets(figures, tables, Path(second), captions=captions)
