"""Serialise a figure deterministically (same figure → same bytes): SVG, PNG, PDF, ``data:`` URI."""

from __future__ import annotations

import base64
import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from matplotlib.figure import Figure

from reportgen.report.figures.style import rc_params

#: savefig settings that would otherwise come from the user's matplotlibrc (savefig.*).
#: (bbox_inches=None would mean "use savefig.bbox", so that one is pinned in _save_context instead.)
_SAVE_OPTIONS: dict[str, Any] = {"dpi": "figure", "facecolor": "white", "edgecolor": "white", "transparent": False}


@contextmanager
def _save_context(salt: str) -> Iterator[None]:
    # Salted ids and glyphs as paths: identical bytes on every run and on machines without the font.
    # Glyphs no installed font has show as boxes in tick labels; reportgen.fonts has already said so
    # once (stderr and the report's summary): one warning per glyph per figure would bury real ones.
    rc = {"svg.hashsalt": salt, "svg.fonttype": "path", "pdf.fonttype": 42, "savefig.bbox": "standard"}
    with rc_params(rc), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        yield


_HASHED_ID = re.compile(r'id="((?:m|p|h|image|C[0-9a-f]+_[0-9a-f]+_)[0-9a-f]{10})"')


def _renumber_svg_ids(svg: str, salt: str) -> str:
    """Replace matplotlib's hashed element ids by ``<salt>-<n>`` in order of appearance.

    The hashes cover full-precision floats (e.g. clip rectangles), whose last bits can depend on
    what the process drew before, so the same figure could get other ids in another run.
    """
    old_ids = list(dict.fromkeys(_HASHED_ID.findall(svg)))
    if not old_ids:
        return svg
    prefix = re.sub(r"[^A-Za-z0-9_-]", "_", salt)
    if not prefix[:1].isalpha():
        prefix = "f" + prefix
    mapping = {old: f"{prefix}-{n}" for n, old in enumerate(old_ids)}
    pattern = re.compile(r'(?<=id=")(?:%s)(?=")|(?<=#)(?:%s)(?=[")])' % ("|".join(old_ids), "|".join(old_ids)))
    return pattern.sub(lambda m: mapping[m.group()], svg)


def figure_to_svg(fig: Figure, *, salt: str = "reportgen", inline: bool = False) -> str:
    """Serialise ``fig`` as SVG text, byte-identical across runs.

    Args:
        fig: the figure.
        salt: prefix of the element ids (``<salt>-<n>``, also matplotlib's ``svg.hashsalt``); give
            each figure of one HTML page its own salt when several SVGs are inlined, so their ids
            cannot collide.
        inline: drop the XML declaration and DOCTYPE so the ``<svg>`` element can sit inside HTML.

    Returns:
        The SVG document (or element) as text.
    """
    buffer = io.StringIO()
    with _save_context(salt):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, **_SAVE_OPTIONS)
    text = _renumber_svg_ids(buffer.getvalue(), salt)
    if inline:
        text = text[text.index("<svg"):]
    return text


def figure_to_png_bytes(fig: Figure, dpi: int = 150) -> bytes:
    """Serialise ``fig`` as PNG (deterministic: no timestamp is written)."""
    buffer = io.BytesIO()
    with _save_context("reportgen"):
        fig.savefig(buffer, format="png", **{**_SAVE_OPTIONS, "dpi": dpi})
    return buffer.getvalue()


def figure_to_pdf_bytes(fig: Figure) -> bytes:
    """Serialise ``fig`` as a vector PDF without a creation date (byte-identical across runs)."""
    buffer = io.BytesIO()
    with _save_context("reportgen"):
        fig.savefig(buffer, format="pdf", metadata={"CreationDate": None}, **_SAVE_OPTIONS)
    return buffer.getvalue()


def figure_to_data_uri(fig: Figure, fmt: Literal["svg", "png"] = "svg", dpi: int = 150) -> str:
    """``fig`` as a ``data:`` URI (base64) for an ``<img src>`` in a self-contained HTML/PDF.

    Args:
        fig: the figure.
        fmt: ``"svg"`` (vector, default) or ``"png"`` (raster at ``dpi``).
        dpi: resolution for PNG.
    """
    if fmt == "svg":
        payload, mime = figure_to_svg(fig).encode("utf-8"), "image/svg+xml"
    elif fmt == "png":
        payload, mime = figure_to_png_bytes(fig, dpi=dpi), "image/png"
    else:
        raise ValueError(f"fmt must be 'svg' or 'png', not {fmt!r}")
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"
