"""Report figures, built on :class:`matplotlib.figure.Figure` only (no pyplot global state).

Every public ``*_figure`` function takes plain results data (the dicts/lists of results.json) and
returns a new :class:`~matplotlib.figure.Figure` sized for one A4 text column (16 cm wide). The
``figure_to_*`` helpers serialise a figure deterministically (same figure → same bytes).

Colour conventions, chosen to survive greyscale printing and colour-blind readers:

* signed scores (positive = toward spam, negative = toward ham) use the diverging ``RdBu_r`` map,
  spam warm (red), ham cool (blue), always with limits symmetric around 0 so white means "no push";
* unsigned quantities (attention, rollout, counts) use the sequential ``viridis``/``cividis`` maps,
  whose lightness rises monotonically;
* categorical colours come from the Okabe–Ito / Tol palettes and are always paired with a second cue
  (marker shape, hatch or fill) so the categories stay apart in grey.

Email text is attacker-controlled: every string drawn from the data goes through :func:`_plain`, so a
token such as ``$x^$`` is shown literally instead of being parsed as (possibly invalid) mathtext.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, Literal, TypeVar

import matplotlib
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from reportgen.analysis.aggregate import text_share
from reportgen.errors import ResultsError

__all__ = [
    "CM",
    "COLUMN_WIDTH_IN",
    "DIVERGING_CMAP",
    "SEQUENTIAL_CMAP",
    "attention_heatmap_figure",
    "confusion_matrix_figure",
    "decode_picture",
    "estimator_agreement_figure",
    "figure_to_data_uri",
    "figure_to_pdf_bytes",
    "figure_to_png_bytes",
    "figure_to_svg",
    "ig_convergence_figure",
    "image_overlay_figure",
    "modality_panels_figure",
    "modality_split_figure",
    "roc_figure",
    "symmetric_limit",
    "text_rollout_figure",
    "top_words_figure",
]

#: One centimetre in inches (matplotlib sizes figures in inches).
CM = 1 / 2.54
#: Width of one A4 text column with 2 cm margins: 21 cm − 2 × 2.5 cm = 16 cm.
COLUMN_WIDTH_IN = 16 * CM

#: Diverging map for signed scores: spam (positive) red/warm, ham (negative) blue/cool.
DIVERGING_CMAP = "RdBu_r"
#: Sequential map for attention and rollout (monotonic lightness: readable in grey).
SEQUENTIAL_CMAP = "viridis"
#: Sequential map for counts (confusion matrix): colour-vision-deficiency optimised.
COUNT_CMAP = "cividis"

# Okabe–Ito: blue (dark in grey) for ham, orange (light in grey) for spam; warm = spam as in the maps.
CLASS_COLOURS = {0: "#0072B2", 1: "#E69F00", None: "#999999"}
CLASS_NAMES = {0: "ham", 1: "spam", None: "unlabelled"}
CLASS_MARKERS = {0: "o", 1: "^", None: "s"}
# Tol's indigo vs sand: far apart in lightness, so text/image survive greyscale; image also hatched.
MODALITY_COLOURS = {"text": "#332288", "image": "#DDCC77"}
IMAGE_HATCH = "///"
ESTIMATORS = ("ig", "shapley", "attention")
ESTIMATOR_NAMES = {"ig": "Integrated gradients", "shapley": "Shapley", "attention": "Fusion attention"}
ESTIMATOR_STYLE = {
    "ig": {"color": "#0072B2", "marker": "o"},
    "shapley": {"color": "#D55E00", "marker": "s"},
    "attention": {"color": "#009E73", "marker": "D"},
}
ESTIMATOR_UNITS = {
    "ig": "IG attribution (spam log-odds)",
    "shapley": "Shapley value φ (spam log-odds)",
    "attention": "fusion attention share",
}
WARNING_COLOUR = "#D55E00"
NEUTRAL_COLOUR = "#0072B2"

#: rcParams every figure is built under: bundled DejaVu Sans, print-size fonts, no mathtext surprises.
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "text.usetex": False,  # e-mail text must never reach a LaTeX run, whatever the user's rc says
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "figure.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "image.interpolation": "nearest",
}

_F = TypeVar("_F", bound=Callable[..., Any])


def _styled(function: _F) -> _F:
    """Build the figure under :data:`STYLE` (rc values are read when artists are created)."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _rc(STYLE):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _figure(height_cm: float, width_cm: float = COLUMN_WIDTH_IN / CM) -> Figure:
    # Constrained layout keeps labels, colour bars and legends from overlapping without pyplot.
    # Fixed dpi: it sets how embedded images are resampled, so it must not come from a user's rc file.
    return Figure(figsize=(width_cm * CM, height_cm * CM), dpi=100, layout="constrained")


