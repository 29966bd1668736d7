"""Report figures: what a reader sees (titles, labels, colour scales) and deterministic, pyplot-free output."""

from __future__ import annotations

import base64
import copy
import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from reportgen.errors import ResultsError
from reportgen.names import ESTIMATOR_NAMES
from reportgen.report import figures as F
from tests.results_fixture import make_results

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results() -> dict:
    return make_results(4)


@pytest.fixture(scope="module")
def sample(results: dict) -> dict:
    return results["samples"][0]


def _texts(fig: Figure) -> list[str]:
    """Every piece of text drawn in the figure (titles, labels, ticks, annotations, legends)."""
    fig.draw_without_rendering()  # resolve tick labels
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


def _colorbar_norms(fig: Figure) -> list:
    # A colour bar axes holds the mappable it describes; the main axes keep their own images.
    return [ax._colorbar.mappable.norm for ax in fig.axes if getattr(ax, "_colorbar", None) is not None]


# ------------------------------------------------------------------------------ every function


def test_confusion_matrix_shows_counts_and_row_percentages() -> None:
    fig = F.confusion_matrix_figure({"confusion_matrix": [[8, 2], [1, 9]]})
    texts = _texts(fig)
    assert isinstance(fig, Figure)
    assert "8\n80.0 % of row" in texts and "9\n90.0 % of row" in texts and "1\n10.0 % of row" in texts
    main = fig.axes[0]
    assert [t.get_text() for t in main.get_xticklabels()] == ["ham", "spam"]
    assert main.get_xlabel() == "predicted class" and main.get_ylabel() == "true class"
    assert len(fig.axes) == 2  # the matrix and its colour bar


def test_confusion_matrix_with_an_empty_row_does_not_divide_by_zero() -> None:
    fig = F.confusion_matrix_figure({"confusion_matrix": [[0, 0], [3, 4]]})
    assert "0\n– of row" in _texts(fig)


def test_roc_figure_has_auc_in_legend_and_chance_diagonal(results: dict) -> None:
    fig = F.roc_figure(results["metrics"])
    assert isinstance(fig, Figure)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert f"model (AUC = {results['metrics']['roc_auc']:.3f})" in legend
    assert "chance (AUC = 0.5)" in legend
    diagonal = fig.axes[0].get_lines()[0]
    assert list(diagonal.get_xdata()) == [0, 1] and list(diagonal.get_ydata()) == [0, 1]


def test_roc_figure_is_none_without_auc_labels_or_curve(results: dict) -> None:
    metrics = copy.deepcopy(results["metrics"])
    metrics["roc_auc"] = None
    assert F.roc_figure(metrics) is None
    assert F.roc_figure(None) is None
    no_curve = copy.deepcopy(results["metrics"])
    del no_curve["roc_curve"]
    assert F.roc_figure(no_curve) is None


def test_modality_panels_draw_the_four_panels(results: dict) -> None:
    fig = F.modality_panels_figure(results["samples"])
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["A  Contribution (+ spam, − ham)", "B  Share of the push toward the decision",
                      "C  Text share by true class", "D  Text vs image contribution"]
    legend = fig.legends[0]
    assert legend.get_title().get_text() == (f"Modality contributions by {ESTIMATOR_NAMES['shapley']}, "
                                             f"{len(results['samples'])} samples")
    assert [t.get_text() for t in legend.get_texts()] == ["text", "image"]
    ax_abs, ax_rel, ax_cls, ax_sc = fig.axes
    # A: two bars (text, image) per sample, signed: a push toward ham points down.
    n = len(results["samples"])
    assert len(ax_abs.patches) == 2 * n
    phi = results["samples"][1]["modality"]["shapley"]  # a ham sample: negative contributions
    assert ax_abs.patches[1].get_height() == pytest.approx(phi["text"])
    # B: each decided sample's stacked shares add up to 100 %; one decided by default is empty.
    heights = [p.get_height() for p in ax_rel.patches]
    shares = [s["modality"]["shapley"]["text_share"] for s in results["samples"]]
    totals = [a + b for a, b in zip(heights[:n], heights[n:])]
    assert totals == pytest.approx([0.0 if share is None else 100.0 for share in shares])
    assert [t.get_text() for t in ax_cls.get_xticklabels()] == ["ham\n(n = 2)", "spam\n(n = 2)"]
    legend = [t.get_text() for t in ax_sc.get_legend().get_texts()]
    assert legend == ["ham, correct", "ham, misclassified", "spam, correct"]  # fourth sample: a false positive


