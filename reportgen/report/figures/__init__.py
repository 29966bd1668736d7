"""Report figures, built on :class:`matplotlib.figure.Figure` only (no pyplot global state).

* :mod:`.overview`: charts of the whole run (metrics, modality panels, estimator agreement, top words);
* :mod:`.sample`: charts of one explained e-mail (modality split, picture overlays, attention, IG path,
  the coloured words for a paper);
* :mod:`.style`: sizes, colours, the rc style and the helpers every chart shares;
* :mod:`.save`: deterministic serialisation (same figure → same bytes): SVG, palette WebP/PNG, JPEG, PDF.

A chart for a new explanation method is one function in :mod:`.overview` or :mod:`.sample`
decorated with :func:`~reportgen.report.figures.style.styled`.
"""

from reportgen.report.figures.overview import (
    confusion_matrix_figure,
    estimator_agreement_figure,
    modality_panels_figure,
    roc_figure,
    top_words_figure,
    verdict_groups_figure,
)
from reportgen.report.figures.sample import (
    attention_heatmap_figure,
    coloured_words_figure,
    decode_picture,
    ig_convergence_figure,
    image_overlay_figure,
    modality_split_figure,
    text_rollout_figure,
)
from reportgen.report.figures.save import (
    figure_to_data_uri,
    figure_to_jpeg_bytes,
    figure_to_pdf_bytes,
    figure_to_png_bytes,
    figure_to_raster_data_uris,
    figure_to_svg,
    figure_to_webp_bytes,
)
from reportgen.report.figures.style import (
    CM,
    COLUMN_WIDTH_IN,
    DIVERGING_CMAP,
    ESTIMATOR_UNITS,
    NEUTRAL_COLOUR,
    SEQUENTIAL_CMAP,
    STYLE,
    WARNING_COLOUR,
    diverging_colour,
    symmetric_limit,
)

__all__ = [
    "CM",
    "COLUMN_WIDTH_IN",
    "DIVERGING_CMAP",
    "ESTIMATOR_UNITS",
    "NEUTRAL_COLOUR",
    "SEQUENTIAL_CMAP",
    "STYLE",
    "WARNING_COLOUR",
    "attention_heatmap_figure",
    "coloured_words_figure",
    "confusion_matrix_figure",
    "decode_picture",
    "diverging_colour",
    "estimator_agreement_figure",
    "figure_to_data_uri",
    "figure_to_jpeg_bytes",
    "figure_to_pdf_bytes",
    "figure_to_png_bytes",
    "figure_to_raster_data_uris",
    "figure_to_svg",
    "figure_to_webp_bytes",
    "ig_convergence_figure",
    "image_overlay_figure",
    "modality_panels_figure",
    "modality_split_figure",
    "roc_figure",
    "symmetric_limit",
    "text_rollout_figure",
    "top_words_figure",
    "verdict_groups_figure",
]