def _fixed_figure(height_cm: float, width_cm: float = COLUMN_WIDTH_IN / CM) -> Figure:
    """A figure without a layout engine: the caller places its axes (see :func:`_place`).

    Constrained layout measures every text extent twice per draw, about a third of the drawing
    time of the tick-label-heavy per-sample figures, of which a report has hundreds; their layout
    is simple enough to compute from font sizes instead.
    """
    return Figure(figsize=(width_cm * CM, height_cm * CM), dpi=100, layout="none")


def _place(fig: Figure, left_cm: float, bottom_cm: float, width_cm: float, height_cm: float) -> list[float]:
    """An axes rectangle given in centimetres, as the figure fractions ``add_axes`` takes."""
    fig_w, fig_h = (fig.get_size_inches() / CM).tolist()
    return [left_cm / fig_w, bottom_cm / fig_h, width_cm / fig_w, height_cm / fig_h]


def _text_cm(labels: Sequence[str], size_pt: float) -> float:
    """The widest label's advance width in cm at ``size_pt`` in the figures' font (DejaVu Sans).

    Measured with FreeType directly (a few microseconds per label): the matplotlib Text machinery
    that layout engines go through costs a thousand times more. A 5 % allowance covers hinting.
    """
    from matplotlib.font_manager import FontProperties, findfont, get_font

    font = get_font(findfont(FontProperties(family=STYLE["font.family"])))
    font.clear()
    font.set_size(size_pt, 72)  # at 72 dpi one pixel is one point
    widest = 0.0
    with warnings.catch_warnings():  # missing (CJK) glyphs: measured as the box drawn for them
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        for label in labels:
            font.set_text(label, 0.0)
            widest = max(widest, font.get_width_height()[0] / 64)  # 26.6 fixed point
    return 1.05 * widest / 72 * 2.54


def _plain(text: Any, limit: int | None = None) -> str:
    """Data text as a literal label: escape ``$`` (no mathtext), shorten to ``limit`` characters."""
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("$", r"\$")


def symmetric_limit(values: Any) -> float:
    """The colour limit ``m`` for a diverging map with range ``[-m, m]`` (max |value|, > 0).

    Args:
        values: numbers (any nesting numpy accepts); NaNs are ignored.

    Returns:
        The largest absolute finite value, or 1.0 when all values are 0/NaN so the norm is valid.
    """
    array = np.abs(np.asarray(values, dtype=float))
    finite = array[np.isfinite(array)]
    limit = float(finite.max()) if finite.size else 0.0
    return limit if limit > 0 else 1.0


def _share(entry: Mapping[str, Any]) -> float:
    """:func:`reportgen.analysis.aggregate.text_share` (the report's one definition) with NaN for "undefined"."""
    share = text_share(entry)
    return math.nan if share is None else share


def _check_estimator(estimator: str) -> None:
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {', '.join(ESTIMATORS)}, not {estimator!r}")


def _sample_label(sample: Mapping[str, Any]) -> str:
    return f"row {sample['row']}"


def _outcome_correct(sample: Mapping[str, Any]) -> bool | None:
    label = sample.get("label")
    return None if label is None else int(label) == int(sample["prediction"])


def _tick_every(n: int, max_ticks: int = 30) -> int:
    return max(1, math.ceil(n / max_ticks))


def _empty_note(ax: Any, message: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, _plain(message), ha="center", va="center", transform=ax.transAxes, color="#555555")


# --------------------------------------------------------------------------------------- metrics


@_styled
def confusion_matrix_figure(metrics: Mapping[str, Any]) -> Figure:
    """Confusion matrix with counts and row percentages (share of each true class).

    Args:
        metrics: results ``metrics`` (``confusion_matrix`` = ``[[TN, FP], [FN, TP]]``).

    Returns:
        A figure with one heatmap axes (rows = true class, columns = predicted) and a colour bar.
    """
    matrix = np.asarray(metrics["confusion_matrix"], dtype=float)
    fig = _figure(6.5, width_cm=9.0)
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


@_styled
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
    fig = _figure(7.5, width_cm=9.0)
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


# -------------------------------------------------------------------------------------- modality


