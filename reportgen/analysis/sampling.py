"""Choose which predicted rows get a detailed (expensive) explanation.

Predictions and metrics cover every selected row; Integrated Gradients, attention and Shapley run
only on a handful of *samples*. A user picks them by explicit rows, by a seeded random draw per
true class, or by what is interesting: misclassified rows and the least/most confident ones. The
criteria combine; a row chosen twice is explained once and keeps every reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reportgen import options
from reportgen.errors import DataError, ReportgenError
from reportgen.mmtd.model import HAM, SPAM
from reportgen.names import count

#: What ``--samples`` means when no selection option is given (the seed analysis used 3 + 3).
DEFAULT_SAMPLES = "3:3"



@dataclass(frozen=True)
class SampleSelection:
    """How to choose samples for detailed explanation.

    Attributes:
        samples: ``"N_SPAM:N_HAM"`` random rows per true class (per predicted class when the data
            has no labels), drawn with ``seed``. ``None`` means the default ``3:3`` when no other
            criterion is given, and nothing otherwise.
        rows: explicit CSV data-row numbers (0-based, as in predictions' ``row``).
        misclassified: how many misclassified rows, most confidently wrong first.
        least_confident: how many rows whose spam probability is closest to 0.5.
        most_confident: how many rows whose spam probability is farthest from 0.5.
        seed: seed of the random draw.
    """

    samples: str | None = None
    rows: tuple[int, ...] | None = None
    misclassified: int = 0
    least_confident: int = 0
    most_confident: int = 0
    seed: int = 0

    def effective_samples(self) -> str | None:
        """The ``N_SPAM:N_HAM`` draw actually used (the default only when nothing else was asked)."""
        if self.samples is not None:
            return self.samples
        if self.rows or self.misclassified or self.least_confident or self.most_confident:
            return None
        return DEFAULT_SAMPLES

    def describe(self) -> dict[str, Any]:
        """Plain-JSON description for results.json ``methods.sample_selection``."""
        return {
            "samples": self.effective_samples(),
            "rows": list(self.rows) if self.rows else None,
            "misclassified": self.misclassified,
            "least_confident": self.least_confident,
            "most_confident": self.most_confident,
            "seed": self.seed,
            "rule": (
                "random N_SPAM:N_HAM rows per true class (per predicted class without labels), seeded; "
                "misclassified: most confidently wrong first; least/most confident: by |P(spam) - 0.5|, "
                "ties by row; criteria combine, duplicates are explained once with all reasons; "
                "samples are listed in row order"
            ),
        }


@dataclass(frozen=True)
class ChosenSample:
    """One row to explain and why it was chosen."""

    row: int
    reason: str


def parse_samples(text: str) -> tuple[int, int]:
    """Parse ``"N_SPAM:N_HAM"`` (e.g. ``"3:3"``) into two non-negative counts (rule: :func:`reportgen.options.parse_samples`)."""
    try:
        n_spam, n_ham = options.parse_samples(text).split(":")
    except ReportgenError as error:
        raise DataError(f"--samples {error.message}") from None
    return int(n_spam), int(n_ham)


def _label_column(predictions: Any) -> tuple[str, str]:
    """Which column defines the random draw's classes, and the word for the reason."""
    labels = predictions["label"]
    if len(labels) and labels.notna().all():
        return "label", ""
    return "prediction", "predicted "


def select_samples(predictions: Any, selection: SampleSelection) -> tuple[list[ChosenSample], list[str]]:
    """Choose the samples to explain from a predictions table.

    Args:
        predictions: the :func:`reportgen.analysis.predict.predict` DataFrame (columns row, label,
            prediction, prob_ham, prob_spam, logit_ham, logit_spam).
        selection: the user's criteria.

    Returns:
        The chosen samples sorted by row (each row once, reasons joined with ``", "``), and warnings
        for criteria that found fewer rows than asked.

    Raises:
        DataError: for a requested row that is not among the predicted rows, a malformed
            ``--samples``, or ``--misclassified`` on data without labels.
    """
    reasons: dict[int, list[str]] = {}
    warnings: list[str] = []

    def add(rows: list[int], reason: str, wanted: int | None = None, what: str = "") -> None:
        for row in rows:
            reasons.setdefault(int(row), [])
            if reason not in reasons[int(row)]:
                reasons[int(row)].append(reason)
        if wanted is not None and len(rows) < wanted:
            warnings.append(f"asked for {count(wanted, f'{what} sample'.strip())} but only {len(rows)} "
                            f"{'exists' if len(rows) == 1 else 'exist'}")

    table = predictions.reset_index(drop=True)
    all_rows = [int(r) for r in table["row"]]
    known = set(all_rows)

    if selection.rows:
        missing = [r for r in selection.rows if r not in known]
        if missing:
            raise DataError(
                f"--explain-rows: row {missing[0]} is not among the {len(all_rows)} predicted rows (the 0-based CSV "
                "data rows selected by --rows/--split, skipped rows excluded)"
            )
        add(list(dict.fromkeys(int(r) for r in selection.rows)), "requested row")

    draw = selection.effective_samples()
    if draw is not None:
        n_spam, n_ham = parse_samples(draw)
        column, prefix = _label_column(table)
        rng = np.random.default_rng(selection.seed)
        for cls, n, name in ((SPAM, n_spam, "spam"), (HAM, n_ham, "ham")):
            if n == 0:
                continue
            pool = sorted(int(r) for r, c in zip(table["row"], table[column]) if c == cls)
            picked = sorted(int(r) for r in rng.choice(pool, size=min(n, len(pool)), replace=False)) if pool else []
            add(picked, f"random {prefix}{name}", n, f"random {prefix}{name}")

    confidence = (table["prob_spam"].astype(float) - 0.5).abs()
    if selection.misclassified:
        if not (len(table) and table["label"].notna().all()):
            raise DataError("--misclassified needs a label column (the data has rows without labels)")
        wrong = table[table["label"].astype(int) != table["prediction"].astype(int)]
        order = sorted(zip(-confidence[wrong.index], wrong["row"]))
        add([int(r) for _, r in order[: selection.misclassified]], "misclassified", selection.misclassified,
            "misclassified")
    if selection.least_confident:
        order = sorted(zip(confidence, table["row"]))
        add([int(r) for _, r in order[: selection.least_confident]], "least confident", selection.least_confident,
            "least-confident")
    if selection.most_confident:
        order = sorted(zip(-confidence, table["row"]))
        add([int(r) for _, r in order[: selection.most_confident]], "most confident", selection.most_confident,
            "most-confident")

    chosen = [ChosenSample(row=row, reason=", ".join(reasons[row])) for row in sorted(reasons)]
    return chosen, warnings
