"""The report: results.json → typed view model → HTML (Jinja2) → PDF (WeasyPrint), plus paper assets.

* :mod:`.document`: the view model (blocks, sections, :class:`Report`), no HTML;
* :mod:`.build`: :func:`build_document`, results.json → :class:`Report`;
* :mod:`.sections`: one module per section of the report;
* :mod:`.figures`: the matplotlib charts;
* :mod:`.render`: :func:`render_report`, HTML and PDF; :mod:`.assets`: SVG/PDF/CSV/LaTeX exports;
* :mod:`.wording`: plain sentences and counts (no heavy imports);
* the top-level ``templates/`` and ``static/`` (shipped inside this package in the wheel): the
  Jinja2 templates and the stylesheet.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["Report", "build_document", "parse_formats", "render_report"]

# Imported on first use (PEP 562): importing a light submodule such as .wording from the analysis
# layer must not load matplotlib with the builders.
_EXPORTS = {"Report": "document", "build_document": "build", "parse_formats": "render", "render_report": "render"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