@_styled
def modality_panels_figure(samples: Sequence[Mapping[str, Any]], estimator: str = "shapley") -> Figure:
    """The four modality panels: absolute, relative (100 %), by true class, text-vs-image scatter.

    Args:
        samples: results ``samples``.
        estimator: which split to draw: ``"shapley"`` (default), ``"ig"`` or ``"attention"``.

    Returns:
        A 2 × 2 figure: (A) |text| and |image| contribution per sample, (B) stacked text/image share,
        (C) text share per true class as box + points, (D) signed text vs image contribution coloured
        by true class (filled = correctly classified, hollow = misclassified).
    """
    _check_estimator(estimator)
    n = len(samples)
    fig = _figure(13.5)
    axes = fig.subplots(2, 2)
    (ax_abs, ax_rel), (ax_cls, ax_sc) = axes
    name, units = ESTIMATOR_NAMES[estimator], ESTIMATOR_UNITS[estimator]
    title = f"Modality contributions ({name}, {n} sample{'s' if n != 1 else ''})"
    if n == 0:
        fig.suptitle(title)
        for ax in axes.flat:
            _empty_note(ax, "no samples")
        return fig

    splits = [s["modality"][estimator] for s in samples]
    text = np.array([float(m["text"]) for m in splits])
    image = np.array([float(m["image"]) for m in splits])
    shares = np.array([_share(m) for m in splits])
    x = np.arange(n)
    labels = [_sample_label(s) for s in samples]
    every = _tick_every(n)

    width = 0.4
    ax_abs.bar(x - width / 2, np.abs(text), width, color=MODALITY_COLOURS["text"], label="text")
    ax_abs.bar(x + width / 2, np.abs(image), width, color=MODALITY_COLOURS["image"], hatch=IMAGE_HATCH,
               edgecolor="#7a6a20", linewidth=0.3, label="image")
    ax_abs.set_title("A  Absolute contribution")
    ax_abs.set_ylabel(f"|{units}|")
    # One legend for A and B, above the panels, so it never covers a bar.
    # (Its title names the estimator: a suptitle and an "outside" legend overlap in constrained layout.)
    fig.legend(*ax_abs.get_legend_handles_labels(), loc="outside upper center", ncols=2, frameon=False,
               title=title, title_fontsize=9)

    ax_rel.bar(x, 100 * shares, 0.8, color=MODALITY_COLOURS["text"], label="text")
    ax_rel.bar(x, 100 * (1 - shares), 0.8, bottom=100 * shares, color=MODALITY_COLOURS["image"],
               hatch=IMAGE_HATCH, edgecolor="#7a6a20", linewidth=0.3, label="image")
    ax_rel.axhline(50, color="#555555", linewidth=0.6, linestyle=":")
    ax_rel.set_ylim(0, 100)
    ax_rel.set_title("B  Relative share (100 %)")
    ax_rel.set_ylabel("share of |contribution| (%)")

    for ax in (ax_abs, ax_rel):
        ax.set_xticks(x[::every], labels=[_plain(lbl) for lbl in labels[::every]], rotation=90)
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
    ax_cls.axhline(50, color="#555555", linewidth=0.6, linestyle=":")
    ax_cls.set_title("C  Text share by true class")
    ax_cls.set_ylabel("text share of |contribution| (%)")

    # D: signed contributions; shape + colour = true class, fill = correct.
    for s, t, i in zip(samples, text, image):
        key = s.get("label")
        correct = _outcome_correct(s)
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
        members = [_outcome_correct(s) for s in samples if s.get("label") == key]
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


@_styled
def estimator_agreement_figure(samples: Sequence[Mapping[str, Any]]) -> Figure:
    """Text share per sample under the three estimators (IG, Shapley, attention) as a dot plot.

    Args:
        samples: results ``samples``.

    Returns:
        One axes: a row per sample, a marker per estimator on a 0–100 % text-share scale, joined by a
        line whose length shows how much the estimators disagree.
    """
    n = len(samples)
    fig = _figure(min(22.0, 3.2 + 0.45 * max(n, 1)))
    ax = fig.add_subplot()
    ax.set_title("Text share of the decision under each estimator")
    if n == 0:
        _empty_note(ax, "no samples")
        return fig
    shares = np.array([[100 * _share(s["modality"][e]) for e in ESTIMATORS] for s in samples])
    y = np.arange(n)[::-1]  # first sample on top, as in the tables
    for row, values in zip(y, shares):
        finite = values[np.isfinite(values)]
        if finite.size:
            ax.plot([finite.min(), finite.max()], [row, row], color="#bbbbbb", linewidth=2, zorder=1)
    for k, estimator in enumerate(ESTIMATORS):
        style = ESTIMATOR_STYLE[estimator]
        ax.scatter(shares[:, k], y, s=26 if n <= 40 else 12, zorder=3, color=style["color"], marker=style["marker"],
                   edgecolor="black", linewidth=0.3, label=ESTIMATOR_NAMES[estimator])
    ax.axvline(50, color="#555555", linewidth=0.6, linestyle=":")
    ax.set_xlim(-2, 102)
    ax.set_ylim(-0.7, n - 0.3)
    every = _tick_every(n, max_ticks=45)  # beyond ~45 rows the labels would overlap: label every k-th
    ax.set_yticks(y[::every], labels=[_plain(_sample_label(s)) for s in samples][::every])
    ax.set_xlabel("text share of |text| + |image| (%)  —  0 % = image only, 100 % = text only")
    ax.grid(True, axis="x", color="#eeeeee", linewidth=0.6)
    fig.legend(loc="outside lower center", ncols=3, frameon=False)
    return fig


