""""E-mails one by one": an index table and one card per explained e-mail.

A card is a list of block builders (:data:`SAMPLE_BLOCKS`) run in order on a :class:`SampleInput`;
a new explanation method adds its per-e-mail chart or table by appending one builder. Cards are
built independently of each other (and of the rest of the report), so
:func:`reportgen.report.build.build_document` can draw them in worker processes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from reportgen.claims import IG_RELATIVE_DELTA_LIMIT, ig_flagged, ig_relative_delta
from reportgen.errors import ResultsError
from reportgen.names import ESTIMATOR_NAMES, ESTIMATORS, OUTCOME_NAMES, class_name
from reportgen.report import figures, wording
from reportgen.report.document import (
    Block,
    Facts,
    HighlightedText,
    LegendStop,
    Paragraph,
    SampleSection,
    Section,
    Table,
    WordSpan,
)
from reportgen.report.sections.common import ColourScale, chart, language_tag, pct
from reportgen.report.sections.trust import sample_blocks as faithfulness_blocks


@dataclass(frozen=True)
class SampleInput:
    """Everything one e-mail's card is built from (plain data: it is sent to worker processes)."""

    #: position among the explained samples (0-based)
    index: int
    #: the sample of results.json
    sample: dict[str, Any]
    #: results.json ``methods``
    methods: dict[str, Any]
    #: the report's one colour scale for words and picture patches (log-odds)
    colour: ColourScale
    attention_layer: int | None
    attention_head: int | None
    #: keep matplotlib figures on the blocks (asset export)
    keep_figures: bool
    #: the caveat on the word ("text") and picture ("image", "occlusion") maps when the model-randomisation
    #: check failed for them (:func:`reportgen.report.sections.trust.map_caveats`)
    caveats: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The card's anchor id."""
        return f"sample-{self.index + 1}"

    @property
    def asset_prefix(self) -> str:
        """Prefix of the names of this card's blocks, and so of its exported asset files: the data row
        (``row-00042``), which stays the same when another selection of e-mails is explained."""
        return f"row-{int(self.sample['row']):05d}"

    @property
    def ig_relative_delta(self) -> float:
        """IG's completeness gap as a share of |f(input) − f(baseline)|."""
        ig = self.sample["integrated_gradients"]
        return ig.get("relative_delta", ig_relative_delta(ig["delta"], ig["f_input"], ig["f_baseline"]))

    @property
    def flagged(self) -> bool:
        """Whether IG did not converge for this e-mail (its colours are unreliable)."""
        ig = self.sample["integrated_gradients"]
        return bool(ig.get("flagged", ig_flagged(ig["delta"], ig["f_input"], ig["f_baseline"])))

    @property
    def unreliable(self) -> str:
        """The caption prefix of every colour that comes from an unconverged IG ("" when converged)."""
        return "Unreliable: Integrated Gradients did not converge for this e-mail. " if self.flagged else ""

    def caveat(self, key: str) -> str:
        """The caption prefix of a map whose modality failed the model-randomisation check ("" otherwise)."""
        return f"{self.caveats[key]} " if key in self.caveats else ""

    @property
    def about(self) -> str:
        """Which e-mail a chart shows, for its alt text: row, prediction and P(spam).

        A screen-reader user moving from chart to chart hears which e-mail each one is about.
        """
        sample = self.sample
        return (f"e-mail row {sample['row']} (predicted {class_name(sample['prediction'])}, "
                f"P(spam) {float(sample['probabilities']['spam']):.2f})")

    def raster(self, name: str, caption: str, alt: str, fig: Any) -> Block:
        """A per-sample chart block (raster) named ``<asset prefix>-<name>``."""
        return chart(f"{self.asset_prefix}-{name}", caption, alt, fig, keep=self.keep_figures, raster=True)


def sample_section(context: SampleInput) -> SampleSection:
    """One explained e-mail's card.

    Raises:
        ResultsError: the requested attention layer/head is not in results.json.
    """
    sample = context.sample
    label, prediction = class_name(sample["label"]), class_name(sample["prediction"])
    correct = None if sample["label"] is None else sample["label"] == sample["prediction"]
    p_spam = float(sample["probabilities"]["spam"])
    confidence = p_spam if sample["prediction"] == 1 else 1 - p_spam
    if correct is None:
        verdict = f"The model called this e-mail {prediction} ({pct(confidence, 1)} sure); its true label is unknown."
    else:
        verdict = (f"The model called this e-mail {prediction} ({pct(confidence, 1)} sure) and it is {label}: "
                   f"{'correct' if correct else 'a mistake'}.")
    blocks: list[Block] = []
    for build in SAMPLE_BLOCKS:
        blocks.extend(build(context))
    return SampleSection(id=context.id, title=f"Row {sample['row']}: {label} e-mail, predicted {prediction}",
                         row=sample["row"], label=label, prediction=prediction,
                         outcome=str(sample.get("outcome") or ""), correct=correct, prob_spam=p_spam,
                         reason=str(sample.get("reason", "")), pic=str(sample.get("pic", "")), verdict=verdict,
                         blocks=blocks, warnings=_warnings(context))


