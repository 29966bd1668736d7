"""Helpers every section shares: number wording, modality shares, chart blocks, settings tables."""

from __future__ import annotations

from statistics import median as _statistics_median
from typing import Any

from matplotlib.figure import Figure as MplFigure

from reportgen.analysis.aggregate import text_share as _text_share
from reportgen.analysis.aggregate import verdict_label
from reportgen.names import ESTIMATORS
from reportgen.report.document import RASTER_DPI, Figure
from reportgen.report.figures import figure_to_data_uri

#: Per estimator key: the text's share of one sample's decision (``None`` when undefined).
Shares = dict[str, float | None]


def pct(value: float | None, decimals: int = 0) -> str:
    """``0.66`` → ``"66 %"`` (``"n/a"`` for ``None``)."""
    # A no-break space keeps "66 %" on one line.
    return "n/a" if value is None else f"{100 * value:.{decimals}f}\u00a0%"


def shares(modality: dict[str, Any]) -> Shares:
    """Text share per estimator, by the same rule as the aggregate (reportgen.analysis.aggregate.text_share)."""
    return {key: _text_share(modality[key]) for key in ESTIMATORS}


def dominant(share: float | None) -> str:
    """"text", "image", "balanced" or "n/a", by the aggregate's thresholds."""
    return {"text-dominant": "text", "image-dominant": "image", "balanced": "balanced"}.get(verdict_label(share), "n/a")


def mean(values: list[float | None]) -> float | None:
    """Mean of the values that are not ``None`` (``None`` when there are none)."""
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def median(values: list[float | None]) -> float | None:
    """Median of the values that are not ``None`` (``None`` when there are none)."""
    kept = [v for v in values if v is not None]
    return _statistics_median(kept) if kept else None


def is_word(text: str) -> bool:
    """True when ``text`` has a letter or digit (punctuation tokens are not words to a reader)."""
    return any(ch.isalnum() for ch in text)


def chart(name: str, caption: str, alt: str, fig: MplFigure, *, keep: bool, wide: bool = False,
          raster: bool = False) -> Figure:
    """A :class:`Figure` block holding ``fig`` as a ``data:`` URI.

    Args:
        name: file stem for exported assets.
        caption: one sentence for the reader.
        alt: alternative text.
        fig: the matplotlib figure.
        keep: keep ``fig`` on the block (asset export needs it); otherwise its memory is freed now.
        wide: let the figure use the full page width.
        raster: PNG at :data:`RASTER_DPI` (per-sample figures) instead of SVG.
    """
    # An <img> with a data: URI, not inline <svg>: nothing in the picture can become live markup in
    # the page, and the CSP's img-src data: allows exactly this.
    width_px = None
    if raster:
        src = figure_to_data_uri(fig, "png", dpi=RASTER_DPI)
        width_px = round(float(fig.get_size_inches()[0]) * 96)
    else:
        src = figure_to_data_uri(fig, "svg")
    if not keep:
        # Free the figure's memory now (not at the next garbage collection): a 100-sample report
        # draws hundreds of figures.
        fig.clear()
    return Figure(name=name, caption=caption, alt=alt, src=src, figure=fig if keep else None, wide=wide,
                  width_px=width_px)


def flatten(value: Any, prefix: str = "") -> list[list[Any]]:
    """Nested dicts as (dotted key, value) rows, sorted for determinism."""
    rows: list[list[Any]] = []
    if isinstance(value, dict):
        for key in sorted(value):
            rows.extend(flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, item in enumerate(value):
            rows.extend(flatten(item, f"{prefix}[{i}]"))
    else:
        text = "null" if value is None else ", ".join(map(str, value)) if isinstance(value, list) else value
        rows.append([prefix, text if isinstance(text, (int, float)) and not isinstance(text, bool) else str(text)])
    return rows