@_styled
def modality_split_figure(modality: Mapping[str, Any]) -> Figure:
    """One sample's text vs image split under each estimator, as three small bar charts.

    Each estimator keeps its own axis because the units differ (log-odds for IG and Shapley, a
    share for attention); each bar pair is annotated with the text share.

    Args:
        modality: one sample's ``modality`` dict (``ig``, ``shapley``, ``attention``).

    Returns:
        A figure with one axes per estimator present in ``modality``.
    """
    present = [e for e in ESTIMATORS if e in modality]
    fig = _fixed_figure(5.5)
    # Fixed layout (cm): each axes has its y tick labels and unit label (~1.5 cm) on its left, a
    # two-line title on top and the "text"/"image" labels below.
    count = max(1, len(present))
    left, right, top, bottom, gap = 1.5, 0.2, 1.05, 0.55, 1.7
    axes_w = (16.0 - left - right - (count - 1) * gap) / count
    axes = fig.subplots(1, count, squeeze=False, gridspec_kw={
        "left": left / 16.0, "right": 1 - right / 16.0, "top": 1 - top / 5.5, "bottom": bottom / 5.5,
        "wspace": gap / axes_w})[0]
    for ax, estimator in zip(axes, present):
        entry = modality[estimator]
        values = [float(entry["text"]), float(entry["image"])]
        bars = ax.bar([0, 1], values, 0.6, color=[MODALITY_COLOURS["text"], MODALITY_COLOURS["image"]],
                      edgecolor=["#332288", "#7a6a20"], linewidth=0.5)
        bars[1].set_hatch(IMAGE_HATCH)
        ax.axhline(0, color="#555555", linewidth=0.6)
        ax.set_xticks([0, 1], labels=["text", "image"])
        ax.set_ylabel(ESTIMATOR_UNITS[estimator], fontsize=7)
        limit = symmetric_limit(values) if estimator != "attention" else max(1e-9, max(map(abs, values)))
        low = min(0.0, min(values)) - 0.15 * limit
        ax.set_ylim(low, max(0.0, max(values)) + 0.2 * limit)
        share = _share(entry)
        note = "text share n/a" if math.isnan(share) else f"text share {100 * share:.0f} %"
        ax.set_title(f"{ESTIMATOR_NAMES[estimator]}\n{note}", fontsize=8)
        for bar, value in zip(bars, values):
            ax.annotate(f"{value:+.3g}" if estimator != "attention" else f"{value:.3g}",
                        (bar.get_x() + bar.get_width() / 2, value), xytext=(0, 2 if value >= 0 else -2),
                        textcoords="offset points", ha="center", va="bottom" if value >= 0 else "top",
                        fontsize=6.5)
    if not present:
        _empty_note(axes[0], "no modality estimates")
    return fig


# ------------------------------------------------------------------------------------------ words


@_styled
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
    fig = _figure(min(20.0, 2.8 + 0.42 * max(len(words), 1)))
    ax = fig.add_subplot()
    direction = "spam" if cls == "spam" else "ham"
    ax.set_title(f"Words pushing toward {direction}" + (f" (top {len(words)})" if words else ""))
    if not words:
        _empty_note(ax, f"no words reached the minimum count for {cls}")
        return fig
    scores = np.array([float(w["mean_score"]) for w in words])
    limit = symmetric_limit(scores)
    cmap = matplotlib.colormaps[DIVERGING_CMAP]
    # Pale colours near 0 would vanish: map |score| into the outer 55 % of each half of the map.
    colours = [cmap(0.5 + np.sign(v) * (0.225 + 0.275 * abs(v) / limit)) for v in scores]
    y = np.arange(len(words))[::-1]
    ax.barh(y, scores, 0.7, color=colours, edgecolor="#333333", linewidth=0.4)
    ax.set_yticks(y, labels=[_plain(w["word"], limit=28) for w in words])
    ax.axvline(0, color="#333333", linewidth=0.6)
    span = limit
    # Room for the count labels on the side(s) the bars grow towards, a sliver on the other.
    ax.set_xlim(min(0.0, scores.min()) - (0.3 if scores.min() < 0 else 0.03) * span,
                max(0.0, scores.max()) + (0.3 if scores.max() > 0 else 0.03) * span)
    for row, value, word in zip(y, scores, words):
        ax.annotate(f"n = {int(word['count'])}", (value, row), xytext=(3 if value >= 0 else -3, 0),
                    textcoords="offset points", ha="left" if value >= 0 else "right", va="center", fontsize=6.5)
    ax.set_xlabel("mean signed attribution (+ toward spam, − toward ham)")
    return fig


