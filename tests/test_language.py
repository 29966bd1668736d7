"""The language of each e-mail (verdict by language): the CSV's column wins, else py3langid, 'und' when unsure."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from reportgen.analysis.language import UNDETERMINED, dataset_languages, detect_language


def test_a_language_column_is_used_as_written():
    frame = pd.DataFrame({"texts": ["Hello team, the report is attached.", "x"], "language": ["de", None]})
    dataset = SimpleNamespace(frame=frame, texts=list(frame["texts"]))
    languages, source = dataset_languages(dataset)
    # The column wins even where the text reads otherwise; an empty cell is undetermined.
    assert languages == ["de", UNDETERMINED]
    assert source["source"] == "column"


def test_without_a_column_the_language_is_detected_and_short_texts_are_undetermined():
    texts = ["Hello team, the meeting is moved to tomorrow afternoon, see you there.",
             "Hola amigo, te envío la factura de marzo y los detalles del pago pendiente.",
             "null", "win now"]
    dataset = SimpleNamespace(frame=pd.DataFrame({"texts": texts}), texts=texts)
    languages, source = dataset_languages(dataset)
    assert languages == ["en", "es", UNDETERMINED, UNDETERMINED]
    assert source["source"] == "detected" and source["detector"].startswith("py3langid")
    assert detect_language("1234567890 !!! ??? 1234567890 ... 000 111 222") == UNDETERMINED