def test_modality_panels_mark_e_mails_decided_by_default(results: dict) -> None:
    samples = copy.deepcopy(results["samples"][:2])
    samples[1]["modality"]["shapley"]["text_share"] = None
    fig = F.modality_panels_figure(samples)
    assert "by default" in [t.get_text() for t in fig.axes[1].texts]


def test_modality_panels_ig_estimator(results: dict) -> None:
    fig = F.modality_panels_figure(results["samples"], estimator="ig")
    assert ESTIMATOR_NAMES["ig"] in fig.legends[0].get_title().get_text()
    assert F.ESTIMATOR_UNITS["ig"] in fig.axes[0].get_ylabel()


def test_modality_panels_reject_attention_and_unknown_estimators(results: dict) -> None:
    # Fusion attention says where the model looked, not how far anything moved the score.
    for estimator in ("attention", "lime"):
        with pytest.raises(ValueError, match="estimator must be one of shapley, ig"):
            F.modality_panels_figure(results["samples"], estimator=estimator)


def test_modality_panels_with_no_samples_says_so() -> None:
    assert "no samples" in _texts(F.modality_panels_figure([]))


def test_estimator_agreement_one_row_per_sample_shapley_and_ig(results: dict) -> None:
    fig = F.estimator_agreement_figure(results["samples"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"row {s['row']}" for s in results["samples"]]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    # The report's one spelling of each estimator (reportgen.names); the fixture's second sample did not
    # converge, so its IG marker is hollow and named so.
    assert legend == ["Shapley (two-player)", "Integrated Gradients", "Integrated Gradients (not converged)"]
    first_row_y = len(results["samples"]) - 1  # first sample drawn on top
    shap = ax.collections[0].get_offsets()
    expected = results["samples"][0]["modality"]["shapley"]["text_share"] * 100
    assert shap[0][1] == first_row_y and shap[0][0] == pytest.approx(expected, abs=1e-4)


def test_verdict_groups_show_each_interval_and_say_when_a_group_is_empty() -> None:
    rows = [("All", {"text_share": 0.7, "ci95": [0.6, 0.8], "n": 40}),
            ("True ham", {"text_share": None, "ci95": None, "n": 0})]
    fig = F.verdict_groups_figure(rows)
    ax = fig.axes[0]
    top_down = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in top_down] == ["All (n = 40)", "True ham (n = 0)"]
    (interval,) = [line for line in ax.get_lines() if len(line.get_xdata()) == 2]
    assert list(interval.get_xdata()) == pytest.approx([60.0, 80.0])
    assert "no e-mail counted" in _texts(fig)


def test_top_words_bars_are_warm_for_spam_cool_for_ham_with_counts() -> None:
    words = [{"word": "free", "count": 12, "n_seen": 20, "mean_score": 0.8},
             {"word": "meeting", "count": 5, "mean_score": -0.4}, {"word": "!", "kind": "punctuation", "count": 4,
                                                                  "n_seen": 9, "mean_score": 0.3}]
    fig = F.top_words_figure(words, "spam")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Words pushing toward spam (top 3)"
    top_down = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in top_down] == ["free", "meeting", "! [punct.]"]  # in list order, marked
    red, green, blue, _ = ax.patches[0].get_facecolor()
    assert red > blue  # toward spam: warm
    red, green, blue, _ = ax.patches[1].get_facecolor()
    assert blue > red  # toward ham: cool
    texts = _texts(fig)
    assert "n = 12 / 20" in texts and "n = 5 / 5" in texts  # among the strongest in / seen in