def samples_section(samples: list[SampleSection]) -> Section:
    """The "E-mails one by one" section: an index table linking to each card, then the cards."""
    if not samples:
        return Section(id="samples", title="E-mails one by one", kind="samples",
                       blocks=[Paragraph("No e-mail was explained in detail (analyze's --samples or --rows choose "
                                         "which ones are).")])
    table = Table(
        name="sample_index",
        caption="The e-mails explained in detail; the number in the first column leads to each one.",
        columns=["#", "Row", "True label", "Prediction", "P(spam)", "Outcome", "Why chosen"],
        rows=[[i + 1, s.row, s.label, s.prediction, s.prob_spam, s.outcome or "—", s.reason]
              for i, s in enumerate(samples)],
        links=[f"#{s.id}" for s in samples])
    return Section(id="samples", title="E-mails one by one", kind="samples", blocks=[table], samples=samples,
                   intro="Each e-mail below shows what the model decided, which words and which parts of the "
                         "picture drove the decision, and how much came from text versus picture.")


def _warnings(context: SampleInput) -> list[str]:
    if not context.flagged:
        return []
    steps = context.sample["integrated_gradients"]["n_steps"]
    return [f"Integrated Gradients did not converge for this e-mail even with {steps} steps: the attributions miss "
            f"{100 * context.ig_relative_delta:.1f} % of the score change (more than "
            f"{100 * IG_RELATIVE_DELTA_LIMIT:.0f} %). Its word and picture colours are unreliable and it feeds no "
            f"summary; raise --ig-max-steps."]


# ------------------------------------------------------------------------------------ card blocks


def _decision(context: SampleInput) -> list[Block]:
    """Where the score starts (the empty e-mail), what each part added, and which part carried it."""
    sample = context.sample
    modality = sample["modality"]
    image_baseline = (context.methods.get("integrated_gradients") or {}).get("image_baseline")
    shapley = modality["shapley"]
    return [
        Paragraph(wording.baseline_sentence(shapley, image_baseline), kind="lead"),
        Paragraph(wording.leading_sentence(modality, sample["prediction"])),
        Table(name=f"{context.asset_prefix}-modality",
              caption="The same numbers as the sentence above (log-odds): what the empty e-mail scores, what the "
                      "text and the picture added, and the text's share of the push toward the decision. Integrated "
                      "Gradients is a check on the Shapley split, not a second vote.",
              columns=["Estimator", "Empty e-mail", "Text", "Picture", "E-mail", "Text share", "Leading source"],
              rows=[[ESTIMATOR_NAMES[key], float(shapley["f_none"]), float(modality[key]["text"]),
                     float(modality[key]["image"]), float(shapley["f_full"]),
                     wording.percent(modality[key].get("text_share")),
                     wording.SOURCE_LABELS[modality[key]["leading"]]] for key in ESTIMATORS],
              decimals=3),
    ]


def _facts(context: SampleInput) -> list[Block]:
    sample = context.sample
    p_spam = float(sample["probabilities"]["spam"])
    facts = [("Row", str(sample["row"])), ("True label", class_name(sample["label"])),
             ("Prediction", class_name(sample["prediction"])), ("P(spam)", f"{p_spam:.3f}"),
             ("P(ham)", f"{float(sample['probabilities']['ham']):.3f}")]
    if sample.get("logits"):
        facts.append(("Spam log-odds",
                      wording.signed(float(sample["logits"]["spam"]) - float(sample["logits"]["ham"]))))
    if sample.get("outcome"):
        facts.append(("Outcome", f"{sample['outcome']} ({OUTCOME_NAMES[sample['outcome']]})"))
    if sample.get("language"):
        facts.append(("Language", str(sample["language"])))
    facts.append(("Why chosen", str(sample.get("reason", "—"))))
    facts.append(("Picture", str(sample.get("pic", "—"))))
    return [Facts(facts, name=f"{context.asset_prefix}-facts")]


