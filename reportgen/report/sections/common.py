"""Helpers every section shares: number wording, modality shares, chart blocks, settings tables."""

from __future__ import annotations

import re
from typing import Any

from matplotlib.figure import Figure as MplFigure

from reportgen.report.document import RASTER_DPI, Figure
from reportgen.report.figures import figure_to_data_uri
from reportgen.report.figures.save import figure_to_raster_data_uris
from reportgen.results.redact import last_part

#: The report's one colour scale: ``{"limit", "noise_floor"}`` in log-odds (results.json
#: ``aggregate.colour_scale``).
ColourScale = dict[str, float]


def pct(value: float | None, decimals: int = 0) -> str:
    """``0.66`` → ``"66 %"`` (``"n/a"`` for ``None``)."""
    # A no-break space keeps "66 %" on one line.
    return "n/a" if value is None else f"{100 * value:.{decimals}f}\u00a0%"


def colour_scale(results: dict[str, Any]) -> ColourScale:
    """The report's one colour scale (log-odds) and noise floor, from results.json ``aggregate.colour_scale``."""
    scale = results["aggregate"]["colour_scale"]
    return {"limit": float(scale["limit"]), "noise_floor": float(scale["noise_floor"])}


#: A well-formed BCP 47 tag as results.json holds them: a 2–3 letter language, then subtags
#: ("en", "zh-Hant", "pt-BR"); RFC 5646's rarer forms are not expected from a language column.
_LANGUAGE_TAG_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
#: BCP 47's tag for an undetermined language (the code analysis/language.py writes).
UNDETERMINED_LANGUAGE = "und"


def language_tag(code: Any) -> str:
    """The HTML ``lang`` value for a results.json language code: the code when it is a well-formed
    BCP 47 tag (``zh_CN`` is read as ``zh-CN``), else :data:`UNDETERMINED_LANGUAGE`.

    Undetermined is said, not left out: an e-mail without ``lang`` would inherit the page's
    ``lang="en"``, so a screen reader would read, say, Korean text with English pronunciation rules.
    ``und`` is BCP 47's own code for "undetermined" (``lang=""`` means the same in HTML but is not a tag).
    A language column may hold anything ("English", "?"): only well-formed tags are passed on.
    """
    text = str(code or "").strip().replace("_", "-")
    return text if _LANGUAGE_TAG_RE.fullmatch(text) else UNDETERMINED_LANGUAGE


def word_languages(samples: list[dict[str, Any]]) -> dict[str, str]:
    """The ``lang`` of each word of the explained e-mails, for the report's word lists and tables.

    A word takes its e-mail's tag (:func:`language_tag`); a word seen in e-mails of different (or
    undetermined) languages gets :data:`UNDETERMINED_LANGUAGE`. Only e-mails whose Integrated Gradients
    converged count: the aggregate word lists are computed from those alone.
    """
    tags: dict[str, set[str]] = {}
    for sample in samples:
        if sample["integrated_gradients"].get("flagged"):
            continue
        tag = language_tag(sample.get("language"))
        for word in sample["words"]:
            tags.setdefault(str(word["text"]), set()).add(tag)
    return {word: next(iter(found)) if len(found) == 1 else UNDETERMINED_LANGUAGE for word, found in tags.items()}


def file_name(path: str) -> str:
    """The last part of a path: the name a reader needs before the reproducibility appendix.

    A local path says nothing to a reader of a shared report and may say too much about the machine
    it ran on; the full path and the checkpoint's sha256 are in the reproducibility appendix. The
    same cut as ``--redact-paths`` (POSIX or Windows separators: results.json may come from another OS).
    """
    return last_part(path)


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
        raster: draw at :data:`RASTER_DPI` (per-sample figures) instead of SVG: a lossless palette
            WebP for the page and a JPEG for the PDF (``print_src``), from one drawing.
    """
    # An <img> with a data: URI, not inline <svg>: nothing in the picture can become live markup in
    # the page, and the CSP's img-src data: allows exactly this.
    width_px = None
    print_src = ""
    if raster:
        src, print_src = figure_to_raster_data_uris(fig, dpi=RASTER_DPI)
        width_px = round(float(fig.get_size_inches()[0]) * 96)
    else:
        src = figure_to_data_uri(fig, "svg")
    if not keep:
        # Free the figure's memory now (not at the next garbage collection): a 100-sample report
        # draws hundreds of figures.
        fig.clear()
    return Figure(name=name, caption=caption, alt=alt, src=src, figure=fig if keep else None, wide=wide,
                  width_px=width_px, print_src=print_src)


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
