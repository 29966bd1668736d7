"""What every report figure shares: sizes, colours, the rc style, layout and label helpers.

Colour conventions, chosen to survive greyscale printing and colour-blind readers:

* signed scores (positive = toward spam, negative = toward ham) use the diverging ``RdBu_r`` map,
  spam warm (red), ham cool (blue), always with limits symmetric around 0 so white means "no push";
* unsigned quantities (attention, rollout, counts) use the sequential ``viridis``/``cividis`` maps,
  whose lightness rises monotonically;
* categorical colours come from the Okabe–Ito / Tol palettes and are always paired with a second cue
  (marker shape, hatch or fill) so the categories stay apart in grey.

Email text is attacker-controlled: every string drawn from the data goes through :func:`plain`, so a
token such as ``$x^$`` is shown literally instead of being parsed as (possibly invalid) mathtext.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from reportgen.fonts import figure_families
from reportgen.names import ESTIMATORS

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
CLASS_MARKERS = {0: "o", 1: "^", None: "s"}
# Tol's indigo vs sand: far apart in lightness, so text/image survive greyscale; image also hatched.
MODALITY_COLOURS = {"text": "#332288", "image": "#DDCC77"}
IMAGE_HATCH = "///"
ESTIMATOR_STYLE = {
    "ig": {"color": "#0072B2", "marker": "o"},
    "shapley": {"color": "#D55E00", "marker": "s"},
}
ESTIMATOR_UNITS = {
    "ig": "IG attribution (spam log-odds)",
    "shapley": "Shapley value φ (spam log-odds)",
}
WARNING_COLOUR = "#D55E00"
NEUTRAL_COLOUR = "#0072B2"

#: rcParams every figure is built under: DejaVu Sans (bundled) then per-glyph fallback through the
#: installed fonts of reportgen.fonts.FONT_FAMILIES (CJK, emoji, …), print-size fonts, no mathtext surprises.
STYLE: dict[str, Any] = {
    "font.family": figure_families(),
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


def styled(function: _F) -> _F:
    """Build the figure under :data:`STYLE` (rc values are read when artists are created)."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with rc_params(STYLE):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def column_figure(height_cm: float, width_cm: float = COLUMN_WIDTH_IN / CM) -> Figure:
    """A figure laid out by matplotlib's constrained layout (the aggregate charts)."""
    # Constrained layout keeps labels, colour bars and legends from overlapping without pyplot.
    # Fixed dpi: it sets how embedded images are resampled, so it must not come from a user's rc file.
    return Figure(figsize=(width_cm * CM, height_cm * CM), dpi=100, layout="constrained")


def fixed_figure(height_cm: float, width_cm: float = COLUMN_WIDTH_IN / CM) -> Figure:
    """A figure without a layout engine: the caller places its axes (see :func:`place`).

    Constrained layout measures every text extent twice per draw, about a third of the drawing
    time of the tick-label-heavy per-sample figures, of which a report has hundreds; their layout
    is simple enough to compute from font sizes instead.
    """
    return Figure(figsize=(width_cm * CM, height_cm * CM), dpi=100, layout="none")


def place(fig: Figure, left_cm: float, bottom_cm: float, width_cm: float, height_cm: float) -> list[float]:
    """An axes rectangle given in centimetres, as the figure fractions ``add_axes`` takes."""
    fig_w, fig_h = (fig.get_size_inches() / CM).tolist()
    return [left_cm / fig_w, bottom_cm / fig_h, width_cm / fig_w, height_cm / fig_h]


def text_width_cm(labels: Sequence[str], size_pt: float) -> float:
    """The widest label's advance width in cm at ``size_pt`` in the figures' fonts (with their fallback).

    Measured with FreeType directly (a few microseconds per label): the matplotlib Text machinery
    that layout engines go through costs a thousand times more. A 5 % allowance covers hinting.
    """
    from matplotlib.font_manager import FontProperties, findfont, get_font

    # The whole fallback list, as matplotlib's renderers use it: CJK glyphs are about twice as wide as Latin.
    font = get_font([findfont(FontProperties(family=family)) for family in STYLE["font.family"]])
    font.clear()
    font.set_size(size_pt, 72)  # at 72 dpi one pixel is one point
    widest = 0.0
    with warnings.catch_warnings():  # glyphs no installed font has: measured as the box drawn for them
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        for label in labels:
            font.set_text(label, 0.0)
            widest = max(widest, font.get_width_height()[0] / 64)  # 26.6 fixed point
    return 1.05 * widest / 72 * 2.54


def plain(text: Any, limit: int | None = None) -> str:
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


def text_share_or_nan(entry: Mapping[str, Any]) -> float:
    """The estimate's text share of the push toward the decision (:mod:`reportgen.claims`, stored in
    results.json), NaN when the e-mail was decided by default."""
    share = entry.get("text_share")
    return math.nan if share is None else float(share)


def check_estimator(estimator: str) -> None:
    """ValueError unless ``estimator`` is one of :data:`reportgen.names.ESTIMATORS`."""
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {', '.join(ESTIMATORS)}, not {estimator!r}")


def sample_label(sample: Mapping[str, Any]) -> str:
    """A sample's axis label: its data row."""
    return f"row {sample['row']}"


def outcome_correct(sample: Mapping[str, Any]) -> bool | None:
    """Whether the prediction matches the label (``None`` without a label)."""
    label = sample.get("label")
    return None if label is None else int(label) == int(sample["prediction"])


def tick_every(n: int, max_ticks: int = 30) -> int:
    """Label every k-th of ``n`` ticks so at most ``max_ticks`` labels are drawn."""
    return max(1, math.ceil(n / max_ticks))


def empty_note(ax: Any, message: str) -> None:
    """Hide ``ax`` and say in its middle why it is empty."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, plain(message), ha="center", va="center", transform=ax.transAxes, color="#555555")


@contextmanager
def rc_params(overrides: Mapping[str, Any]) -> Iterator[None]:
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


def diverging_colour(score: float, scale: float, noise_floor: float = 0.0) -> tuple[str, str]:
    """Background and text colour of ``score`` on the diverging map, symmetric around 0.

    The figures' own map, so highlighted words in the page and heatmaps read the same way.

    Args:
        score: a signed attribution (positive = toward spam), in log-odds.
        scale: the |score| that maps to the map's ends (the report's one colour scale).
        noise_floor: scores smaller than this stay uncoloured (white).

    Returns:
        ``(background, text_colour)`` as ``#rrggbb``.
    """
    if abs(score) < noise_floor:
        return "#ffffff", "#000000"
    position = 0.5 if scale <= 0 else 0.5 + 0.5 * max(-1.0, min(1.0, score / scale))
    rgba = matplotlib.colormaps[DIVERGING_CMAP](position)
    return _hex(rgba), _text_colour(rgba)


def _hex(rgba: tuple[float, ...]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(round(255 * c)) for c in rgba[:3]))


def _text_colour(rgba: tuple[float, ...]) -> str:
    # Black or white, whichever contrasts more with the swatch (WCAG 2 contrast ratio). They tie at a
    # relative luminance of 0.179, where both reach 4.58:1, so every swatch gets at least 4.5:1 (WCAG AA
    # for normal text); a fixed luminance cut of 0.25 put white on #d05548 at 4.1:1.
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgba[:3])
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"
