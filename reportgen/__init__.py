"""reportgen: explainability reports (HTML, PDF, results.json) for multimodal text+image classifiers.

The public API follows the command line's steps — load, analyse, save, render::

    import reportgen

    inputs = reportgen.load("checkpoint-939/", "EDP.csv", "pics/", tokenizer="bert-base-multilingual-cased",
                            split="fold:1")
    results = reportgen.analyze(inputs, samples="3:3", ig_steps=32)
    reportgen.save(results, "out/results.json")
    reportgen.render(results, "out/", formats=("html", "pdf"))

Every keyword is an option of :mod:`reportgen.options` (the same names as the command line's, with
underscores). Problems with the inputs raise :class:`reportgen.errors.ReportgenError` with a
one-line message. Heavy modules (torch, WeasyPrint) are imported on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.version import __version__
__all__ = ["load", "analyze", "save", "render", "__version__"]

if TYPE_CHECKING:
    from reportgen.inputs import Inputs


def load(checkpoint: str | Path, data: str | Path, images: str | Path, **options: Any) -> Inputs:
    """Load the model, its preprocessing and the dataset (:class:`reportgen.options.LoadOptions` and
    :class:`reportgen.options.DataOptions` keywords: ``tokenizer``, ``split``, ``rows``, …)."""
    from reportgen.inputs import load_inputs
    from reportgen.options import DataOptions, LoadOptions

    values = {"checkpoint": str(checkpoint), "data": str(data), "images": str(images), **options}
    known = set(LoadOptions.__dataclass_fields__) | set(DataOptions.__dataclass_fields__)
    _reject_unknown(options, known, "load")
    return load_inputs(LoadOptions.from_kwargs(values), DataOptions.from_kwargs(values))


def analyze(inputs: Inputs, *, command: str = "reportgen.analyze()", progress: bool = True,
            redact_paths: bool = False, **options: Any) -> dict[str, Any]:
    """Predict every loaded e-mail and explain the selected ones → the results dict (results.json).

    Keywords: the fields of :class:`reportgen.options.SelectionOptions`, ``ExplainOptions`` and
    ``SummaryOptions`` (``samples``, ``explain_rows``, ``ig_steps``, ``top_k``, …), ``seed`` and
    ``deterministic``; ``redact_paths=True`` cuts every local path in the results to its last part,
    as the command line's ``--redact-paths`` does (for results and reports shared off this machine).
    ``methods=("gradient_shap",)`` turns on explanation methods that are off by default, as
    ``--method`` does (:data:`reportgen.options.OPTIONAL_METHODS` lists them).
    """
    from reportgen.analysis.pipeline import run_analysis
    from reportgen.options import AnalysisOptions, ExplainOptions, SelectionOptions, SummaryOptions
    from reportgen.results.redact import redact_paths as redact

    known = {"seed", "deterministic"}
    for group in (SelectionOptions, ExplainOptions, SummaryOptions):
        known |= set(group.__dataclass_fields__)
    _reject_unknown(options, known, "analyze")
    results = run_analysis(inputs, AnalysisOptions.from_kwargs(options), command=command, progress=progress)
    return redact(results) if redact_paths else results


def save(results: dict[str, Any], path: str | Path) -> None:
    """Validate ``results`` against the published schema and write it (atomically) to ``path``."""
    from reportgen.results.io import save_results

    save_results(results, Path(path))


def render(results: dict[str, Any], out: str | Path, formats: tuple[str, ...] = ("html", "pdf"), *,
           deterministic: bool = False) -> dict[str, Path]:
    """Render ``report.html`` / ``report.pdf`` into folder ``out``; returns the written paths by format."""
    from reportgen.report.render import render_report

    return render_report(results, Path(out), formats, deterministic=deterministic)


def _reject_unknown(options: dict[str, Any], known: set[str], where: str) -> None:
    from reportgen.errors import ReportgenError

    unknown = sorted(set(options) - known)
    if unknown:
        raise ReportgenError(f"reportgen.{where}(): unknown option {unknown[0]!r}")
