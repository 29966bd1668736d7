"""Build the report's view model from results.json alone (no torch, no HTML).

:func:`build_document` puts the sections in reading order. The per-e-mail cards, whose charts are
most of a large report's drawing time, are drawn in worker processes while this process builds the
rest: matplotlib draws in single-threaded Python, so only processes use more than one core.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from reportgen.report.document import Report, SampleSection
from reportgen.report.sections.common import colour_scale, file_name
from reportgen.report.sections.methods import methods_section
from reportgen.report.sections.overview import overview_section
from reportgen.report.sections.reproducibility import reproducibility_section
from reportgen.report.sections.samples import (
    SampleInput,
    sample_section,
    samples_section,
)
from reportgen.report.sections.summary import summary_section
from reportgen.report.sections.trust import map_caveats, trust_section

#: Fewer samples than this are drawn in this process: starting worker processes would cost more.
PARALLEL_MIN_SAMPLES = 6
#: Most worker processes used (each holds its own matplotlib, ~100 MB).
MAX_WORKERS = 8
#: The figures' progress bar appears once drawing has taken this long: nothing flashes by for a
#: small report, and a picture refused at once leaves its one error line alone on stderr.
PROGRESS_DELAY_S = 0.5


def build_document(results: dict[str, Any], *, attention_layer: int | None = None,
                   attention_head: int | None = None, keep_figures: bool = True,
                   workers: int | None = None, progress: bool = False) -> Report:
    """Build the report's view model from a (validated) results dict.

    Args:
        results: a results.json dict (see reportgen/schema/results.schema.json).
        attention_layer: text layer for the per-sample attention heatmap; None = the layer stored in
            results.json (the analysis default: the last layer). Other layers show the [CLS] row.
        attention_head: head for the heatmap; only the head stored in results.json can be shown.
        keep_figures: keep each matplotlib Figure on its :class:`~reportgen.report.document.Figure`
            block (needed by :func:`reportgen.report.assets.export_assets`); False frees them once
            serialised. Kept figures are always drawn in this process.
        workers: processes that draw the per-sample cards; ``None`` = one per available CPU (at most
            :data:`MAX_WORKERS`) when there are at least :data:`PARALLEL_MIN_SAMPLES` samples, else
            1 (this process). The document is the same whatever the number.
        progress: a tqdm bar on stderr counting the e-mails whose figures are drawn.

    Returns:
        The :class:`~reportgen.report.document.Report`, sections in reading order: summary,
        aggregate, trust (when results.json holds trust checks), samples, methods, reproducibility.

    Raises:
        ResultsError: the requested attention layer/head is not in results.json.
        ValueError: ``workers`` is below 1.
    """
    colour = colour_scale(results)
    caveats = map_caveats(results)
    cards = [SampleInput(index=i, sample=s, methods=results["methods"], colour=colour,
                         attention_layer=attention_layer, attention_head=attention_head, keep_figures=keep_figures,
                         caveats=caveats)
             for i, s in enumerate(results["samples"])]
    with _drawing(cards, _worker_count(len(cards), workers, keep_figures), progress) as collect:
        summary = summary_section(results)
        overview = overview_section(results, keep_figures=keep_figures)
        trust = trust_section(results, keep_figures=keep_figures)
        samples = collect()
    model = results["model"]
    return Report(
        title="Spam detector explanation report",
        # File names only before the reproducibility appendix (it has the full paths and the sha256).
        subtitle=f"{file_name(model['path'])} on {file_name(results['dataset']['csv'])}",
        created=results["generator"].get("created"),
        sections=[summary, overview, *([trust] if trust else []), samples_section(samples),
                  methods_section(results, keep_figures=keep_figures),
                  reproducibility_section(results)],
        headline=results["aggregate"]["verdict"]["headline"],
    )


def _worker_count(n_samples: int, workers: int | None, keep_figures: bool) -> int:
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    # Figures handed back across processes would have to be pickled: asset export draws in-process.
    if keep_figures or n_samples == 0:
        return 1
    if workers is not None:
        return min(workers, n_samples)
    if n_samples < PARALLEL_MIN_SAMPLES:
        return 1
    from joblib import cpu_count

    # joblib's count honours CPU affinity and container (cgroup) quotas.
    return max(1, min(cpu_count(), MAX_WORKERS, n_samples))


@contextmanager
def _drawing(cards: list[SampleInput], workers: int,
             progress: bool = False) -> Iterator[Callable[[], list[SampleSection]]]:
    """Start drawing every card; the context yields a function that returns them in input order."""
    from tqdm.auto import tqdm

    def counted(sections: Iterable[SampleSection]) -> list[SampleSection]:
        return list(tqdm(sections, total=len(cards), desc="drawing figures", unit="e-mail",
                         disable=not progress or not cards, delay=PROGRESS_DELAY_S))

    if workers == 1:
        yield lambda: counted(sample_section(card) for card in cards)
        return
    from joblib import Parallel, delayed

    # joblib's default (loky) workers are fresh interpreters that never re-run the caller's
    # __main__ and share no threads or locks with it (a process that loaded torch runs OpenMP
    # threads a forked child would inherit), so this is safe under `reportgen`, `python -m`,
    # pytest and unguarded scripts alike. A generator result starts dispatching at once and
    # returns results in input order, whichever worker finished first.
    pending = Parallel(n_jobs=workers, return_as="generator", pre_dispatch="all")(
        delayed(sample_section)(card) for card in cards)
    try:
        yield lambda: counted(pending)
    finally:
        # After an error (or Ctrl-C) in this process: stop the remaining work instead of waiting.
        pending.close()