def _highlighted_text(context: SampleInput) -> list[Block]:
    spans, legend, unread = _word_spans(context.sample["words"], str(context.sample["text"]), context.colour)
    unread = unread if unread.strip() else ""
    unread_note = (" Grey italic text at the end lies beyond the model's length limit and was not read."
                   if unread else "")
    # The sample's text is what the model read: the stand-in ("null" or "") when the CSV had none. Read as
    # in training it is a fact to know; read as an empty text it departs from training: a warning.
    read_as = str(context.sample["text"])
    missing = ([Paragraph(wording.missing_text_note(read_as), kind="text" if read_as else "warning")]
               if context.sample.get("text_missing") else [])
    return [*missing, HighlightedText(
        name=f"{context.asset_prefix}-words",
        caption=f"{context.unreliable}{context.caveat('text')}Each word is coloured by how much it moved the spam "
                f"score (log-odds; red toward spam, blue toward ham) on the report's one scale. "
                f"{wording.strongest_word_caption(context.sample['words'])}{unread_note}",
        spans=spans, legend=legend, unread=unread, lang=language_tag(context.sample.get("language")))]


def _direction(score: float, noise_floor: float) -> str:
    # Below the noise floor a word is "neutral": colouring it would suggest a signal that is noise.
    if abs(score) < noise_floor:
        return "neutral"
    return "spam" if score > 0 else "ham"


def _word_spans(words: list[dict[str, Any]], text: str, colour: ColourScale
                ) -> tuple[list[WordSpan], list[LegendStop], str]:
    """Coloured spans for ``words`` on the report's one scale, aligned with the e-mail ``text``.

    Returns the spans, the legend (numbers in log-odds) and the text left after the last word.
    """
    limit, floor = colour["limit"], colour["noise_floor"]
    spans = []
    position = 0
    for w in words:
        score = float(w["score"])
        word = str(w["text"])
        background, text_colour = figures.diverging_colour(score, limit, floor)
        # Words come from the tokenizer in text order; one it rewrote (e.g. [UNK]) is not found, and
        # then it is shown after a plain space.
        found = text.find(word, position) if word else -1
        before = text[position:found] if found >= 0 else " "
        if not spans:
            before = before.lstrip()  # leading blank lines would only push the text down
        position = found + len(word) if found >= 0 else position
        spans.append(WordSpan(text=word, score=score, background=background, color=text_colour,
                              direction=_direction(score, floor), before=before))
    return spans, colour_legend(colour), (text[position:] if words else text).rstrip()


def colour_legend(colour: ColourScale) -> list[LegendStop]:
    """The one legend of word colours, in log-odds: both ends, halves, and the uncoloured band."""
    limit, floor = colour["limit"], colour["noise_floor"]
    legend = []
    for value, label in ((-limit, f"≤ {wording.signed(-limit)} ham"), (-limit / 2, wording.signed(-limit / 2)),
                         (0.0, f"|score| < {floor:g}: not coloured"), (limit / 2, wording.signed(limit / 2)),
                         (limit, f"≥ {wording.signed(limit)} spam")):
        background, text_colour = figures.diverging_colour(value, limit, floor)
        legend.append(LegendStop(label=label, background=background, color=text_colour,
                                 direction=_direction(value, floor)))
    return legend


def _image_attribution(context: SampleInput) -> list[Block]:
    sample, colour = context.sample, context.colour
    strongest = max((abs(float(v)) for row in sample["image_scores"] for v in row), default=0.0)
    alt = (f"{context.unreliable}Picture of {context.about} with its Integrated Gradients heatmap on top; "
           f"{_strongest_patch(sample['image_scores'])}.{_alt_caveat(context, 'image')}")
    note = (f" The strongest patch moved the score by {wording.magnitude(strongest)} — negligible, so nothing is "
            f"coloured." if strongest < colour["noise_floor"] else
            f" The strongest patch moved the score by {wording.magnitude(strongest)}.")
    # A map that failed the randomisation check is not called "where the model found evidence".
    what = ("Integrated Gradients scores of the picture's patches (log-odds on the report's one scale)"
            if "image" in context.caveats else
            "Where in the picture the model found evidence (Integrated Gradients, log-odds on the report's one scale)")
    return [context.raster(
        "image_ig",
        f"{context.unreliable}{context.caveat('image')}{what}: red areas pushed toward spam, blue toward ham.{note}",
        alt,
        figures.image_overlay_figure(sample.get("picture"), sample["image_scores"], signed=True,
                                     title="Integrated Gradients" + (" (unreliable)" if context.flagged else ""),
                                     limit=colour["limit"], noise_floor=colour["noise_floor"]))]


