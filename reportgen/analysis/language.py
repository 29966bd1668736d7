"""The language of every e-mail, for the verdict by language.

A ``language`` column of the CSV wins (the user knows best). Without one the language is detected
from the text with py3langid, whose model ships inside the package (nothing is downloaded); an
e-mail is ``"und"`` (undetermined) when the text is too short to tell or the detector is unsure.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reportgen.mmtd.edp import EDPDataset

#: The CSV column read when present.
LANGUAGE_COLUMN = "language"
#: Undetermined (ISO 639-2's code for it).
UNDETERMINED = "und"
#: Texts with fewer letters than this are not classified.
MIN_LETTERS = 20
#: The detector's probability (normalised over its 97 languages) must reach this: more likely than all
#: the others together. Short texts in a clear language often score only 0.4-0.6.
MIN_PROBABILITY = 0.5


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    # The model is a numpy archive inside the package (no pickle, nothing downloaded).
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text`` (e.g. ``"en"``), or ``"und"`` when short or unsure."""
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return UNDETERMINED
    language, probability = _identifier().classify(text)
    return str(language) if float(probability) >= MIN_PROBABILITY else UNDETERMINED


def dataset_languages(dataset: EDPDataset) -> tuple[list[str], dict[str, Any]]:
    """One language per selected row and how it was found (results.json ``methods.language``).

    Returns:
        ``(languages, source)``: ``source`` says ``{"source": "column", "column": "language"}`` or
        ``{"source": "detected", "detector": "py3langid", ...}`` with the rule in words.
    """
    frame = getattr(dataset, "frame", None)
    if frame is not None and LANGUAGE_COLUMN in frame.columns:
        values = [str(v).strip() if isinstance(v, str) and str(v).strip() else UNDETERMINED
                  for v in frame[LANGUAGE_COLUMN].tolist()]
        return values, {"source": "column", "column": LANGUAGE_COLUMN,
                        "rule": f"the CSV's {LANGUAGE_COLUMN!r} column; empty cells are {UNDETERMINED!r}"}
    from importlib import metadata

    return [detect_language(t) for t in dataset.texts], {
        "source": "detected", "detector": f"py3langid {metadata.version('py3langid')}",
        "rule": f"detected from the text; {UNDETERMINED!r} when it has fewer than {MIN_LETTERS} letters or the "
                f"detector's probability is below {MIN_PROBABILITY}",
    }
