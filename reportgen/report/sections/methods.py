"""The methods appendix: what is explained, every rule a claim rests on, how each method works, settings."""

from __future__ import annotations

from typing import Any

from reportgen.claims import definitions
from reportgen.report.document import Block, Paragraph, Section, Table
from reportgen.report.sections.common import flatten
from reportgen.report.sections.trust import methods_blocks as trust_methods_blocks

#: results.json ``methods`` keys shown as settings tables, with their captions.
_SETTINGS = (("integrated_gradients", "Integrated Gradients settings"), ("attention", "Attention settings"),
             ("modality", "Modality settings"), ("language", "Language of each e-mail"),
             ("top_words", "Top-word settings"), ("sample_selection", "Sample selection"))
#: Settings-table titles of other methods whose key does not read well capitalised.
_TITLES = {"gradient_shap": "GradientSHAP settings"}


def methods_section(results: dict[str, Any], *, keep_figures: bool = True) -> Section:
    """The "Methods" appendix (id ``methods``): every rule of :mod:`reportgen.claims`, the methods, settings.

    Args:
        results: a validated results.json dict.
        keep_figures: keep the matplotlib figure of the randomisation chart on its block.
    """
    methods = results["methods"]
    blocks: list[Block] = [
        Paragraph(f"What is explained: {methods['explained_quantity']}. Every score in this report is a share of "
                  f"this number: positive pushes toward spam, negative toward ham."),
        Paragraph("The rules every claim of this report follows", kind="heading"),
    ]
    # The rules as results.json recorded them (the report is rendered from results.json alone).
    blocks += [Paragraph(f"{rule['title']}: {rule['rule']}") for rule in (methods.get("claims") or definitions()).values()]
    blocks += [
        Paragraph("Methods", kind="heading"),
        Paragraph("Integrated Gradients (Sundararajan et al., 2017) accumulates the model's gradients along a "
                  "straight path from a baseline input to the real one; the word and picture-patch scores add up "
                  "to the change in the spam score between the baseline and the e-mail, up to a gap that is "
                  "reported per e-mail. On a model whose scores saturate, the straight path can hand evidence that "
                  "both parts carry to whichever saturates first, which is why the text/picture verdict rests on "
                  "the Shapley split instead."),
        Paragraph("Fusion attention is how much attention the fusion layer's first position puts on text versus "
                  "picture tokens. Attention shows where the model looked, not which way or how far anything pushed, "
                  "so it is shown in each e-mail's attention part and never compared with the contributions."),
        Paragraph(f"Each e-mail's attention heatmap shows {_attention_layer_text(methods)} and "
                  f"{_attention_head_text(methods)}; attention rollout (Abnar and Zuidema, 2020) multiplies the "
                  f"attention of all layers to show how much each word reaches the model's summary. Choose another "
                  f"layer or head with --attention-layer / --attention-head (analyze stores one head; render can "
                  f"switch layers)."),
        *trust_methods_blocks(results, keep_figures=keep_figures),
        *_gradient_shap_blocks(methods),
        Paragraph("Limitations: attributions explain this model on these e-mails, not spam in general; baselines "
                  "are a choice (a blank page is not 'no information'); the interval covers the sampling of e-mails, "
                  "not a different baseline."),
    ]
    # Every other method's parameters (what a registered method's ``describe`` wrote) get a table too,
    # so a new method is stated here without an edit to this module.
    known = {key for key, _ in _SETTINGS} | {"claims"}  # the claims are the rules listed above
    others = [(key, _TITLES.get(key, f"{key.replace('_', ' ').capitalize()} settings")) for key in sorted(methods)
              if key not in known and isinstance(methods[key], dict)]
    for key, title in (*_SETTINGS, *others):
        if methods.get(key):
            blocks.append(Table(name=f"methods_{key}", caption=title, columns=["Setting", "Value"],
                                rows=flatten(methods[key])))
    return Section(id="methods", title="Methods", kind="appendix", blocks=blocks)


def _gradient_shap_blocks(methods: dict[str, Any]) -> list[Block]:
    """What GradientSHAP is and what its agreement means (only when --method gradient_shap ran)."""
    if not methods.get("gradient_shap"):
        return []
    return [Paragraph("GradientSHAP (Lundberg and Lee, 2017; Captum's GradientShap), run on request, averages the "
                      "gradient times (e-mail minus reference) over random references near the report's baseline "
                      "and random points on the straight line to the e-mail. Its expectation is Integrated "
                      "Gradients averaged over those references, so its agreement with Integrated Gradients on each "
                      "e-mail says how much the word and patch rankings depend on the exact baseline and on "
                      "sampling; it is a second look, not an independent method.")]


def _attention_layer_text(methods: dict[str, Any]) -> str:
    layer = (methods.get("attention") or {}).get("layer", -1)
    return "the last text layer (the default)" if layer in (-1, None) else f"text layer {layer} (counting from 0)"


def _attention_head_text(methods: dict[str, Any]) -> str:
    head = (methods.get("attention") or {}).get("head", "mean")
    return "the mean of all heads (the default)" if head in (None, "mean") else f"head {head}"
