"""The report: results.json → typed view model → HTML (Jinja2) → PDF (WeasyPrint), plus paper assets."""