def _image_rollout(context: SampleInput) -> list[Block]:
    sample = context.sample
    rollout = (sample["attention"].get("image") or {}).get("rollout")
    if not rollout:
        return []
    return [context.raster(
        "image_rollout",
        "Where the picture encoder looked, not why: brighter areas received more attention (attention does not "
        "say which way they pushed).",
        f"Picture of {context.about} with its attention rollout on top; attention is highest at "
        f"{_patch_name(rollout, _argmax(rollout))}.",
        # The picture itself is shown beside the Integrated Gradients map above, once per card.
        figures.image_overlay_figure(sample.get("picture"), rollout, signed=False, title="Attention rollout",
                                     show_picture=False))]


def _modality(context: SampleInput) -> list[Block]:
    return [context.raster(
        "modality",
        "How far the text and the picture moved this e-mail's spam score (log-odds), by the Shapley split and, as a "
        "check, by Integrated Gradients.",
        f"Bar chart of how far the text and the picture moved the spam score of {context.about}, in log-odds: "
        + "; ".join(f"{ESTIMATOR_NAMES[key]} text {wording.signed(context.sample['modality'][key]['text'])}, "
                    f"picture {wording.signed(context.sample['modality'][key]['image'])}" for key in ESTIMATORS)
        + ".",
        figures.modality_split_figure(context.sample["modality"]))]


def _top_words(context: SampleInput) -> list[Block]:
    floor = context.colour["noise_floor"]
    ranked = sorted(context.sample["words"], key=lambda w: -abs(float(w["score"])))
    toward_spam = [w for w in ranked if float(w["score"]) >= floor][:5]
    toward_ham = [w for w in ranked if float(w["score"]) <= -floor][:5]
    if not (toward_spam or toward_ham):
        return []  # the text caption already says every word is negligible
    lang = language_tag(context.sample.get("language"))
    pairs = list(zip_longest(toward_spam, toward_ham))
    return [Table(
        name=f"{context.asset_prefix}-top_words",
        caption=f"{context.unreliable}The words of this e-mail with the strongest push in each direction (log-odds; "
                f"words below {floor:g} are left out as negligible).",
        columns=["Toward spam", "Score", "Toward ham", "Score"],
        rows=[[s["text"] if s else "", float(s["score"]) if s else "", h["text"] if h else "",
               float(h["score"]) if h else ""]
              for s, h in pairs],
        langs=[[lang if s else "", "", lang if h else "", ""] for s, h in pairs])]


def _attention(context: SampleInput) -> list[Block]:
    """Text attention heatmap of the chosen layer/head and the text rollout."""
    sample, layer, head = context.sample, context.attention_layer, context.attention_head
    text_attention = sample["attention"].get("text") or {}
    tokens = sample["tokens"]
    selected = text_attention.get("selected") or {}
    cls_rows = text_attention.get("cls_rows") or []
    blocks: list[Block] = []
    stored_layer, stored_head = selected.get("layer"), selected.get("head")
    if head is not None and stored_head != head:
        raise ResultsError(
            f"results.json stores text attention of head {stored_head!r} only; re-run analyze with "
            f"--attention-head {head} to show head {head}")
    n_layers = len(cls_rows)
    if layer is not None:
        if not -n_layers <= layer < n_layers:
            raise ResultsError(f"results.json has {n_layers} text attention layers; --attention-layer {layer} "
                               f"is out of range")
        layer %= n_layers  # -1 = last, as in analyze
    counting = f"0 = first, {n_layers - 1} = last" if n_layers else "0 = first"
    if layer is None or layer == stored_layer:
        if selected.get("matrix"):
            head_text = "the mean of all heads" if stored_head in (None, "mean") else f"head {stored_head}"
            blocks.append(context.raster(
                "attention",
                f"Which words each word attends to in text layer {stored_layer} ({counting}; {head_text}); "
                f"brighter cells mean more attention.",
                f"Heatmap of text self-attention of {context.about}, layer {stored_layer}, {head_text}; the word "
                f"receiving the most attention in total is "
                f"{_most(tokens, [sum(column) for column in zip(*selected['matrix'])], weight=False)}.",
                figures.attention_heatmap_figure(tokens, selected["matrix"],
                                                 title=f"Layer {stored_layer}, {head_text}")))
    else:
        blocks.append(context.raster(
            "attention",
            f"How much the [CLS] summary position attends to each word in text layer {layer} ({counting}; mean "
            f"of all heads).",
            f"Bar chart of [CLS] attention over the words of {context.about}, layer {layer}; the highest bar is "
            f"{_most(tokens, cls_rows[layer])}.",
            figures.text_rollout_figure(tokens, cls_rows[layer], title=f"Layer {layer}: attention from [CLS], "
                                                                        f"mean of heads")))
    fusion = sample["attention"].get("fusion")
    if fusion:
        blocks.append(Paragraph(
            f"Fusion attention — where the fusion layer looked, not why: its first position (the one the classifier "
            f"reads) puts {pct(float(fusion['text']))} of its attention on text positions and "
            f"{pct(float(fusion['image']))} on picture positions. It says nothing about which way or how far either "
            f"moved the score."))
    rollout = text_attention.get("rollout")
    if rollout:
        blocks.append(context.raster(
            "text_rollout",
            "Attention rollout: how much each word feeds the model's summary after all text layers (attention "
            "shows where the model looked, not which way a word pushed).",
            f"Bar chart of attention rollout over the words of {context.about}; the highest bar is "
            f"{_most(tokens, rollout)}.", figures.text_rollout_figure(tokens, rollout)))
    return blocks


