"""The methods appendix: what is explained, how each method works, thresholds, settings tables."""

from __future__ import annotations

from typing import Any

from reportgen.analysis.aggregate import (
    IG_ABSOLUTE_DELTA_FLOOR,
    IG_RELATIVE_DELTA_LIMIT,
    IMAGE_DOMINANT,
    TEXT_DOMINANT,
)
from reportgen.report.document import Block, Paragraph, Section, Table
from reportgen.report.sections.common import flatten
from reportgen.report.sections.trust import methods_blocks as trust_methods_blocks

#: results.json ``methods`` keys shown as settings tables, with their captions.
_SETTINGS = (("integrated_gradients", "Integrated Gradients settings"), ("attention", "Attention settings"),
             ("modality", "Modality settings"), ("top_words", "Top-word settings"),
             ("sample_selection", "Sample selection"))


def methods_section(results: dict[str, Any], *, keep_figures: bool = True) -> Section:
    """The "Methods" appendix (id ``methods``): one paragraph per method, then the settings used.

    Args:
        results: a validated results.json dict.
        keep_figures: keep the matplotlib figure of the randomisation chart on its block.
    """
    methods = results["methods"]
    blocks: list[Block] = [
        Paragraph(f"What is explained: {methods['explained_quantity']}. Every score in this report is a share of "
                  f"this number: positive pushes toward spam, negative toward ham."),
        _integrated_gradients(methods),
        Paragraph("Shapley values (two players: text and picture) are computed exactly from four model runs: both "
                  "inputs, text only, picture only and neither (the baselines replace the missing input). The two "
                  "values add up exactly to f(full) − f(none)."),
        Paragraph("Fusion attention share is how much attention the fusion layer's first position puts on text "
                  "versus picture tokens. Attention shows where the model looked, not which way it pushed, so it "
                  "can disagree with the two attribution methods."),
        Paragraph(f"Each e-mail's attention heatmap shows {_attention_layer_text(methods)} and "
                  f"{_attention_head_text(methods)}; attention rollout (Abnar and Zuidema, 2020) multiplies the "
                  f"attention of all layers to show how much each word reaches the model's summary. Choose another "
                  f"layer or head with --attention-layer / --attention-head (analyze stores one head; render can "
                  f"switch layers)."),
        Paragraph(f"A source is called dominant when its median share is at least {100 * TEXT_DOMINANT:.0f} % "
                  f"(text) or at most {100 * IMAGE_DOMINANT:.0f} % (picture); otherwise the split is called "
                  f"balanced. Top words count how often a word was among an e-mail's strongest words and average "
                  f"its signed score."),
        *trust_methods_blocks(results, keep_figures=keep_figures),
        Paragraph("Limitations: attributions explain this model on these e-mails, not spam in general; baselines "
                  "are a choice (a blank page is not 'no information'); a handful of explained e-mails is not a "
                  "statistical sample."),
    ]
    # Every other method's parameters (what a registered method's ``describe`` wrote) get a table too,
    # so a new method is stated here without an edit to this module.
    known = {key for key, _ in _SETTINGS}
    others = [(key, f"{key.replace('_', ' ').capitalize()} settings") for key in sorted(methods)
              if key not in known and isinstance(methods[key], dict)]
    for key, title in (*_SETTINGS, *others):
        if methods.get(key):
            blocks.append(Table(name=f"methods_{key}", caption=title, columns=["Setting", "Value"],
                                rows=flatten(methods[key])))
    return Section(id="methods", title="Methods", kind="appendix", blocks=blocks)


def _integrated_gradients(methods: dict[str, Any]) -> Paragraph:
    ig = methods.get("integrated_gradients", {})
    return Paragraph(
        "Integrated Gradients (Sundararajan et al., 2017) accumulates the model's gradients along a "
        "straight path from a baseline input to the real one; the word and picture-patch scores add up "
        "to the change in the spam score between the baseline and the e-mail. The gap that is left "
        "(convergence delta) is reported per e-mail and flagged above "
        f"{100 * float(ig.get('relative_delta_limit', IG_RELATIVE_DELTA_LIMIT)):.0f} % of that change "
        f"(gaps under {float(ig.get('absolute_delta_floor', IG_ABSOLUTE_DELTA_FLOOR))} log-odds excepted: "
        "they change no conclusion even when the e-mail scores like its baseline).")


def _attention_layer_text(methods: dict[str, Any]) -> str:
    layer = (methods.get("attention") or {}).get("layer", -1)
    return "the last text layer (the default)" if layer in (-1, None) else f"text layer {layer} (counting from 0)"


def _attention_head_text(methods: dict[str, Any]) -> str:
    head = (methods.get("attention") or {}).get("head", "mean")
    return "the mean of all heads (the default)" if head in (None, "mean") else f"head {head}"
