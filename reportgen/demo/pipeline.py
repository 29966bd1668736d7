"""``reportgen demo``: write the demo corpus, then run the user's code path on it with the shipped model.

Nothing here is demo-specific beyond choosing the inputs: the checkpoint goes through
:func:`reportgen.mmtd.checkpoint.load_mmtd`, the tokenizer through
:func:`reportgen.mmtd.preprocessing.load_preprocessor`, the CSV through :func:`reportgen.mmtd.edp.load_edp`,
the analysis through :func:`reportgen.analysis.pipeline.run_analysis` and the report through
:func:`reportgen.report.render.render_report` — exactly what ``reportgen run`` does with a user's data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from reportgen.demo.corpus import write_demo_corpus
from reportgen.errors import ReportgenError

ASSETS = Path(__file__).resolve().parent / "assets"
#: Spam signal kinds explained in the demo, then ham groups, hard ham first: shop newsletters with a
#: sale banner drawn as loudly as a spam offer, bank notices that share phishing's words, calm
#: newsletters, personal mail with a photo, plain mail.
SPAM_SIGNALS = ("text", "image", "both")
HAM_GROUPS = ("loud sale banner", "bank notice", "newsletter", "photo", "plain")


@dataclass(frozen=True)
class DemoAssets:
    """The shipped model: checkpoint file, tokenizer folder and the sizes it was trained with."""

    checkpoint: Path
    tokenizer: Path
    image_size: int
    max_length: int
    corpus_seed: int
    corpus_size: int
    manifest: dict[str, Any]


def demo_assets(folder: Path = ASSETS) -> DemoAssets:
    """Read ``demo.json`` of the shipped assets.

    Raises:
        ReportgenError: the package lacks its demo assets (a broken install); names the file.
    """
    manifest_path = folder / "demo.json"
    if not manifest_path.is_file():
        raise ReportgenError(
            f"{manifest_path} is missing: this reportgen install lacks its demo model "
            "(rebuild it with `python -m reportgen.demo.train`)"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return DemoAssets(
        checkpoint=folder / manifest["checkpoint"],
        tokenizer=folder / manifest["tokenizer"],
        image_size=int(manifest["image_size"]),
        max_length=int(manifest["max_length"]),
        corpus_seed=int(manifest["demo_corpus"]["seed"]),
        corpus_size=int(manifest["demo_corpus"]["n"]),
        manifest=manifest,
    )


def _round_robin(frame: Any, count: int, start: int = 0) -> list[int]:
    """``count`` rows of ``frame`` in row order, cycling through languages (from the ``start``-th one)."""
    languages = sorted(set(frame["language"]))
    languages = languages[start % len(languages):] + languages[:start % len(languages)] if languages else []
    queues = {lang: list(frame.index[frame["language"] == lang]) for lang in languages}
    chosen: list[int] = []
    while len(chosen) < count and any(queues.values()):
        for lang in languages:
            if queues[lang] and len(chosen) < count:
                chosen.append(int(queues[lang].pop(0)))
    return chosen


def _ham_groups(ham: Any) -> dict[str, Any]:
    """The ham rows of each of :data:`HAM_GROUPS` (by the planted ``kind``, ``banner``, ``banner_look``)."""
    banner = ham["banner"].fillna("").astype(str)
    look = ham["banner_look"].fillna("").astype(str)
    notice = ham["kind"] == "security"
    return {
        "loud sale banner": ham[(banner == "sale") & (look == "loud")],
        "bank notice": ham[notice],
        "newsletter": ham[banner == "newsletter"],
        "photo": ham[banner == "photo"],
        "plain": ham[(banner == "") & ~notice],
    }


def choose_rows(frame: Any, per_kind: int) -> list[int]:
    """Rows to explain by planted truth: ``per_kind`` spam e-mails of each signal kind and ``per_kind`` ham.

    Spam rows cover text-only, image-only and both; ham rows cycle through :data:`HAM_GROUPS`, hard
    ham first. Within each group the rows are the first ones of each language in CSV order, each
    group starting at the next language. This choice does not look at predictions; the demo adds
    the misclassified e-mails through the analysis's own ``--misclassified`` criterion
    (:func:`run_demo`).

    Args:
        frame: the demo EDP.csv as a DataFrame (columns ``signal``, ``kind``, ``banner``,
            ``banner_look``, ``language``).
        per_kind: e-mails per group (≥ 1).

    Returns:
        Sorted 0-based CSV data rows.
    """
    rows: list[int] = []
    # Each group starts at the next language, so a few rows per group still show every language.
    for group, signal in enumerate(SPAM_SIGNALS):
        rows += _round_robin(frame[frame["signal"] == signal], per_kind, start=group)
    groups = _ham_groups(frame[frame["signal"] == "none"])
    for i in range(per_kind):
        group = groups[HAM_GROUPS[i % len(HAM_GROUPS)]]
        taken = [r for r in _round_robin(group, per_kind, start=i) if r not in rows]
        if taken:
            rows.append(taken[0])
    return sorted(rows)


def run_demo(
    out: Path,
    *,
    per_kind: int = 3,
    formats: tuple[str, ...] = ("json", "html", "pdf"),
    device: str = "cpu",
    ig_steps: int | None = None,
    deterministic: bool = False,
    progress: bool = True,
    command: str = "reportgen demo",
    echo: Callable[[str], None] = print,
    assets_dir: Path = ASSETS,
    report_dir: Path | None = None,
    redact_paths: bool = False,
) -> dict[str, Path]:
    """Write ``out/demo-data/`` and analyse it with the shipped model; render the report.

    Args:
        out: output folder (created).
        per_kind: e-mails explained per spam signal kind (text, image, both) and of ham, plus up
            to as many misclassified e-mails (most confidently wrong first).
        formats: outputs among ``json``, ``html``, ``pdf``.
        device: ``cpu`` or ``cuda``.
        ig_steps: Integrated Gradients steps to start from (default: the analysis default, 16,
            doubling until converged — measured 1.5 s per demo e-mail against 2.9 s for 128 fixed).
        deterministic: byte-identical results on rerun (no timestamps, no timings).
        progress: progress bars on stderr.
        command: the command line recorded in results.json.
        echo: where progress lines go.
        assets_dir: folder of the demo model (``demo.json``, checkpoint, tokenizer).
        report_dir: where results.json and the report go (default ``out``; the CLI passes a
            staging folder and publishes it).
        redact_paths: cut local paths to their last part (:func:`reportgen.results.redact.redact_paths`).

    Returns:
        ``{format: path}`` of the written files plus ``"data"``: the demo EDP.csv (already announced
        through ``echo`` when it was written).
    """
    import torch

    previous_threads = torch.get_num_threads()
    # The demo model is tiny: one thread is fastest, and on a busy 2-core machine several OpenMP
    # threads per process made its forward passes ~40x slower (spinning threads fight for cores).
    torch.set_num_threads(1)
    try:
        return _run_demo(out, per_kind=per_kind, formats=formats, device=device, ig_steps=ig_steps,
                         deterministic=deterministic, progress=progress, command=command, echo=echo,
                         assets_dir=assets_dir, report_dir=report_dir, redact_paths=redact_paths)
    finally:
        torch.set_num_threads(previous_threads)


def _run_demo(out: Path, *, per_kind: int, formats: tuple[str, ...], device: str, ig_steps: int | None,
              deterministic: bool, progress: bool, command: str, echo: Callable[[str], None],
              assets_dir: Path, report_dir: Path | None, redact_paths: bool = False) -> dict[str, Path]:
    from reportgen.analysis.pipeline import run_analysis
    from reportgen.options import AnalysisOptions
    from reportgen.mmtd.checkpoint import load_mmtd
    from reportgen.inputs import Inputs
    from reportgen.mmtd.edp import load_edp
    from reportgen.mmtd.preprocessing import load_preprocessor
    from reportgen.report.render import render_report

    assets = demo_assets(assets_dir)
    out = Path(out)
    data_dir = out / "demo-data"
    csv_path = write_demo_corpus(data_dir, n=assets.corpus_size, seed=assets.corpus_seed)
    echo(f"wrote {csv_path} (the demo corpus: {assets.corpus_size} e-mails, en/es/de/ru, pictures in pics/)")

    # The same loaders as for a user's data (`reportgen run --checkpoint ... --tokenizer ...`).
    loaded = load_mmtd(assets.checkpoint, device=device)
    preprocessor = load_preprocessor(str(assets.tokenizer), None, int(loaded.info.config.image.image_size),
                                     assets.max_length)
    # Every demo e-mail is held out: the model was trained on another seed of the generator.
    dataset = load_edp(csv_path, data_dir / "pics")
    inputs = Inputs(loaded=loaded, preprocessor=preprocessor, dataset=dataset, device=device,
                    max_length={"value": assets.max_length, "source": "given",
                                "derivation": "the demo model's demo.json"})
    rows = choose_rows(dataset.frame, per_kind)  # the CSV as load_edp read it, indexed by row
    # min_count 1: a dozen e-mails in four languages rarely share a word twice. The misclassified
    # e-mails are what a reader most wants explained; the analysis finds them after predicting.
    settings = {"explain_rows": tuple(rows), "misclassified": per_kind, "min_count": 1, "deterministic": deterministic}
    if ig_steps is not None:
        settings["ig_steps"] = ig_steps
    options = AnalysisOptions.from_kwargs(settings)
    echo(f"analysing {len(dataset.rows)} held-out e-mails, explaining rows {', '.join(map(str, rows))}"
         f" and up to {per_kind} misclassified ones")
    results = run_analysis(inputs, options, command=command, progress=progress)
    if redact_paths:
        from reportgen.results.redact import redact_paths as redact

        results = redact(results)
    written = render_report(results, out if report_dir is None else report_dir, formats, deterministic=deterministic,
                            progress=progress)
    written["data"] = csv_path
    return written