def test_top_words_empty_list_is_explained() -> None:
    fig = F.top_words_figure([], "ham")
    assert "no words reached the minimum count for ham" in _texts(fig)


def test_top_words_with_dollar_signs_is_shown_literally() -> None:
    # Regression: "$x^$" would be parsed as (invalid) mathtext and crash the render.
    fig = F.top_words_figure([{"word": "$x^$ 100$", "count": 2, "mean_score": 0.5}], "spam")
    F.figure_to_svg(fig)
    label = fig.axes[0].get_yticklabels()[0]
    assert label.get_text() == r"\$x^\$ 100\$"
    assert not label._preprocess_math(label.get_text())[1]  # not mathtext: drawn as typed


def test_image_overlay_signed_is_diverging_and_symmetric(sample: dict) -> None:
    grid = np.array(sample["image_scores"])
    grid[0, 0] = 0.5  # asymmetric data: +0.5 max, small negatives
    fig = F.image_overlay_figure(sample["picture"], grid.tolist(), title="IG on the picture")
    assert fig.get_suptitle() == "IG on the picture"
    assert len(fig.axes) == 3  # picture, overlay, colour bar
    (norm,) = _colorbar_norms(fig)
    assert norm.vmin == -norm.vmax == pytest.approx(-0.5)
    cbar = [ax for ax in fig.axes if getattr(ax, "_colorbar", None) is not None][0]
    assert cbar._colorbar.cmap.name == F.DIVERGING_CMAP
    # The picture is shown as decoded (same pixel size as the stored PNG).
    picture = F.decode_picture(sample["picture"])
    assert fig.axes[0].images[0].get_array().shape == picture.shape


def test_image_overlay_unsigned_is_sequential_over_the_maps_range(sample: dict) -> None:
    rollout = sample["attention"]["image"]["rollout"]
    fig = F.image_overlay_figure(sample["picture"], rollout, signed=False, interpolation="nearest")
    (norm,) = _colorbar_norms(fig)
    assert norm.vmin == pytest.approx(np.min(rollout)) and norm.vmax == pytest.approx(np.max(rollout))
    # A flat rollout (every patch 1/16) still draws, the picture stays visible under it.
    flat = F.image_overlay_figure(sample["picture"], np.full((4, 4), 1 / 16).tolist(), signed=False)
    overlay = flat.axes[1].images[1].get_array()
    assert overlay[..., 3].max() == 0
    assert "(uniform: every patch 0.0625)" in flat.axes[1].get_title(loc="left")
    cbar = [ax for ax in fig.axes if getattr(ax, "_colorbar", None) is not None][0]
    assert cbar._colorbar.cmap.name == F.SEQUENTIAL_CMAP


def test_image_overlay_without_picture_says_so(sample: dict) -> None:
    fig = F.image_overlay_figure(None, sample["image_scores"])
    assert len(fig.axes) == 2
    assert "overlay (picture not stored in results)" in _texts(fig)


def test_image_overlay_damaged_results_are_one_line_errors(sample: dict) -> None:
    with pytest.raises(ResultsError, match="2-D grid"):
        F.image_overlay_figure(sample["picture"], [1.0, 2.0])
    with pytest.raises(ResultsError, match="not a base64 data:image/ URI"):
        F.image_overlay_figure("http://evil.invalid/x.png", sample["image_scores"])
    with pytest.raises(ResultsError, match="not a readable image"):
        F.image_overlay_figure("data:image/png;base64,aGVsbG8=", sample["image_scores"])


def test_symmetric_limit() -> None:
    assert F.symmetric_limit([[-0.2, 0.1], [0.05, float("nan")]]) == pytest.approx(0.2)
    assert F.symmetric_limit([0.0, 0.0]) == 1.0  # a flat map still gets a valid scale