def _ig_convergence(context: SampleInput) -> list[Block]:
    ig = context.sample["integrated_gradients"]
    convergence = figures.ig_convergence_figure(ig)
    if convergence is None:
        return []
    baseline = {"white": "a blank white", "black": "a black", "blur": "a blurred"}.get(
        str(context.methods.get("integrated_gradients", {}).get("image_baseline")), "the baseline")
    return [context.raster(
        "ig_convergence",
        f"The model's spam score along a straight path from the baseline (no words, {baseline} picture) to this "
        f"e-mail ({ig['n_steps']} steps); the word and picture scores add up to the total change up to a gap of "
        f"{100 * context.ig_relative_delta:.1f} %.",
        f"Line chart of the spam score of {context.about} along the Integrated Gradients path, from "
        f"{wording.signed(ig['f_baseline'])} at the baseline to {wording.signed(ig['f_input'])} log-odds at the "
        f"e-mail; gap {100 * context.ig_relative_delta:.1f} %.", convergence)]


def _occlusion(context: SampleInput) -> list[Block]:
    """Occlusion's patch map and its agreement with Integrated Gradients (the second opinion)."""
    sample, occlusion = context.sample, context.sample.get("occlusion")
    if not occlusion:
        return []
    n_rows, columns = len(occlusion["image_scores"]), len(occlusion["image_scores"][0])
    units = {
        "text": ("Words", [w["score"] for w in sample["words"]], occlusion["word_scores"],
                 [str(w["text"]) for w in sample["words"]]),
        "image": ("Picture patches", [v for row in sample["image_scores"] for v in row],
                  [v for row in occlusion["image_scores"] for v in row],
                  [f"row {i // columns + 1} col {i % columns + 1}" for i in range(n_rows * columns)]),
    }
    rows, langs = [], []
    lang = language_tag(sample.get("language"))
    for modality, (title, ig, occluded, names) in units.items():
        agreement = occlusion["agreement"][modality]
        if agreement is None or occluded is None:
            continue
        strongest = [", ".join(names[i] for i in sorted(range(len(s)), key=lambda i: -abs(float(s[i])))[:3])
                     for s in (ig, occluded)]
        rows.append([title, "n/a" if agreement["spearman"] is None else float(agreement["spearman"]),
                     "n/a" if agreement["top5_overlap"] is None else float(agreement["top5_overlap"]), *strongest])
        langs.append(["", "", "", lang, lang] if modality == "text" else [""] * 5)  # patch names are English
    return [
        context.raster(
            "occlusion",
            f"{context.caveat('occlusion')}Second opinion: how much the spam score drops when each patch alone is "
            "filled with the blank picture (occlusion, log-odds on the report's one scale); red patches pushed toward "
            "spam, blue toward ham. Compare with the Integrated Gradients map above.",
            f"Picture of {context.about} with its occlusion heatmap on top; "
            f"{_strongest_patch(occlusion['image_scores'])}.{_alt_caveat(context, 'occlusion')}",
            figures.image_overlay_figure(sample.get("picture"), occlusion["image_scores"], signed=True,
                                         title="Occlusion", limit=context.colour["limit"],
                                         noise_floor=context.colour["noise_floor"], show_picture=False)),
        Table(name=f"{context.asset_prefix}-occlusion",
              caption="Does occlusion agree with Integrated Gradients? Spearman rank correlation of the scores "
                      "(1 = same order, 0 = unrelated) and the share of the five units with the largest |score| "
                      "that both name; the three strongest units by each method.",
              columns=["Units", "Spearman", "Top-5 overlap", "Strongest by IG", "Strongest by occlusion"],
              rows=rows, decimals=2, langs=langs),
    ]


