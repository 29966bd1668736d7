"""Serialise a figure deterministically (same figure → same bytes): SVG, PNG, WebP, PDF, ``data:`` URI."""

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

#: Colours of the palette the per-sample charts are reduced to (the page's lossless WebP; palette PNG on request).
PALETTE_COLOURS = 256

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


def _drawn(fig: Figure, dpi: int) -> Any:
    """``fig`` rasterised at ``dpi`` as an RGB PIL image (its face is opaque white: alpha carries nothing)."""
    from PIL import Image

    buffer = io.BytesIO()
    with _save_context("reportgen"):
        # Agg's own pixel buffer: no PNG to write and read back.
        fig.savefig(buffer, format="rgba", **{**_SAVE_OPTIONS, "dpi": dpi})
    # Agg sizes its canvas as int(size in inches × dpi), as matplotlib's PNG writer does.
    width, height = (int(side * dpi) for side in fig.get_size_inches())
    return Image.frombuffer("RGBA", (width, height), buffer.getbuffer(), "raw", "RGBA", 0, 1).convert("RGB")


def _palette(image: Any, colours: int) -> Any:
    """``image`` reduced to ``colours`` colours (an octree palette, no dithering), back in RGB mode.

    A report figure is a few flat colours, anti-aliased text and a colour map: 256 octree colours keep
    every pixel within a few levels of the original (tested) at a third of the PNG size. Octree is fast
    (~10 ms a figure) and closer to the original than median cut; dithered text would look grainy.
    """
    from PIL import Image

    if not 2 <= colours <= 256:
        raise ValueError(f"colours must be between 2 and 256, not {colours}")
    return image.quantize(colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)


def figure_to_png_bytes(fig: Figure, dpi: int = 150, *, colours: int | None = None) -> bytes:
    """Serialise ``fig`` as PNG (deterministic: no timestamp is written).

    Args:
        fig: the figure.
        dpi: resolution.
        colours: ``None`` for a full-colour PNG; a number (at most 256) for an 8-bit palette PNG of
            that many colours, about a third of the size.
    """
    if colours is None:
        buffer = io.BytesIO()
        with _save_context("reportgen"):
            fig.savefig(buffer, format="png", **{**_SAVE_OPTIONS, "dpi": dpi})
        return buffer.getvalue()
    out = io.BytesIO()
    _palette(_drawn(fig, dpi), colours).save(out, format="PNG", optimize=True)
    return out.getvalue()


def figure_to_webp_bytes(fig: Figure, dpi: int = 150, *, colours: int = PALETTE_COLOURS) -> bytes:
    """Serialise ``fig`` as lossless WebP of at most ``colours`` colours (deterministic).

    The per-sample charts of a report: libwebp's lossless mode stores a palette image about a fifth
    smaller than an optimised palette PNG and encodes it faster (method 2: ~25 ms a figure). Every
    current browser shows WebP, and WeasyPrint reads it through Pillow, so the PDF gets the same pixels.
    """
    return _webp(_drawn(fig, dpi), colours)


def _webp(image: Any, colours: int) -> bytes:
    out = io.BytesIO()
    _palette(image, colours).convert("RGB").save(out, format="WEBP", lossless=True, quality=50, method=2, exact=True)
    return out.getvalue()


def _jpeg(image: Any, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, subsampling=0)
    return out.getvalue()


def figure_to_pdf_bytes(fig: Figure) -> bytes:
    """Serialise ``fig`` as a vector PDF without a creation date (byte-identical across runs)."""
    buffer = io.BytesIO()
    with _save_context("reportgen"):
        fig.savefig(buffer, format="pdf", metadata={"CreationDate": None}, **_SAVE_OPTIONS)
    return buffer.getvalue()


def figure_to_jpeg_bytes(fig: Figure, dpi: int = 150, *, quality: int = 90) -> bytes:
    """Serialise ``fig`` as a baseline JPEG without chroma subsampling (deterministic).

    The PDF's copy of a per-sample chart: WeasyPrint copies a JPEG into the PDF as it is, where it
    decodes and re-compresses every PNG or WebP twice (a tenth of a second per figure, most of the
    PDF time of a large report). Full-resolution colour (4:4:4) and quality 90 keep coloured lines
    and small text sharp at 150 dpi.
    """
    return _jpeg(_drawn(fig, dpi), quality)


def figure_to_raster_data_uris(fig: Figure, dpi: int = 150, *, colours: int = PALETTE_COLOURS) -> tuple[str, str]:
    """One drawing of ``fig`` as two ``data:`` URIs: lossless palette WebP (screen) and JPEG (print).

    The HTML page carries the small WebP (:func:`figure_to_webp_bytes`); the PDF gets the JPEG
    (:func:`figure_to_jpeg_bytes`), which WeasyPrint embeds without re-encoding. The figure is drawn
    once: drawing costs ten times more than either encoding.

    Returns:
        ``(webp_uri, jpeg_uri)``.
    """
    image = _drawn(fig, dpi)
    return (f"data:image/webp;base64,{base64.b64encode(_webp(image, colours)).decode('ascii')}",
            f"data:image/jpeg;base64,{base64.b64encode(_jpeg(image)).decode('ascii')}")


def figure_to_data_uri(fig: Figure, fmt: Literal["svg", "png", "webp", "jpeg"] = "svg", dpi: int = 150, *,
                       colours: int | None = None) -> str:
    """``fig`` as a ``data:`` URI (base64) for an ``<img src>`` in a self-contained HTML/PDF.

    Args:
        fig: the figure.
        fmt: ``"svg"`` (vector, default), ``"png"``, ``"webp"`` (lossless palette) or ``"jpeg"``
            (rasters at ``dpi``).
        dpi: resolution of the rasters.
        colours: for PNG, an 8-bit palette of this many colours (see :func:`figure_to_png_bytes`);
            for WebP, at most this many colours (default :data:`PALETTE_COLOURS`).
    """
    if fmt == "svg":
        payload, mime = figure_to_svg(fig).encode("utf-8"), "image/svg+xml"
    elif fmt == "png":
        payload, mime = figure_to_png_bytes(fig, dpi=dpi, colours=colours), "image/png"
    elif fmt == "webp":
        payload, mime = figure_to_webp_bytes(fig, dpi=dpi, colours=colours or PALETTE_COLOURS), "image/webp"
    elif fmt == "jpeg":
        payload, mime = figure_to_jpeg_bytes(fig, dpi=dpi), "image/jpeg"
    else:
        raise ValueError(f"fmt must be 'svg', 'png', 'webp' or 'jpeg', not {fmt!r}")
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"
