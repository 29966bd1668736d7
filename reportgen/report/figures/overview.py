"""Charts of the whole run: confusion matrix, ROC, modality panels, estimator agreement, top words.

Each function takes plain results data (the dicts/lists of results.json) and returns a new
:class:`~matplotlib.figure.Figure` sized for one A4 text column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from reportgen.claims import LEAD_SHARE
from reportgen.names import CLASS_NAMES, ESTIMATOR_NAMES, ESTIMATORS
from reportgen.report.figures.style import (
    CLASS_COLOURS,
    CLASS_MARKERS,
    COUNT_CMAP,
    DIVERGING_CMAP,
    ESTIMATOR_STYLE,
    ESTIMATOR_UNITS,
    IMAGE_HATCH,
    MODALITY_COLOURS,
    NEUTRAL_COLOUR,
    check_estimator,
    column_figure,
    empty_note,
    outcome_correct,
    plain,
    sample_label,
    styled,
    symmetric_limit,
    text_share_or_nan,
    tick_every,
)


@styled
def confusion_matrix_figure(metrics: Mapping[str, Any]) -> Figure:
    """Confusion matrix with counts and row percentages (share of each true class).

    Args:
        metrics: results ``metrics`` (``confusion_matrix`` = ``[[TN, FP], [FN, TP]]``).

    Returns:
        A figure with one heatmap axes (rows = true class, columns = predicted) and a colour bar.
    """
    matrix = np.asarray(metrics["confusion_matrix"], dtype=float)
    fig = column_figure(6.5, width_cm=9.0)
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap=COUNT_CMAP, vmin=0, vmax=max(1.0, float(matrix.max())))
    row_totals = matrix.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        row_share = np.where(row_totals > 0, matrix / row_totals, np.nan)
    norm = image.norm
    for (i, j), count in np.ndenumerate(matrix):
        share = "–" if np.isnan(row_share[i, j]) else f"{100 * row_share[i, j]:.1f} %"
        # cividis is dark at the low end: white text there, black on the light high end.
        colour = "white" if norm(count) < 0.6 else "black"
        ax.text(j, i, f"{int(count)}\n{share} of row", ha="center", va="center", color=colour, fontsize=9)
    ax.set_xticks([0, 1], labels=["ham", "spam"])
    ax.set_yticks([0, 1], labels=["ham", "spam"])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title("Confusion matrix")
    ax.spines[:].set_visible(False)
    fig.colorbar(image, ax=ax, label="emails", shrink=0.9)
    return fig


@styled
def roc_figure(metrics: Mapping[str, Any] | None) -> Figure | None:
    """ROC curve of ``prob_spam`` with the AUC in the legend and the chance diagonal.

    Args:
        metrics: results ``metrics`` (may be ``None`` for unlabelled data).

    Returns:
        The figure, or ``None`` when there is nothing to draw: no labels, ``roc_auc`` is ``None``
        (only one class present) or the results carry no ``roc_curve``.
    """
    if not metrics or metrics.get("roc_auc") is None:
        return None
    curve = metrics.get("roc_curve") or {}
    fpr, tpr = curve.get("fpr"), curve.get("tpr")
    if not fpr or not tpr:
        return None
    fig = column_figure(7.5, width_cm=9.0)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle="--", color="#888888", linewidth=1, label="chance (AUC = 0.5)")
    ax.plot(fpr, tpr, color=NEUTRAL_COLOUR, linewidth=1.8, drawstyle="default",
            label=f"model (AUC = {float(metrics['roc_auc']):.3f})")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate (ham flagged as spam)")
    ax.set_ylabel("true positive rate (spam caught)")
    ax.set_title("ROC curve")
    ax.grid(True, color="#e5e5e5", linewidth=0.6)
    ax.legend(loc="lower right", frameon=False)
    return fig


@styled
def modality_panels_figure(samples: Sequence[Mapping[str, Any]], estimator: str = "shapley") -> Figure:
    """The four modality panels: absolute, relative (100 %), by true class, text-vs-image scatter.

    Args:
        samples: results ``samples``.
        estimator: which split to draw: ``"shapley"`` (default) or ``"ig"``.

    Returns:
        A 2 × 2 figure: (A) signed text and image contribution per sample, (B) stacked text/image share
        of the push toward the decision (empty and marked for e-mails decided by default),
        (C) text share per true class as box + points, (D) signed text vs image contribution coloured
        by true class (filled = correctly classified, hollow = misclassified).
    """
    check_estimator(estimator)
    n = len(samples)
    fig = column_figure(13.5)
    axes = fig.subplots(2, 2)
    (ax_abs, ax_rel), (ax_cls, ax_sc) = axes
    name, units = ESTIMATOR_NAMES[estimator], ESTIMATOR_UNITS[estimator]
    title = f"Modality contributions by {name}, {n} sample{'s' if n != 1 else ''}"
    if n == 0:
        fig.suptitle(title)
        for ax in axes.flat:
            empty_note(ax, "no samples")
        return fig

    splits = [s["modality"][estimator] for s in samples]
    text = np.array([float(m["text"]) for m in splits])
    image = np.array([float(m["image"]) for m in splits])
    shares = np.array([text_share_or_nan(m) for m in splits])
    x = np.arange(n)
    labels = [sample_label(s) for s in samples]
    every = tick_every(n)

    width = 0.4
    ax_abs.bar(x - width / 2, text, width, color=MODALITY_COLOURS["text"], label="text")
    ax_abs.bar(x + width / 2, image, width, color=MODALITY_COLOURS["image"], hatch=IMAGE_HATCH,
               edgecolor="#7a6a20", linewidth=0.3, label="image")
    ax_abs.axhline(0, color="#555555", linewidth=0.6)
    ax_abs.set_title("A  Contribution (+ spam, − ham)")
    ax_abs.set_ylabel(units)
    # One legend for A and B, above the panels, so it never covers a bar.
    # (Its title names the estimator: a suptitle and an "outside" legend overlap in constrained layout.)
    fig.legend(*ax_abs.get_legend_handles_labels(), loc="outside upper center", ncols=2, frameon=False,
               title=title, title_fontsize=9)

    drawn = np.nan_to_num(shares, nan=0.0)
    defaulted = ~np.isfinite(shares)
    ax_rel.bar(x, 100 * drawn, 0.8, color=MODALITY_COLOURS["text"], label="text")
    ax_rel.bar(x, np.where(defaulted, 0.0, 100 * (1 - drawn)), 0.8, bottom=100 * drawn,
               color=MODALITY_COLOURS["image"], hatch=IMAGE_HATCH, edgecolor="#7a6a20", linewidth=0.3,
               label="image")
    for position in x[defaulted]:
        # No share to draw: the empty e-mail's score already decided it.
        ax_rel.text(position, 50, "by default", rotation=90, ha="center", va="center", fontsize=6, color="#555555")
    for level in (100 * (1 - LEAD_SHARE), 100 * LEAD_SHARE):
        ax_rel.axhline(level, color="#555555", linewidth=0.6, linestyle=":")
    ax_rel.set_ylim(0, 100)
    ax_rel.set_title("B  Share of the push toward the decision")
    ax_rel.set_ylabel("text share (%)")

    for ax in (ax_abs, ax_rel):
        ax.set_xticks(x[::every], labels=[plain(lbl) for lbl in labels[::every]], rotation=90)
        ax.set_xlim(-0.6, n - 0.4)

    # C: text share by true class; points drawn over the box so small groups stay visible.
    groups = [k for k in (0, 1, None) if any(s.get("label") == k for s in samples)]
    rng = np.random.default_rng(0)  # fixed jitter: identical figure on every render
    for position, key in enumerate(groups):
        values = 100 * shares[[s.get("label") == key for s in samples]]
        values = values[np.isfinite(values)]
        if values.size:
            _box(ax_cls, position, values)
        jitter = rng.uniform(-0.12, 0.12, values.size)
        ax_cls.scatter(position + jitter, values, s=14, color=CLASS_COLOURS[key], marker=CLASS_MARKERS[key],
                       edgecolor="black", linewidth=0.3, zorder=3)
    ax_cls.set_xticks(range(len(groups)),
                      labels=[f"{CLASS_NAMES[k]}\n(n = {sum(s.get('label') == k for s in samples)})"
                              for k in groups])
    ax_cls.set_xlim(-0.6, len(groups) - 0.4)
    ax_cls.set_ylim(-2, 102)
    for level in (100 * (1 - LEAD_SHARE), 100 * LEAD_SHARE):
        ax_cls.axhline(level, color="#555555", linewidth=0.6, linestyle=":")
    ax_cls.set_title("C  Text share by true class")
    ax_cls.set_ylabel("text share of the push (%)")

    # D: signed contributions; shape + colour = true class, fill = correct.
    for s, t, i in zip(samples, text, image):
        key = s.get("label")
        correct = outcome_correct(s)
        colour = CLASS_COLOURS[key]
        wrong = correct is False
        # Misclassified points: hollow, a little larger and on top, so a cluster cannot hide them.
        ax_sc.scatter([t], [i], s=34 if wrong else 22, marker=CLASS_MARKERS[key], edgecolor=colour,
                      linewidth=1.2 if wrong else 1.0, facecolor="none" if wrong else colour, zorder=4 if wrong else 3)
    ax_sc.axhline(0, color="#888888", linewidth=0.6)
    ax_sc.axvline(0, color="#888888", linewidth=0.6)
    ax_sc.set_title("D  Text vs image contribution")
    ax_sc.set_xlabel(f"text: {units}")
    ax_sc.set_ylabel(f"image: {units}")
    handles = []
    for key in groups:
        colour = CLASS_COLOURS[key]
        members = [outcome_correct(s) for s in samples if s.get("label") == key]
        if key is None:
            handles.append(Line2D([], [], linestyle="none", marker=CLASS_MARKERS[key], color=colour,
                                  markerfacecolor=colour, label=CLASS_NAMES[key]))
            continue
        # Legend entries only for what is on the plot.
        if any(members):
            handles.append(Line2D([], [], linestyle="none", marker=CLASS_MARKERS[key], color=colour,
                                  markerfacecolor=colour, label=f"{CLASS_NAMES[key]}, correct"))
        if not all(members):
            handles.append(Line2D([], [], linestyle="none", marker=CLASS_MARKERS[key], color=colour,
                                  markerfacecolor="none", label=f"{CLASS_NAMES[key]}, misclassified"))
    ax_sc.legend(handles=handles, frameon=False, loc="best", fontsize=6)
    return fig


def _box(ax: Any, position: float, values: np.ndarray, width: float = 0.5) -> None:
    """A Tukey box (quartiles, median, whiskers to the last point within 1.5 IQR) at ``position``.

    Drawn by hand because :meth:`Axes.boxplot` reads every rcParam, which in matplotlib 3.11 imports
    :mod:`matplotlib.pyplot`.
    """
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    iqr = q3 - q1
    low = values[values >= q1 - 1.5 * iqr].min()
    high = values[values <= q3 + 1.5 * iqr].max()
    grey = "#555555"
    ax.bar([position], [max(q3 - q1, 1e-9)], width, bottom=q1, facecolor="none", edgecolor=grey, linewidth=0.8)
    ax.hlines([median], position - width / 2, position + width / 2, color="black", linewidth=1.2)
    ax.vlines([position, position], [low, q3], [q1, high], color=grey, linewidth=0.8)
    ax.hlines([low, high], position - width / 4, position + width / 4, color=grey, linewidth=0.8)


@styled
def estimator_agreement_figure(samples: Sequence[Mapping[str, Any]]) -> Figure:
    """Text share of the push toward the decision per sample under Shapley and Integrated Gradients.

    Args:
        samples: results ``samples``.

    Returns:
        One axes: a row per sample, a marker per estimator on a 0–100 % scale, joined by a line whose
        length shows how much IG departs from Shapley. IG of an e-mail where it did not converge is
        drawn hollow; e-mails decided by default have no marker.
    """
    n = len(samples)
    fig = column_figure(min(22.0, 3.2 + 0.45 * max(n, 1)))
    ax = fig.add_subplot()
    ax.set_title("Text share of the push toward the decision: Shapley and, as a check, IG")
    if n == 0:
        empty_note(ax, "no samples")
        return fig
    shares = np.array([[100 * text_share_or_nan(s["modality"][e]) for e in ESTIMATORS] for s in samples])
    unconverged = np.array([bool(s["integrated_gradients"].get("flagged")) for s in samples])
    y = np.arange(n)[::-1]  # first sample on top, as in the tables
    for row, values in zip(y, shares):
        finite = values[np.isfinite(values)]
        if finite.size:
            ax.plot([finite.min(), finite.max()], [row, row], color="#bbbbbb", linewidth=2, zorder=1)
    for k, estimator in enumerate(ESTIMATORS):
        style = ESTIMATOR_STYLE[estimator]
        hollow = unconverged if estimator == "ig" else np.zeros(n, dtype=bool)
        size = 26 if n <= 40 else 12
        ax.scatter(shares[~hollow, k], y[~hollow], s=size, zorder=3, color=style["color"], marker=style["marker"],
                   edgecolor="black", linewidth=0.3, label=ESTIMATOR_NAMES[estimator])
        if hollow.any():
            ax.scatter(shares[hollow, k], y[hollow], s=size, zorder=3, facecolor="none", edgecolor=style["color"],
                       marker=style["marker"], linewidth=1.0, label=f"{ESTIMATOR_NAMES[estimator]} (not converged)")
    for level in (100 * (1 - LEAD_SHARE), 100 * LEAD_SHARE):
        ax.axvline(level, color="#555555", linewidth=0.6, linestyle=":")
    ax.set_xlim(-2, 102)
    ax.set_ylim(-0.7, n - 0.3)
    every = tick_every(n, max_ticks=45)  # beyond ~45 rows the labels would overlap: label every k-th
    ax.set_yticks(y[::every], labels=[plain(sample_label(s)) for s in samples][::every])
    ax.set_xlabel("text share of the push toward the decision (%)  —  0 % = picture only, 100 % = text only")
    ax.grid(True, axis="x", color="#eeeeee", linewidth=0.6)
    fig.legend(loc="outside lower center", ncols=3, frameon=False)
    return fig


@styled
def verdict_groups_figure(rows: Sequence[tuple[str, Mapping[str, Any]]]) -> Figure:
    """Mean text share with its 95 % interval per group (a forest plot), lead bands shaded.

    Args:
        rows: ``(group name, share summary)`` as results.json ``aggregate.verdict`` / ``groups``.

    Returns:
        One axes: a row per group (first on top), the mean as a dot, the interval as a line, and the
        picture band (left) and text band (right) shaded; groups without a share say so.
    """
    n = len(rows)
    fig = column_figure(min(20.0, 2.6 + 0.5 * max(n, 1)))
    ax = fig.add_subplot()
    ax.set_title("Text share of the push toward the decision, by group (95 % interval)")
    ax.axvspan(0, 100 * (1 - LEAD_SHARE), color=MODALITY_COLOURS["image"], alpha=0.18, linewidth=0)
    ax.axvspan(100 * LEAD_SHARE, 100, color=MODALITY_COLOURS["text"], alpha=0.10, linewidth=0)
    y = np.arange(n)[::-1]
    for row, (_, summary) in zip(y, rows):
        share, ci = summary.get("text_share"), summary.get("ci95")
        if share is None:
            ax.text(50, row, "no e-mail counted", ha="center", va="center", fontsize=6.5, color="#555555")
            continue
        if ci:
            ax.plot([100 * ci[0], 100 * ci[1]], [row, row], color="#333333", linewidth=1.4, zorder=2)
        ax.scatter([100 * share], [row], s=24, color="#D55E00", edgecolor="black", linewidth=0.3, zorder=3)
    ax.set_yticks(y, labels=[plain(f"{name} (n = {summary['n']})", limit=40) for name, summary in rows])
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.7, n - 0.3)
    ax.text(100 * (1 - LEAD_SHARE) / 2, n - 0.45, "picture leads", ha="center", va="top", fontsize=6.5)
    ax.text(100 * (1 + LEAD_SHARE) / 2, n - 0.45, "text leads", ha="center", va="top", fontsize=6.5)
    ax.set_xlabel("text share of the push toward the decision (%)")
    return fig


@styled
def top_words_figure(top_words: Sequence[Mapping[str, Any]], cls: str, max_words: int = 20) -> Figure:
    """Horizontal bars of the mean signed score of the strongest words of one class, counts annotated.

    Args:
        top_words: ``aggregate.top_words[cls]`` (``word``, ``count``, ``mean_score``), strongest first.
        cls: ``"spam"`` or ``"ham"`` (only used for the title).
        max_words: draw at most this many words (the first ones).

    Returns:
        One axes; bars are red/warm when the word pushes toward spam and blue/cool toward ham, with
        the same symmetric diverging colour scale as the token highlighting.
    """
    words = list(top_words)[:max_words]
    fig = column_figure(min(20.0, 2.8 + 0.42 * max(len(words), 1)))
    ax = fig.add_subplot()
    direction = "spam" if cls == "spam" else "ham"
    ax.set_title(f"Words pushing toward {direction}" + (f" (top {len(words)})" if words else ""))
    if not words:
        empty_note(ax, f"no words reached the minimum count for {cls}")
        return fig
    scores = np.array([float(w["mean_score"]) for w in words])
    limit = symmetric_limit(scores)
    cmap = matplotlib.colormaps[DIVERGING_CMAP]
    # Pale colours near 0 would vanish: map |score| into the outer 55 % of each half of the map.
    colours = [cmap(0.5 + np.sign(v) * (0.225 + 0.275 * abs(v) / limit)) for v in scores]
    y = np.arange(len(words))[::-1]
    ax.barh(y, scores, 0.7, color=colours, edgecolor="#333333", linewidth=0.4)
    kinds = {"number": " [number]", "punctuation": " [punct.]"}
    ax.set_yticks(y, labels=[plain(w["word"], limit=28) + kinds.get(str(w.get("kind", "word")), "") for w in words])
    ax.axvline(0, color="#333333", linewidth=0.6)
    span = limit
    # Room for the count labels on the side(s) the bars grow towards, a sliver on the other.
    ax.set_xlim(min(0.0, scores.min()) - (0.3 if scores.min() < 0 else 0.03) * span,
                max(0.0, scores.max()) + (0.3 if scores.max() > 0 else 0.03) * span)
    for row, value, word in zip(y, scores, words):
        seen = int(word.get("n_seen", word["count"]))
        ax.annotate(f"n = {int(word['count'])} / {seen}", (value, row), xytext=(3 if value >= 0 else -3, 0),
                    textcoords="offset points", ha="left" if value >= 0 else "right", va="center", fontsize=6.5)
    ax.set_xlabel("mean score over the e-mails it was seen in (log-odds; + toward spam, − toward ham)")
    return fig
