"""Charts of one explained e-mail: modality split, picture overlays, attention, the IG path, coloured words.

Each function takes one sample's results data and returns a new :class:`~matplotlib.figure.Figure`.
A report draws these for every explained e-mail, so they place their axes by hand
(:func:`~reportgen.report.figures.style.fixed_figure`) instead of using a layout engine.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import matplotlib
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from reportgen.errors import ResultsError
from reportgen.names import ESTIMATOR_NAMES, ESTIMATORS
from reportgen.report.figures.style import (
    CM,
    DIVERGING_CMAP,
    ESTIMATOR_UNITS,
    IMAGE_HATCH,
    MODALITY_COLOURS,
    NEUTRAL_COLOUR,
    SEQUENTIAL_CMAP,
    WARNING_COLOUR,
    empty_note,
    fixed_figure,
    place,
    plain,
    styled,
    symmetric_limit,
    text_share_or_nan,
    text_width_cm,
)


@styled
def modality_split_figure(modality: Mapping[str, Any]) -> Figure:
    """One sample's text vs image split under Shapley and IG, as two bar charts on one scale.

    Both are in log-odds, so both axes share their limits; each title gives the text's share of the
    push toward the decision (or says the e-mail was decided by default).

    Args:
        modality: one sample's ``modality`` dict (``shapley``, ``ig``).

    Returns:
        A figure with one axes per estimator present in ``modality``.
    """
    present = [e for e in ESTIMATORS if e in modality]
    fig = fixed_figure(5.5)
    # Fixed layout (cm): each axes has its y tick labels and unit label (~1.5 cm) on its left, a
    # two-line title on top and the "text"/"image" labels below.
    count = max(1, len(present))
    left, right, top, bottom, gap = 1.5, 0.2, 1.05, 0.55, 1.7
    axes_w = (16.0 - left - right - (count - 1) * gap) / count
    axes = fig.subplots(1, count, squeeze=False, gridspec_kw={
        "left": left / 16.0, "right": 1 - right / 16.0, "top": 1 - top / 5.5, "bottom": bottom / 5.5,
        "wspace": gap / axes_w})[0]
    everything = [float(modality[e][k]) for e in present for k in ("text", "image")]
    limit = symmetric_limit(everything) if everything else 1.0
    low = min([0.0, *everything]) - 0.15 * limit
    high = max([0.0, *everything]) + 0.2 * limit
    for ax, estimator in zip(axes, present):
        entry = modality[estimator]
        values = [float(entry["text"]), float(entry["image"])]
        bars = ax.bar([0, 1], values, 0.6, color=[MODALITY_COLOURS["text"], MODALITY_COLOURS["image"]],
                      edgecolor=["#332288", "#7a6a20"], linewidth=0.5)
        bars[1].set_hatch(IMAGE_HATCH)
        ax.axhline(0, color="#555555", linewidth=0.6)
        ax.set_xticks([0, 1], labels=["text", "image"])
        ax.set_ylabel(ESTIMATOR_UNITS[estimator], fontsize=7)
        ax.set_ylim(low, high)
        share = text_share_or_nan(entry)
        note = "decided by default" if math.isnan(share) else f"text share of the push {100 * share:.0f} %"
        ax.set_title(f"{ESTIMATOR_NAMES[estimator]}\n{note}", fontsize=8)
        for bar, value in zip(bars, values):
            ax.annotate(f"{value:+.3g}",
                        (bar.get_x() + bar.get_width() / 2, value), xytext=(0, 2 if value >= 0 else -2),
                        textcoords="offset points", ha="center", va="bottom" if value >= 0 else "top",
                        fontsize=6.5)
    if not present:
        empty_note(axes[0], "no modality estimates")
    return fig


def decode_picture(data_uri: str) -> np.ndarray:
    """Decode a ``data:image/...;base64,`` picture into an RGB ``uint8`` array (read-only).

    The last few pictures are kept decoded: an e-mail's overlays (Integrated Gradients, rollout,
    occlusion) all lay their maps over the same picture, which is decoded once.

    Raises:
        ResultsError: if ``data_uri`` is not a base64 ``data:image/`` URI of a readable image (a
            hand-edited or damaged results.json).
    """
    return _decode_picture(data_uri)


@functools.lru_cache(maxsize=4)
def _decode_picture(data_uri: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    match = re.match(r"data:image/[\w.+-]+;base64,(.*)\Z", data_uri, flags=re.DOTALL)
    if match is None:
        raise ResultsError(f"sample picture is not a base64 data:image/ URI: {data_uri[:40]!r}")
    try:
        with warnings.catch_warnings():
            # A picture over PIL's pixel limit (a decompression bomb) is refused, not decoded after a warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(base64.b64decode(match.group(1), validate=True))) as picture:
                pixels = np.asarray(picture.convert("RGB"))
                pixels.setflags(write=False)  # shared by every caller through the cache
                return pixels
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ResultsError(f"sample picture is too large to decode safely: {error}") from error
    except (binascii.Error, UnidentifiedImageError, OSError) as error:
        raise ResultsError(f"sample picture data URI is not a readable image: {error}") from error


def _upsample(grid: np.ndarray, height: int, width: int, interpolation: str) -> np.ndarray:
    from PIL import Image

    resample = {"nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR}[interpolation]
    return np.asarray(Image.fromarray(grid.astype(np.float32), mode="F").resize((width, height), resample))


@styled
def image_overlay_figure(picture_data_uri: str | None, grid: Sequence[Sequence[float]], *, signed: bool = True,
                         title: str | None = None, interpolation: Literal["nearest", "bilinear"] = "bilinear",
                         alpha: float = 0.8, limit: float | None = None, noise_floor: float = 0.0,
                         show_picture: bool = True) -> Figure:
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
        limit: for signed scores, the |score| at the colour map's ends (the report's one scale, in
            log-odds); default: this grid's own max |score|.
        noise_floor: signed patches with |score| below this are not coloured at all.
        show_picture: draw the picture in colour beside the overlay. An e-mail's card shows it
            beside its first overlay only: the others still lay their map over the picture (in grey),
            and the page does not carry the same picture three times.

    Returns:
        The figure: picture axes (when a picture is given and shown), overlay axes and a colour bar.
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
        limit = symmetric_limit(scores) if limit is None else float(limit)
        norm = Normalize(vmin=-limit, vmax=limit)
        cmap = matplotlib.colormaps[DIVERGING_CMAP]
        label = "log-odds (+ spam, − ham)"
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
    beside = picture is not None and show_picture
    panels = 2 if beside else 1
    top = (0.55 if title else 0.1) + 0.5 + 0.4 * overlay_title.count("\n")
    bottom, gap, bar_gap, bar_width, bar_labels = 0.15, 0.6, 0.3, 0.35, 1.7
    fig_width = 16.0 if beside else 9.5
    panel_h = (7.0 if beside else 7.5) - top - bottom
    panel_w = panel_h * width / height
    room = fig_width - 0.2 - (panels - 1) * gap - bar_gap - bar_width - bar_labels
    if panels * panel_w > room:  # a wide picture: fit the width, lower the figure
        panel_w = room / panels
        panel_h = panel_w * height / width
    fig = fixed_figure(top + panel_h + bottom, width_cm=fig_width)
    x = 0.1 + (room - panels * panel_w) / 2  # centred in the column
    if title:
        fig.suptitle(plain(title), y=1 - 0.1 / (top + panel_h + bottom))
    if beside:
        ax_pic = fig.add_axes(place(fig, x, bottom, panel_w, panel_h))
        ax_pic.imshow(picture, interpolation="nearest")
        ax_pic.set_title("picture the model saw")
        ax_pic.set_axis_off()
        x += panel_w + gap
    ax = fig.add_axes(place(fig, x, bottom, panel_w, panel_h))
    upsampled = _upsample(np.nan_to_num(scores), height, width, interpolation)
    rgba = cmap(norm(upsampled))
    if signed:
        strength = np.abs(upsampled) / norm.vmax
        # Below the floor nothing is coloured (a patch's own score, before upsampling blurs it).
        quiet = _upsample((np.abs(np.nan_to_num(scores)) < noise_floor).astype(float), height, width, "nearest")
        strength = np.where(quiet > 0.5, 0.0, strength)
    elif flat:  # nothing stands out: leave the picture uncovered and say so in the title
        strength = np.zeros_like(upsampled)
    else:
        strength = np.clip(norm(upsampled), 0, 1)
    rgba[..., 3] = alpha * np.clip(strength, 0, 1) ** 0.7  # gamma < 1: weak patches stay visible
    if picture is not None:
        # The picture in grey under the overlay, so its colours do not mix with the heatmap's.
        grey = picture.mean(axis=2)
        ax.imshow(grey, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.imshow(rgba, interpolation="nearest", extent=(-0.5, width - 0.5, height - 0.5, -0.5))
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    ax.set_title(overlay_title)
    # No ticks, spines or background to draw (all were hidden anyway): less to draw per overlay.
    ax.set_axis_off()
    cax = fig.add_axes(place(fig, x + panel_w + bar_gap, bottom + 0.05 * panel_h, bar_width, 0.9 * panel_h))
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax, label=label)
    return fig


@styled
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
    labels = [plain(t, limit=14) for t in tokens[:n]]
    size = 7 if n <= 24 else 5.5
    # Fixed layout: tick labels (+ tick and padding) and the axis label on the left and at the
    # bottom, the title on top, the colour bar and its label on the right; the square heatmap gets
    # the rest.
    left = bottom = text_width_cm(labels, size) + 0.25 + 0.65
    top, right = 0.8, 2.3
    # At least as tall as the y axis label, which is centred on it.
    side = max(text_width_cm(["attending token (query)"], 8) + 0.3,
               min(16.0 - left - right, min(16.5, 5.0 + 0.23 * n) - top - bottom))
    fig = fixed_figure(top + side + bottom, width_cm=16.0)
    ax = fig.add_axes(place(fig, left, bottom, side, side))
    image = ax.imshow(shown, cmap=SEQUENTIAL_CMAP, vmin=0, vmax=max(1e-9, float(np.nanmax(shown)) if n else 1.0),
                      interpolation="nearest", aspect="equal")
    _token_labels(ax, labels, size, bottom_cm=bottom, left_cm=left, rows=True)
    ax.set_xlabel("attended token (key)")
    ax.set_ylabel("attending token (query)")
    ax.set_title(plain(title))
    ax.spines[:].set_visible(False)
    cax = fig.add_axes(place(fig, left + side + 0.4, bottom + 0.1 * side, 0.35, 0.8 * side))
    fig.colorbar(image, cax=cax, label="attention weight")
    return fig


@styled
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
    labels = [plain(t, limit=14) for t in tokens]
    size = 7 if n <= 32 else 5.5
    # Fixed layout: y tick labels (up to ~6 characters) and the axis label on the left, the rotated
    # token labels and the axis label at the bottom, the title on top; the bars keep >= 3.5 cm.
    left, top, right = 1.8, 0.7, 0.3
    bottom = text_width_cm(labels, size) + 0.25 + 0.65
    height = max(6.5, top + bottom + 3.5)
    fig = fixed_figure(height)
    width = fig.get_size_inches()[0] / CM
    ax = fig.add_axes(place(fig, left, bottom, width - left - right, height - top - bottom))
    ax.set_title(plain(title))
    if n == 0:
        empty_note(ax, "no tokens")
        return fig
    peak = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    norm = Normalize(vmin=0.0, vmax=peak if peak > 0 else 1.0)
    ax.bar(np.arange(n), values, 0.8, color=matplotlib.colormaps[SEQUENTIAL_CMAP](norm(values)))
    ax.set_xlim(-0.6, n - 0.4)
    _token_labels(ax, labels, size, bottom_cm=bottom)
    ax.set_ylabel("rollout weight")
    if start:
        ax.set_xlabel("token ([CLS] itself left out)")
    else:
        ax.set_xlabel("token")
    return fig


#: Gap between an axes and its token labels (points): matplotlib's tick length plus tick label pad.
_LABEL_GAP_PT = 7.0


def _token_labels(ax: Any, labels: Sequence[str], size: float, *, bottom_cm: float, left_cm: float = 0.0,
                  rows: bool = False) -> None:
    """Write ``labels`` under positions 0…n−1 of ``ax`` (rotated) and, with ``rows``, left of them.

    One text per label, where matplotlib's ticks would build two marks and two texts per label and
    measure them all again at every draw: about a third of the drawing time of the token charts,
    which have up to 112 labels. The axis labels go where the ticks would have pushed them, below
    (left of) the widest token label, at the margins the caller reserved (``bottom_cm``/``left_cm``).
    """
    from matplotlib.transforms import blended_transform_factory, offset_copy

    fig = ax.get_figure()
    ax.set_xticks([])
    under = offset_copy(blended_transform_factory(ax.transData, ax.transAxes), fig=fig, y=-_LABEL_GAP_PT,
                        units="points")
    for position, label in enumerate(labels):
        ax.text(position, 0.0, label, transform=under, rotation=90, ha="center", va="top", fontsize=size)
    height_cm = ax.get_position().height * fig.get_size_inches()[1] / CM
    # The axis label's top sits 0.65 cm above the figure's bottom edge, as the layout reserved.
    ax.xaxis.set_label_coords(0.5, -(bottom_cm - 0.65) / height_cm)
    ax.xaxis.label.set_verticalalignment("top")
    if not rows:
        return
    ax.set_yticks([])
    beside = offset_copy(blended_transform_factory(ax.transAxes, ax.transData), fig=fig, x=-_LABEL_GAP_PT,
                         units="points")
    for position, label in enumerate(labels):
        ax.text(0.0, position, label, transform=beside, ha="right", va="center", fontsize=size)
    width_cm = ax.get_position().width * fig.get_size_inches()[0] / CM
    ax.yaxis.set_label_coords(-(left_cm - 0.65) / width_cm, 0.5)
    ax.yaxis.label.set_verticalalignment("bottom")


@styled
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
    fig = fixed_figure(7.0)
    ax = fig.add_axes(place(fig, 1.5, 2.45, 16.0 - 1.5 - 0.3, 7.0 - 2.45 - 0.7))
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
    ax.plot([], [], linestyle="none", label=f"{int(ig['n_steps'])} steps, {plain(ig['method'])}")
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


#: Font size (pt) and line height (cm) of the coloured-words figure.
_WORDS_SIZE = 8.0
_WORDS_LINE = 0.62
#: Underline of a word by direction, as the page draws it (a cue that survives greyscale printing).
_WORDS_UNDERLINE = {"spam": ("#67001f", "-"), "ham": ("#053061", ":")}


@styled
def coloured_words_figure(words: Sequence[Mapping[str, Any]], legend: Sequence[Mapping[str, Any]], *,
                          title: str | None = None, legend_title: str = "", unread: str = "",
                          max_unread: int = 300, width_cm: float = 16.0) -> Figure:
    """An e-mail's words on their background colours, as the report page shows them, for a paper.

    The colours are given, not computed: they are the page's own (the report's one scale and noise
    floor), so the figure and the page cannot disagree. Words flow left to right in lines of
    ``width_cm``; the e-mail's own line breaks are kept, runs of blank lines shortened to one.
    Matplotlib lays text out without bidirectional reordering: right-to-left scripts show their
    letters in logical (stored) order.

    Args:
        words: per word ``text``, ``background``, ``color``, ``direction`` ("spam", "ham" or
            "neutral": spam words are underlined solid, ham words dotted, as on the page) and
            ``before`` (the e-mail's text between the previous word and this one).
        legend: per swatch ``label``, ``background``, ``color``, ``direction``.
        title: figure title (e.g. the e-mail's row).
        legend_title: what the legend's numbers are.
        unread: text after the last scored word (beyond the model's length limit), drawn in grey
            italic, shortened to ``max_unread`` characters.
        width_cm: figure width.

    Returns:
        The figure: one axes in centimetres (y downwards), no ticks.
    """
    from matplotlib.patches import Rectangle

    pad, left, right = 0.04, 0.2, 0.2
    usable = width_cm - left - right
    space = text_width_cm([" "], _WORDS_SIZE)
    # (x, line, text, word or None); a word's box is drawn behind its text.
    placed: list[tuple[float, int, str, Mapping[str, Any] | None]] = []
    x, line = 0.0, 0

    def newline(count: int = 1) -> None:
        nonlocal x, line
        x, line = 0.0, line + count

    def put(text: str, word: Mapping[str, Any] | None) -> None:
        """Place a scored word (one box) or unscored text (word by word, so it wraps between words)."""
        nonlocal x
        tokens = [text] if word is not None else text.split(" ")
        for position, token in enumerate(tokens):
            if position and x > 0:
                x += space
            for piece in _fitting_pieces(token, usable):
                width = text_width_cm([piece], _WORDS_SIZE) + (2 * pad if word is not None else 0.0)
                if x > 0 and x + width > usable:
                    newline()
                placed.append((x, line, piece, word))
                x += width

    def gap(text: str) -> None:
        nonlocal x
        breaks = text.count("\n")
        if breaks:
            newline(min(breaks, 2))
        plain_text = " ".join(text.split())
        if plain_text:
            if text[:1].isspace() and x > 0:
                x += space
            put(plain_text, None)
        if text[-1:].isspace() and x > 0:
            x += space

    for word in words:
        before = str(word.get("before", " "))
        if before:
            gap(before)
        put(str(word["text"]), word)
    unread = " ".join(str(unread).split())
    if len(unread) > max_unread:
        unread = unread[: max_unread - 1] + "…"
    unread_at = len(placed)
    if unread:
        x += space
        put(unread, None)
    lines = line + 1 if placed else 1
    legend_pieces = ([legend_title] if legend_title else []) + [str(stop["label"]) for stop in legend]
    legend_lines = 1 if sum(text_width_cm([p], 7) + 0.35 for p in legend_pieces) <= usable else 2
    top = 0.75 if title else 0.25
    height = top + lines * _WORDS_LINE + 0.3 + legend_lines * 0.55 + 0.15
    fig = fixed_figure(height, width_cm=width_cm)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, width_cm)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    if title:
        ax.text(left, 0.45, plain(title), fontsize=9, va="baseline")
    for index, (x0, row, text, word) in enumerate(placed):
        baseline = top + row * _WORDS_LINE + 0.4
        if word is None:
            unread_part = unread and index >= unread_at
            ax.text(left + x0, baseline, plain(text), fontsize=_WORDS_SIZE, va="baseline",
                    color="#595959" if unread_part else "black", style="italic" if unread_part else "normal")
            continue
        width = text_width_cm([text], _WORDS_SIZE) + 2 * pad
        ax.add_patch(Rectangle((left + x0, baseline - 0.33), width, 0.46, facecolor=str(word["background"]),
                               edgecolor="none"))
        ax.text(left + x0 + pad, baseline, plain(text), fontsize=_WORDS_SIZE, va="baseline", color=str(word["color"]))
        underline = _WORDS_UNDERLINE.get(str(word.get("direction")))
        if underline:
            ax.plot([left + x0, left + x0 + width], [baseline + 0.14] * 2, color=underline[0],
                    linestyle=underline[1], linewidth=1.0)
    x0, y = left, top + lines * _WORDS_LINE + 0.55
    for piece, stop in zip(legend_pieces, [None] * (len(legend_pieces) - len(legend)) + list(legend)):
        width = text_width_cm([piece], 7) + (0.2 if stop is not None else 0.0)
        if x0 > left and x0 + width > left + usable:
            x0, y = left, y + 0.55
        if stop is None:
            ax.text(x0, y, plain(piece), fontsize=7, va="baseline", color="#444444")
        else:
            ax.add_patch(Rectangle((x0, y - 0.3), width, 0.42, facecolor=str(stop["background"]), edgecolor="none"))
            ax.text(x0 + 0.1, y, plain(piece), fontsize=7, va="baseline", color=str(stop["color"]))
            underline = _WORDS_UNDERLINE.get(str(stop.get("direction")))
            if underline:
                ax.plot([x0, x0 + width], [y + 0.12] * 2, color=underline[0], linestyle=underline[1], linewidth=1.0)
        x0 += width + 0.15
    return fig


def _fitting_pieces(text: str, width_cm: float) -> list[str]:
    """``text`` cut into pieces no wider than ``width_cm`` (a token longer than a line is split)."""
    if text_width_cm([text], _WORDS_SIZE) <= width_cm:
        return [text]
    pieces, current = [], ""
    for character in text:
        if current and text_width_cm([current + character], _WORDS_SIZE) > width_cm:
            pieces.append(current)
            current = ""
        current += character
    return pieces + ([current] if current else [])