def test_attention_heatmap_caps_long_texts_and_says_so() -> None:
    tokens = ["[CLS]"] + [f"w{i}" for i in range(58)] + ["[SEP]"]
    matrix = np.full((60, 60), 1 / 60).tolist()
    fig = F.attention_heatmap_figure(tokens, matrix, "Layer 12, mean of heads")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Layer 12, mean of heads (first 48 of 60 tokens)"
    assert ax.images[0].get_array().shape == (48, 48)
    # Token labels are plain texts (cheaper than ticks): 48 under the columns, 48 beside the rows.
    under = [t.get_text() for t in ax.texts if t.get_rotation() == 90]
    beside = [t.get_text() for t in ax.texts if t.get_rotation() == 0]
    assert under[:2] == beside[:2] == ["[CLS]", "w0"] and len(under) == len(beside) == 48
    assert ax.images[0].get_cmap().name == F.SEQUENTIAL_CMAP and ax.images[0].norm.vmin == 0


def test_attention_heatmap_short_text_has_plain_title(sample: dict) -> None:
    tokens = sample["tokens"][:10]
    matrix = np.eye(10).tolist()
    fig = F.attention_heatmap_figure(tokens, matrix)
    assert fig.axes[0].get_title(loc="left") == "Text attention"


def test_text_rollout_drops_cls_and_caps_length() -> None:
    tokens = ["[CLS]"] + [f"t{i}" for i in range(100)] + ["[SEP]"]
    scores = [0.9] + [0.01] * 101
    fig = F.text_rollout_figure(tokens, scores, max_tokens=64)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Attention rollout from [CLS] (first 64 of 101 tokens)"
    assert len(ax.patches) == 64
    assert [t.get_text() for t in ax.texts][0] == "t0" and len(ax.texts) == 64
    assert ax.get_xlabel() == "token ([CLS] itself left out)"


def test_token_count_mismatch_is_a_one_line_error() -> None:
    with pytest.raises(ResultsError, match="attention matrix is 2x2 but the sample has 3 tokens"):
        F.attention_heatmap_figure(["[CLS]", "a", "[SEP]"], [[1, 0], [0, 1]])
    with pytest.raises(ResultsError, match="2 rollout values for 3 tokens"):
        F.text_rollout_figure(["[CLS]", "a", "[SEP]"], [0.5, 0.5])


def test_ig_convergence_annotates_gap_and_warns_when_flagged(results: dict) -> None:
    flagged = next(s["integrated_gradients"] for s in results["samples"] if s["integrated_gradients"]["flagged"])
    fine = next(s["integrated_gradients"] for s in results["samples"] if not s["integrated_gradients"]["flagged"])
    fig = F.ig_convergence_figure(flagged)
    ax = fig.axes[0]
    assert ax.get_title(loc="left").startswith("⚠ IG did not converge")
    assert matplotlib.colors.to_hex(ax.get_lines()[0].get_color()) == F.WARNING_COLOUR.lower()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert f"f(input) = {flagged['f_input']:.3f}" in legend
    assert f"f(baseline) = {flagged['f_baseline']:.3f}" in legend
    assert any(t.startswith(f"completeness gap δ = {flagged['delta']:+.3g}") for t in legend)
    ok = F.ig_convergence_figure(fine)
    assert ok.axes[0].get_title(loc="left") == "Integrated-gradients path"
    assert matplotlib.colors.to_hex(ok.axes[0].get_lines()[0].get_color()) == F.NEUTRAL_COLOUR.lower()


def test_ig_convergence_without_path_is_none(sample: dict) -> None:
    ig = dict(sample["integrated_gradients"], path={"alphas": [], "f": []})
    assert F.ig_convergence_figure(ig) is None


def test_modality_split_one_panel_per_estimator_on_one_scale(sample: dict) -> None:
    fig = F.modality_split_figure(sample["modality"])
    assert len(fig.axes) == 2  # Shapley and IG; fusion attention is not a contribution
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert [t.split("\n")[0] for t in titles] == [ESTIMATOR_NAMES[e] for e in ("shapley", "ig")]
    share = sample["modality"]["shapley"]["text_share"]
    assert titles[0].endswith(f"text share of the push {100 * share:.0f} %")
    assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()  # same units, same scale
    assert fig.axes[0].patches[0].get_height() == pytest.approx(sample["modality"]["shapley"]["text"])