def _gradient_shap(context: SampleInput) -> list[Block]:
    """GradientSHAP's agreement with Integrated Gradients, one line (only when --method gradient_shap ran)."""
    shap = context.sample.get("gradient_shap")
    if not shap:
        return []

    def compared(agreement: dict[str, Any] | None, units: str) -> str | None:
        if agreement is None or agreement["spearman"] is None:
            return None
        overlap = "" if agreement["top5_overlap"] is None else f" (top-5 overlap {pct(agreement['top5_overlap'])})"
        return f"{agreement['spearman']:.2f} for the {units}{overlap}"

    parts = [part for part in (compared(shap["agreement"]["text"], "words"),
                               compared(shap["agreement"]["image"], "picture patches")) if part]
    samples = context.methods.get("gradient_shap", {}).get("n_samples")
    ig = context.sample["integrated_gradients"]
    gap = ig_relative_delta(shap["delta"], ig["f_input"], ig["f_baseline"])
    # GradientSHAP is a Monte Carlo estimate: its gap is measured and said, like IG's.
    sum_check = (f"Its scores add up to the e-mail's change from the baseline within {pct(gap)}." if not ig_flagged(
        shap["delta"], ig["f_input"], ig["f_baseline"]) else
        f"Its scores miss the e-mail's change from the baseline by {pct(gap)} (Integrated Gradients is held to "
        f"{pct(IG_RELATIVE_DELTA_LIMIT)}): a rough estimate; more samples (--gshap-samples) steady it.")
    agreement = ("rank correlation with Integrated Gradients " + " and ".join(parts) if parts
                 else "no rank correlation with Integrated Gradients can be computed (too few units or all zero)")
    about = f" ({samples} samples around the baseline)" if samples else ""
    return [Paragraph(f"Second opinion from GradientSHAP{about}: {agreement}. {sum_check}")]


# ------------------------------------------------------------------------------- alt-text numbers


def _alt_caveat(context: SampleInput, key: str) -> str:
    """The map's caveat for its alt text (" " + the sentence, or ""): a screen reader hears what the caption says."""
    return f" {context.caveats[key]}" if key in context.caveats else ""


def _argmax(grid: list[list[float]]) -> tuple[int, int]:
    """(row, column) of the largest |value| of a patch grid."""
    return max(((i, j) for i, row in enumerate(grid) for j in range(len(row))),
               key=lambda ij: abs(float(grid[ij[0]][ij[1]])))


def _patch_name(grid: list[list[float]], at: tuple[int, int]) -> str:
    """``patch row 3, column 7 of 14 × 14`` (counted from the top left, from 1)."""
    return f"patch row {at[0] + 1}, column {at[1] + 1} of {len(grid)} × {len(grid[0])}"


def _strongest_patch(grid: list[list[float]]) -> str:
    """The patch that moved the score most, with its signed size, as alt text says it."""
    at = _argmax(grid)
    value = float(grid[at[0]][at[1]])
    if value == 0:
        return "no patch moved the score"
    return (f"the strongest patch, {_patch_name(grid, at)}, moved the score by {wording.signed(value)} log-odds "
            f"toward {wording.class_of(value)}")


def _most(tokens: list[str], weights: list[float], *, weight: bool = True) -> str:
    """The token with the largest weight, quoted and shortened, with its weight unless ``weight`` is False."""
    if not weights:
        return "none"
    best = max(range(len(weights)), key=lambda i: float(weights[i]))
    token = str(tokens[best]) if best < len(tokens) else f"position {best}"
    return f"“{token[:30]}”" + (f" ({float(weights[best]):.2f})" if weight else "")


#: The blocks of every e-mail's card, in reading order.
SAMPLE_BLOCKS: tuple[Callable[[SampleInput], list[Block]], ...] = (
    _decision, _facts, _highlighted_text, _image_attribution, _image_rollout, _modality, _top_words, _attention,
    _ig_convergence, _occlusion, _gradient_shap, faithfulness_blocks,
)
