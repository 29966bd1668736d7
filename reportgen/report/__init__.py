"""The report: results.json → typed view model → HTML (Jinja2) → PDF (WeasyPrint), plus paper assets.

* :mod:`.document`: the view model (blocks, sections, :class:`Report`), no HTML;
* :mod:`.build`: :func:`build_document`, results.json → :class:`Report`;
* :mod:`.sections`: one module per section of the report;
* :mod:`.figures`: the matplotlib charts;
* :mod:`.render`: :func:`render_report`, HTML and PDF; :mod:`.assets`: SVG/PDF/CSV/LaTeX exports;
* the top-level ``templates/`` and ``static/`` (shipped inside this package in the wheel): the
  Jinja2 templates and the stylesheet.
"""

from reportgen.report.build import build_document
from reportgen.report.document import Report
from reportgen.report.render import parse_formats, render_report

__all__ = ["Report", "build_document", "parse_formats", "render_report"]