def test_image_overlay_uses_the_reports_scale_and_leaves_noise_uncoloured(sample: dict) -> None:
    grid = np.full((4, 4), 0.004)
    grid[0, 0] = 0.2
    fig = F.image_overlay_figure(sample["picture"], grid.tolist(), limit=0.5, noise_floor=0.01,
                                 interpolation="nearest")
    (norm,) = _colorbar_norms(fig)
    assert norm.vmax == pytest.approx(0.5)  # the report's scale, not this picture's own maximum
    overlay = fig.axes[1].images[1].get_array()
    alpha = overlay[..., 3]
    height, width = alpha.shape
    assert alpha[: height // 8, : width // 8].min() > 0  # the 0.2 patch is coloured
    assert alpha[height // 2 :, width // 2 :].max() == 0  # 0.004 < 0.01: not coloured at all


def test_figures_leave_global_rcparams_alone(results: dict) -> None:
    before = {k: matplotlib.rcParams[k] for k in F.STYLE}
    F.figure_to_svg(F.modality_panels_figure(results["samples"]))
    assert {k: matplotlib.rcParams[k] for k in F.STYLE} == before


def test_figures_are_a4_column_wide(results: dict) -> None:
    fig = F.modality_panels_figure(results["samples"])
    assert fig.get_figwidth() == pytest.approx(16 / 2.54)


# ------------------------------------------------------------------------------ serialisation


def test_svg_is_byte_identical_across_calls(results: dict, sample: dict) -> None:
    for build in (lambda: F.modality_panels_figure(results["samples"]),
                  lambda: F.image_overlay_figure(sample["picture"], sample["image_scores"])):
        first, second = F.figure_to_svg(build()), F.figure_to_svg(build())
        assert first == second
        assert "<dc:date>" not in first


def test_pdf_and_png_are_byte_identical_across_calls(results: dict) -> None:
    assert F.figure_to_pdf_bytes(F.roc_figure(results["metrics"])) == F.figure_to_pdf_bytes(
        F.roc_figure(results["metrics"]))
    png = F.figure_to_png_bytes(F.roc_figure(results["metrics"]), dpi=72)
    assert png.startswith(b"\x89PNG") and png == F.figure_to_png_bytes(F.roc_figure(results["metrics"]), dpi=72)


def test_svg_inline_and_data_uris(results: dict) -> None:
    fig = F.roc_figure(results["metrics"])
    assert F.figure_to_svg(fig, inline=True).startswith("<svg")
    uri = F.figure_to_data_uri(fig)
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).decode("utf-8") == F.figure_to_svg(fig)
    png = F.figure_to_data_uri(fig, "png")
    assert base64.b64decode(png.split(",", 1)[1]).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="fmt must be"):
        F.figure_to_data_uri(fig, "gif")


def test_svg_ids_carry_the_salt_and_every_reference_resolves(results: dict) -> None:
    # Two figures inlined in one HTML page must not share ids: each gets its own salt as prefix.
    import re

    svg = F.figure_to_svg(F.modality_panels_figure(results["samples"]), salt="fig-panels")
    ids = set(re.findall(r'id="([^"]+)"', svg))
    refs = set(re.findall(r'(?:url\(#|href="#)([^")]+)', svg))
    assert refs and refs <= ids
    assert any(r.startswith("fig-panels-") for r in refs)
    assert not re.search(r'id="p[0-9a-f]{10}"', svg)  # no hash ids left (they vary between runs)