# ------------------------------------------------------------------------------------------ image


def decode_picture(data_uri: str) -> np.ndarray:
    """Decode a ``data:image/...;base64,`` picture into an RGB ``uint8`` array.

    Raises:
        ResultsError: if ``data_uri`` is not a base64 ``data:image/`` URI of a readable image (a
            hand-edited or damaged results.json).
    """
    from PIL import Image, UnidentifiedImageError

    match = re.match(r"data:image/[\w.+-]+;base64,(.*)\Z", data_uri, flags=re.DOTALL)
    if match is None:
        raise ResultsError(f"sample picture is not a base64 data:image/ URI: {data_uri[:40]!r}")
    try:
        with warnings.catch_warnings():
            # A picture over PIL's pixel limit (a decompression bomb) is refused, not decoded after a warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(base64.b64decode(match.group(1), validate=True))) as picture:
                return np.asarray(picture.convert("RGB"))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ResultsError(f"sample picture is too large to decode safely: {error}") from error
    except (binascii.Error, UnidentifiedImageError, OSError) as error:
        raise ResultsError(f"sample picture data URI is not a readable image: {error}") from error


def _upsample(grid: np.ndarray, height: int, width: int, interpolation: str) -> np.ndarray:
    from PIL import Image

    resample = {"nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR}[interpolation]
    return np.asarray(Image.fromarray(grid.astype(np.float32), mode="F").resize((width, height), resample))


@_styled
def image_overlay_figure(picture_data_uri: str | None, grid: Sequence[Sequence[float]], *, signed: bool = True,
                         title: str | None = None, interpolation: Literal["nearest", "bilinear"] = "bilinear",
                         alpha: float = 0.8) -> Figure:
    """The email picture beside the same picture with a patch-grid heatmap laid over it.

    The overlay's opacity grows with |score|, so patches with no influence leave the picture visible.

    Args:
        picture_data_uri: ``sample["picture"]`` (``data:image/png;base64,…``), or ``None`` to draw the
            heatmap alone (the title says so).
        grid: 2-D patch scores, e.g. ``sample["image_scores"]`` or ``attention.image.rollout``.
        signed: ``True`` for signed attributions (diverging map, limits ±max|score|), ``False`` for
            non-negative scores such as attention rollout (sequential map over the map's min–max).
        title: figure title.
        interpolation: how the grid is upsampled to the picture: ``"nearest"`` or ``"bilinear"``.
        alpha: opacity of the strongest patch.

    Returns:
        The figure: picture axes (when a picture is given), overlay axes and a colour bar.
    """
    scores = np.asarray(grid, dtype=float)
    if scores.ndim != 2 or scores.size == 0:
        raise ResultsError(f"image scores must be a non-empty 2-D grid, got shape {scores.shape}")
    picture = decode_picture(picture_data_uri) if picture_data_uri else None
    if picture is not None:
        height, width = picture.shape[:2]
    else:
        height, width = scores.shape[0] * 16, scores.shape[1] * 16
    if signed:
        limit = symmetric_limit(scores)
        norm = Normalize(vmin=-limit, vmax=limit)
        cmap = matplotlib.colormaps[DIVERGING_CMAP]
        label = "attribution (+ spam, − ham)"
        flat = False
    else:
        # Rollout maps are often nearly flat (every patch ≈ 1/N): a 0-based scale would paint the
        # whole picture one colour. The scale spans the map's own range, stated on the colour bar.
        finite = scores[np.isfinite(scores)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
        flat = high - low <= 1e-9 * max(1.0, abs(high))
        norm = Normalize(vmin=0.0, vmax=high if high > 0 else 1.0) if flat else Normalize(vmin=low, vmax=high)
        cmap = matplotlib.colormaps[SEQUENTIAL_CMAP]
        label = "attention (share)" if flat else "attention (share; scale = this map's range)"
    overlay_title = "overlay" + ("" if picture is not None else " (picture not stored in results)")
    if not signed and flat:
        overlay_title += f"\n(uniform: every patch {high:.3g})"

    # Fixed layout (cm): figure title, axes titles, then one or two panels of the picture's aspect
    # side by side and the colour bar with its tick labels and label on the right.
    panels = 2 if picture is not None else 1
    top = (0.55 if title else 0.1) + 0.5 + 0.4 * overlay_title.count("\n")
    bottom, gap, bar_gap, bar_width, bar_labels = 0.15, 0.6, 0.3, 0.35, 1.7
    fig_width = 16.0 if picture is not None else 9.5
    panel_h = (7.0 if picture is not None else 7.5) - top - bottom
    panel_w = panel_h * width / height
    room = fig_width - 0.2 - (panels - 1) * gap - bar_gap - bar_width - bar_labels
    if panels * panel_w > room:  # a wide picture: fit the width, lower the figure
        panel_w = room / panels
        panel_h = panel_w * height / width
    fig = _fixed_figure(top + panel_h + bottom, width_cm=fig_width)
    x = 0.1 + (room - panels * panel_w) / 2  # centred in the column
    if title:
        fig.suptitle(_plain(title), y=1 - 0.1 / (top + panel_h + bottom))
    if picture is not None:
        ax_pic = fig.add_axes(_place(fig, x, bottom, panel_w, panel_h))
        ax_pic.imshow(picture, interpolation="nearest")
        ax_pic.set_title("picture the model saw")
        ax_pic.set_axis_off()
        x += panel_w + gap
    ax = fig.add_axes(_place(fig, x, bottom, panel_w, panel_h))
    upsampled = _upsample(np.nan_to_num(scores), height, width, interpolation)
    rgba = cmap(norm(upsampled))
    if signed:
        strength = np.abs(upsampled) / norm.vmax
    elif flat:  # nothing stands out: leave the picture uncovered and say so in the title
        strength = np.zeros_like(upsampled)
    else:
        strength = np.clip(norm(upsampled), 0, 1)
    rgba[..., 3] = alpha * np.clip(strength, 0, 1) ** 0.7  # gamma < 1: weak patches stay visible
    if picture is not None:
        # The picture in grey under the overlay, so its colours do not mix with the heatmap's.
        grey = picture.mean(axis=2)
        ax.imshow(grey, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    else:
        ax.set_facecolor("white")
    ax.imshow(rgba, interpolation="nearest", extent=(-0.5, width - 0.5, height - 0.5, -0.5))
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    ax.set_title(overlay_title)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.spines[:].set_visible(False)
    cax = fig.add_axes(_place(fig, x + panel_w + bar_gap, bottom + 0.05 * panel_h, bar_width, 0.9 * panel_h))
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax, label=label)
    return fig


# -------------------------------------------------------------------------------------- attention


@_styled
def attention_heatmap_figure(tokens: Sequence[str], matrix: Sequence[Sequence[float]], title: str | None = None,
                             max_tokens: int = 48) -> Figure:
    """Token × token attention of one layer/head (rows attend to columns), first ``max_tokens`` only.

    Args:
        tokens: the sample's tokens (same order as the matrix rows/columns).
        matrix: the square attention matrix (``attention.text.selected.matrix``).
        title: e.g. ``"Layer 12, mean of heads"``; the cap is appended when it applies.
        max_tokens: show at most this many leading tokens so labels stay readable.

    Returns:
        One heatmap axes (sequential map from 0) and a colour bar.
    """
    weights = np.asarray(matrix, dtype=float)
    total = len(tokens)
    if weights.shape != (total, total):
        raise ResultsError(f"attention matrix is {'x'.join(map(str, weights.shape))} but the sample has {total} "
                           f"tokens (expected {total}x{total})")
    n = min(total, max_tokens)
    shown = weights[:n, :n]
    title = title or "Text attention"
    if total > n:
        title = f"{title} (first {n} of {total} tokens)"
    labels = [_plain(t, limit=14) for t in tokens[:n]]
    size = 7 if n <= 24 else 5.5
    # Fixed layout: tick labels (+ tick and padding) and the axis label on the left and at the
    # bottom, the title on top, the colour bar and its label on the right; the square heatmap gets
    # the rest.
    left = bottom = _text_cm(labels, size) + 0.25 + 0.65
    top, right = 0.8, 2.3
    # At least as tall as the y axis label, which is centred on it.
    side = max(_text_cm(["attending token (query)"], 8) + 0.3,
               min(16.0 - left - right, min(16.5, 5.0 + 0.23 * n) - top - bottom))
    fig = _fixed_figure(top + side + bottom, width_cm=16.0)
    ax = fig.add_axes(_place(fig, left, bottom, side, side))
    image = ax.imshow(shown, cmap=SEQUENTIAL_CMAP, vmin=0, vmax=max(1e-9, float(np.nanmax(shown)) if n else 1.0),
                      interpolation="nearest", aspect="equal")
    ax.set_xticks(range(n), labels=labels, rotation=90, fontsize=size)
    ax.set_yticks(range(n), labels=labels, fontsize=size)
    ax.set_xlabel("attended token (key)")
    ax.set_ylabel("attending token (query)")
    ax.set_title(_plain(title))
    ax.spines[:].set_visible(False)
    cax = fig.add_axes(_place(fig, left + side + 0.4, bottom + 0.1 * side, 0.35, 0.8 * side))
    fig.colorbar(image, cax=cax, label="attention weight")
    return fig


@_styled
def text_rollout_figure(tokens: Sequence[str], scores: Sequence[float], max_tokens: int = 64,
                        drop_cls: bool = True, title: str | None = None) -> Figure:
    """Bar chart of the attention rollout from [CLS] to each token.

    Args:
        tokens: the sample's tokens.
        scores: rollout value per token (``attention.text.rollout``).
        max_tokens: show at most this many tokens (the title says when the text was cut).
        drop_cls: leave out [CLS]→[CLS], whose self-attention usually dwarfs every other bar.
        title: figure title (default "Attention rollout from [CLS]").

    Returns:
        One bar axes, bars coloured by value on the sequential map.
    """
    tokens = list(tokens)
    values = np.asarray(scores, dtype=float)
    if values.shape != (len(tokens),):
        raise ResultsError(f"{values.size} rollout values for {len(tokens)} tokens: one value per token expected")
    start = 1 if drop_cls and tokens and tokens[0] == "[CLS]" else 0
    total = len(tokens) - start
    tokens, values = tokens[start: start + max_tokens], values[start: start + max_tokens]
    n = len(tokens)
    title = title or "Attention rollout from [CLS]"
    if total > n:
        title += f" (first {n} of {total} tokens)"
    labels = [_plain(t, limit=14) for t in tokens]
    size = 7 if n <= 32 else 5.5
    # Fixed layout: y tick labels (up to ~6 characters) and the axis label on the left, the rotated
    # token labels and the axis label at the bottom, the title on top; the bars keep >= 3.5 cm.
    left, top, right = 1.8, 0.7, 0.3
    bottom = _text_cm(labels, size) + 0.25 + 0.65
    height = max(6.5, top + bottom + 3.5)
    fig = _fixed_figure(height)
    width = fig.get_size_inches()[0] / CM
    ax = fig.add_axes(_place(fig, left, bottom, width - left - right, height - top - bottom))
    ax.set_title(_plain(title))
    if n == 0:
        _empty_note(ax, "no tokens")
        return fig
    peak = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    norm = Normalize(vmin=0.0, vmax=peak if peak > 0 else 1.0)
    ax.bar(np.arange(n), values, 0.8, color=matplotlib.colormaps[SEQUENTIAL_CMAP](norm(values)))
    ax.set_xticks(range(n), labels=labels, rotation=90, fontsize=size)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylabel("rollout weight")
    if start:
        ax.set_xlabel("token ([CLS] itself left out)")
    else:
        ax.set_xlabel("token")
    return fig


@_styled
def ig_convergence_figure(integrated_gradients: Mapping[str, Any]) -> Figure | None:
    """The model output along the IG path, with f(input), f(baseline) and the completeness gap.

    Args:
        integrated_gradients: one sample's ``integrated_gradients`` dict (``path.alphas``/``path.f``,
            ``f_input``, ``f_baseline``, ``delta``, optional ``relative_delta``/``flagged``).

    Returns:
        The figure, drawn in the warning colour with a warning title when ``flagged``; ``None`` when
        the results carry no ``path`` to draw.
    """
    ig = integrated_gradients
    path = ig.get("path") or {}
    alphas, values = path.get("alphas"), path.get("f")
    if not alphas or not values:
        return None
    flagged = bool(ig.get("flagged", False))
    colour = WARNING_COLOUR if flagged else NEUTRAL_COLOUR
    # Fixed layout (cm): tick and axis labels, and below them a three-row legend; title on top.
    fig = _fixed_figure(7.0)
    ax = fig.add_axes(_place(fig, 1.5, 2.45, 16.0 - 1.5 - 0.3, 7.0 - 2.45 - 0.7))
    order = np.argsort(np.asarray(alphas, dtype=float))
    a = np.asarray(alphas, dtype=float)[order]
    f = np.asarray(values, dtype=float)[order]
    ax.plot(a, f, color=colour, marker="o", markersize=2.5, linewidth=1.4, label="f along the path")
    ax.axhline(float(ig["f_input"]), color="#333333", linestyle="--", linewidth=0.8,
               label=f"f(input) = {float(ig['f_input']):.3f}")
    ax.axhline(float(ig["f_baseline"]), color="#333333", linestyle=":", linewidth=0.8,
               label=f"f(baseline) = {float(ig['f_baseline']):.3f}")
    relative = ig.get("relative_delta")
    gap = f"completeness gap δ = {float(ig['delta']):+.3g}"
    if relative is not None:
        gap += f" ({100 * float(relative):.1f} % of |f(input) − f(baseline)|)"
    # The gap and the quadrature go in the legend, below the axes and so off the curve.
    ax.plot([], [], linestyle="none", label=gap)
    ax.plot([], [], linestyle="none", label=f"{int(ig['n_steps'])} steps, {_plain(ig['method'])}")
    ax.set_xlim(0, 1)
    ax.set_xlabel("α (0 = baseline, 1 = input)")
    ax.set_ylabel("spam log-odds f")
    ax.set_title(("⚠ IG did not converge: " if flagged else "") + "Integrated-gradients path",
                 color=colour if flagged else "black")
    legend = fig.legend(*ax.get_legend_handles_labels(), frameon=False, loc="lower center", ncols=2,
                        fontsize=6.5, bbox_to_anchor=(0.5, 0.0))
    if flagged:
        legend.get_texts()[-2].set_color(WARNING_COLOUR)
    return fig


# ---------------------------------------------------------------------------------- serialisation


@contextmanager
def _rc(overrides: Mapping[str, Any]) -> Iterator[None]:
    """Temporarily set a few rcParams.

    Not :func:`matplotlib.rc_context`: it copies *all* rcParams, and reading ``backend`` while it is
    still the "auto" sentinel imports :mod:`matplotlib.pyplot` (matplotlib 3.11), global state this
    module promises never to touch.
    """
    params = matplotlib.rcParams
    saved = {key: params[key] for key in overrides}
    params.update(overrides)
    try:
        yield
    finally:
        params.update(saved)


#: savefig settings that would otherwise come from the user's matplotlibrc (savefig.*).
#: (bbox_inches=None would mean "use savefig.bbox", so that one is pinned in _save_context instead.)
_SAVE_OPTIONS: dict[str, Any] = {"dpi": "figure", "facecolor": "white", "edgecolor": "white", "transparent": False}


@contextmanager
def _save_context(salt: str) -> Iterator[None]:
    # Salted ids and glyphs as paths: identical bytes on every run and on machines without the font.
    # DejaVu Sans has no CJK glyphs: such tokens show as boxes in tick labels (the HTML text itself
    # shows them); one warning per glyph per figure would only bury real warnings.
    rc = {"svg.hashsalt": salt, "svg.fonttype": "path", "pdf.fonttype": 42, "savefig.bbox": "standard"}
    with _rc(rc), warnings.catch_warnings():
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


def figure_to_png_bytes(fig: Figure, dpi: int = 150) -> bytes:
    """Serialise ``fig`` as PNG (deterministic: no timestamp is written)."""
    buffer = io.BytesIO()
    with _save_context("reportgen"):
        fig.savefig(buffer, format="png", **{**_SAVE_OPTIONS, "dpi": dpi})
    return buffer.getvalue()


def figure_to_pdf_bytes(fig: Figure) -> bytes:
    """Serialise ``fig`` as a vector PDF without a creation date (byte-identical across runs)."""
    buffer = io.BytesIO()
    with _save_context("reportgen"):
        fig.savefig(buffer, format="pdf", metadata={"CreationDate": None}, **_SAVE_OPTIONS)
    return buffer.getvalue()


def figure_to_data_uri(fig: Figure, fmt: Literal["svg", "png"] = "svg", dpi: int = 150) -> str:
    """``fig`` as a ``data:`` URI (base64) for an ``<img src>`` in a self-contained HTML/PDF.

    Args:
        fig: the figure.
        fmt: ``"svg"`` (vector, default) or ``"png"`` (raster at ``dpi``).
        dpi: resolution for PNG.
    """
    if fmt == "svg":
        payload, mime = figure_to_svg(fig).encode("utf-8"), "image/svg+xml"
    elif fmt == "png":
        payload, mime = figure_to_png_bytes(fig, dpi=dpi), "image/png"
    else:
        raise ValueError(f"fmt must be 'svg' or 'png', not {fmt!r}")
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"
