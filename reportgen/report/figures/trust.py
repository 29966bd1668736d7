"""Charts of the trust checks: deletion/insertion curves against random, and the randomisation test.

Each function takes plain results data and returns a new :class:`~matplotlib.figure.Figure`.
Curves are in the units of the check: the change of the *predicted class's* log-odds (positive =
the decision weakened when units were removed, or strengthened when they were put back).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from reportgen.report.figures.style import (
    MODALITY_COLOURS,
    WARNING_COLOUR,
    column_figure,
    empty_note,
    fixed_figure,
    place,
    plain,
    styled,
)

#: Ranked order in the modality's colour, random order in grey: lines stay apart in greyscale too.
RANDOM_COLOUR = "#888888"
_TITLES = {"text": "Words", "image": "Picture patches"}
_UNITS = {"text": "words", "image": "patches"}


def _percent_axis(ax: Any, fractions: Sequence[float]) -> None:
    ax.set_xticks([100 * f for f in fractions], labels=[f"{100 * f:g} %" for f in fractions])
    ax.set_xlim(0, 100 * max(fractions) * 1.05)


def _curve_panel(ax: Any, curves: Mapping[str, Any] | None, modality: str, fractions: Sequence[float],
                 kind: str, legend: bool) -> None:
    """Deletion or insertion (``kind``) of the ranked units vs random ones in one axes."""
    if not curves:
        empty_note(ax, f"no {_UNITS[modality]} to remove")
        return
    x = [0.0] + [100 * f for f in fractions]
    colour = MODALITY_COLOURS[modality] if modality == "text" else "#7a6a20"
    ax.plot(x, [0.0, *curves[kind]], color=colour, marker="o", markersize=3, linewidth=1.5, label="top-ranked")
    ax.plot(x, [0.0, *curves[f"random_{kind}"]], color=RANDOM_COLOUR, marker="o", markersize=3, linewidth=1.2,
            linestyle="--", label="random (mean)")
    ax.axhline(0, color="#555555", linewidth=0.6)
    _percent_axis(ax, fractions)
    ax.set_title(_TITLES[modality])
    if legend:
        ax.legend(frameon=False, loc="best")


@styled
def mean_deletion_figure(summary: Mapping[str, Any]) -> Figure:
    """Mean deletion curves over the explained e-mails, top-ranked vs random, words and picture.

    Args:
        summary: results.json ``aggregate.faithfulness``.

    Returns:
        A figure with one axes per modality.
    """
    fig = column_figure(6.5)
    axes = fig.subplots(1, 2, sharey=False)
    fractions = summary["fractions"]
    for ax, modality in zip(axes, ("text", "image")):
        means = summary.get(modality)
        _curve_panel(ax, means, modality, fractions, kind="deletion", legend=modality == "text")
        if means:
            ax.set_title(f"{_TITLES[modality]} (mean of {means['n']} e-mails)")
        ax.set_xlabel(f"share of the {_UNITS[modality]} removed")
    axes[0].set_ylabel("drop of the predicted class's log-odds")
    return fig


@styled
def sample_curves_figure(faithfulness: Mapping[str, Any]) -> Figure:
    """One e-mail's deletion (top row) and insertion (bottom row) curves, top-ranked vs random, words and picture.

    Deletion and insertion get their own rows: on one axis the insertion of a whole signal (often
    several log-odds) flattens the deletion curves the check is about.

    Args:
        faithfulness: a sample's ``faithfulness`` block.

    Returns:
        A small four-panel figure (fixed layout: a report draws one per e-mail).
    """
    fig = fixed_figure(9.8)
    width = (16.0 - 1.7 - 1.2 - 0.3) / 2
    rows = {"deletion": 6.0, "insertion": 2.1}
    axes = {(kind, i): fig.add_axes(place(fig, 1.7 + i * (width + 1.2), bottom, width, 2.9))
            for kind, bottom in rows.items() for i in range(2)}
    fractions = next((faithfulness[m]["fractions"] for m in ("text", "image") if faithfulness.get(m)), [0.05, 0.4])
    for (kind, i), ax in axes.items():
        modality = ("text", "image")[i]
        _curve_panel(ax, faithfulness.get(modality), modality, fractions, kind=kind, legend=False)
        if kind == "deletion":
            ax.set_title(f"{_TITLES[modality]}: top units removed", fontsize=7.5)
            ax.tick_params(labelbottom=False)
        else:
            ax.set_title(f"{_TITLES[modality]}: only the top units kept", fontsize=7.5)
            ax.set_xlabel(f"share of the {_UNITS[modality]}", fontsize=7)
    predicted = faithfulness.get("predicted", "predicted class")
    axes[("deletion", 0)].set_ylabel(f"drop of the\n{predicted} log-odds", fontsize=7)
    axes[("insertion", 0)].set_ylabel(f"rise from none\n({predicted} log-odds)", fontsize=7)
    handles, labels = next((ax.get_legend_handles_labels() for ax in axes.values()
                            if ax.get_legend_handles_labels()[0]), ([], []))
    if handles:
        fig.legend(handles, labels, frameon=False, loc="lower center", ncols=2, fontsize=6.5,
                   bbox_to_anchor=(0.5, 0.0))
    return fig


@styled
def randomisation_figure(sanity: Mapping[str, Any], pass_limit: float) -> Figure:
    """Spearman correlation between the original and the randomised explanations, stage by stage.

    Args:
        sanity: results.json ``aggregate.sanity``.
        pass_limit: the size of correlation every checked e-mail must end below (a band around 0).

    Returns:
        A figure with the mean per modality as lines and each e-mail as dots, the pass band and 0.
    """
    stages = sanity["randomisation"]
    fig = column_figure(8.0)
    ax = fig.add_subplot()
    if not stages:
        empty_note(ax, "no stage was run")
        return fig
    x = np.arange(len(stages))
    for offset, modality, marker in ((-0.06, "text", "o"), (0.06, "image", "s")):
        colour = MODALITY_COLOURS[modality] if modality == "text" else "#7a6a20"
        means = [np.nan if s[f"{modality}_spearman"] is None else s[f"{modality}_spearman"] for s in stages]
        ax.plot(x + offset, means, color=colour, marker=marker, linewidth=1.5, label=f"{_TITLES[modality]} (mean)")
        for i, stage in enumerate(stages):
            values = [v for v in stage["per_sample"][modality] if v is not None]
            ax.scatter([i + offset] * len(values), values, s=10, facecolors="none", edgecolors=colour, linewidths=0.7)
    ax.scatter([], [], s=10, facecolors="none", edgecolors="#555555", label="one e-mail")
    ax.axhline(1.0, color="#555555", linewidth=0.6, linestyle=":")
    ax.axhline(0.0, color="#555555", linewidth=0.6)
    ax.axhspan(-pass_limit, pass_limit, color=WARNING_COLOUR, alpha=0.08, linewidth=0)
    for bound in (-pass_limit, pass_limit):
        ax.axhline(bound, color=WARNING_COLOUR, linewidth=0.9, linestyle="--",
                   label=f"pass band (±{pass_limit:g}): the last stage must end inside it" if bound > 0 else None)
    ax.set_ylim(-1.05, 1.05)
    # Up to 7 stages side by side: names wrapped onto short lines read level, where slanted ones ran into each other.
    ax.set_xticks(x, labels=[plain(textwrap.fill("+ " + s["stage"] if i else s["stage"], 14))
                             for i, s in enumerate(stages)], fontsize=7)
    ax.set_xlabel("randomised, from the top of the model down (each stage adds to the ones before)")
    ax.set_ylabel("Spearman: original vs randomised")
    ax.set_title("Model-randomisation sanity check")
    fig.legend(frameon=False, loc="outside lower center", ncols=2, fontsize=6.5)
    return fig