_SUBPROCESS = textwrap.dedent("""
    import hashlib, sys
    sys.path.insert(0, {root!r})
    from tests.results_fixture import make_results
    from reportgen.report import figures as F
    r = make_results(4)
    s = r["samples"][0]
    figs = [F.confusion_matrix_figure(r["metrics"]), F.roc_figure(r["metrics"]),
            F.modality_panels_figure(r["samples"]), F.estimator_agreement_figure(r["samples"]),
            F.top_words_figure(r["aggregate"]["top_words"]["spam"], "spam"),
            F.image_overlay_figure(s["picture"], s["image_scores"]),
            F.attention_heatmap_figure(s["tokens"], s["attention"]["text"]["selected"]["matrix"]),
            F.text_rollout_figure(s["tokens"], s["attention"]["text"]["rollout"]),
            F.ig_convergence_figure(s["integrated_gradients"]), F.modality_split_figure(s["modality"])]
    for fig in figs:
        F.figure_to_svg(fig)
    F.figure_to_png_bytes(figs[5], dpi=30); F.figure_to_pdf_bytes(figs[5])
    print("pyplot", "matplotlib.pyplot" in sys.modules)
    print("svg", hashlib.sha256(F.figure_to_svg(figs[2]).encode()).hexdigest())
""")


def test_no_pyplot_and_same_svg_in_a_fresh_process(results: dict) -> None:
    out = subprocess.run([sys.executable, "-c", _SUBPROCESS.format(root=str(ROOT))],
                         capture_output=True, text=True, cwd=ROOT, check=True, timeout=300).stdout
    assert "pyplot False" in out
    here = hashlib.sha256(F.figure_to_svg(F.modality_panels_figure(results["samples"])).encode()).hexdigest()
    assert f"svg {here}" in out  # another process (another hash seed) writes the same bytes


def test_users_savefig_settings_do_not_change_the_output(results: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = F.figure_to_svg(F.roc_figure(results["metrics"]))
    for key, value in {"savefig.transparent": True, "savefig.bbox": "tight", "savefig.facecolor": "black",
                       "figure.dpi": 300}.items():
        monkeypatch.setitem(matplotlib.rcParams, key, value)
    assert F.figure_to_svg(F.roc_figure(results["metrics"])) == expected


# ------------------------------------------------------------------------------ fixed layouts


def _outside(fig: Figure) -> list[float]:
    """How far (inches) the drawn content reaches past each figure edge (left, bottom, right, top)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    box = fig.get_tightbbox(renderer)  # visible artists only, in inches
    width, height = fig.get_size_inches()
    return [round(max(0.0, v), 3) for v in (-box.x0, -box.y0, box.x1 - width, box.y1 - height)]


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
def test_per_sample_figures_without_layout_engine_keep_every_label_inside(sample: dict) -> None:
    # The per-sample figures place their axes from font sizes (no constrained layout: it was a third
    # of a large report's drawing time); long, capitalised and wide (CJK) tokens must still fit.
    tokens = ["[CLS]", "WWWWWWWWWWWWWWWWWW", "恭喜您中奖了请点击链接领取免费", "##mmmmmmmmmmmmm", "ok", "[SEP]"] * 9
    n = len(tokens)
    matrix = np.full((n, n), 1.0 / n).tolist()
    rollout = np.linspace(0.0, 0.05, n).tolist()
    figures = {
        "attention": F.attention_heatmap_figure(tokens, matrix, title="Layer 11, the mean of all heads"),
        "attention_short": F.attention_heatmap_figure(tokens[:6], [r[:6] for r in matrix[:6]]),
        "rollout": F.text_rollout_figure(tokens, rollout),
        "overlay": F.image_overlay_figure(sample["picture"], sample["image_scores"], title="Integrated Gradients"),
        "overlay_flat": F.image_overlay_figure(sample["picture"], np.full((4, 4), 1 / 16).tolist(), signed=False,
                                               title="Attention rollout"),
        "overlay_alone": F.image_overlay_figure(None, sample["image_scores"], title="Integrated Gradients"),
        "modality": F.modality_split_figure(sample["modality"]),
        "convergence": F.ig_convergence_figure({**sample["integrated_gradients"], "flagged": True}),
    }
    for name, fig in figures.items():
        assert fig.get_layout_engine() is None, name
        assert _outside(fig) == [0.0, 0.0, 0.0, 0.0], name  # nothing cut off at any edge
