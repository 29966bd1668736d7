"""The demo corpus is a real, reproducible EDP folder with every language and signal kind."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
from PIL import Image

from reportgen.demo.corpus import COLUMNS, HAM_KINDS, SIGNALS, generate_email, render_email, write_demo_corpus
from reportgen.demo.phrases import LANGUAGES


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_csv_and_picture_bytes(tmp_path: Path) -> None:
    write_demo_corpus(tmp_path / "a", n=24, seed=3)
    write_demo_corpus(tmp_path / "b", n=24, seed=3)
    write_demo_corpus(tmp_path / "c", n=24, seed=4)
    a, b, c = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert len(a) == 25  # EDP.csv + 24 pictures
    assert a == b
    assert a["EDP.csv"] != c["EDP.csv"]


def test_email_depends_only_on_seed_and_index() -> None:
    assert generate_email(17, seed=0) == generate_email(17, seed=0)
    assert generate_email(17, seed=0).text != generate_email(17, seed=1).text


def test_corpus_is_an_edp_folder_with_every_language_and_signal(tmp_path: Path) -> None:
    csv_path = write_demo_corpus(tmp_path / "demo", n=120, seed=0)
    frame = pd.read_csv(csv_path, keep_default_na=False)
    assert tuple(frame.columns) == COLUMNS
    assert set(frame["language"]) == set(LANGUAGES)
    assert set(frame["signal"]) == set(SIGNALS)
    # Labels follow the planted signal: spam iff the text or the picture carries an offer.
    assert (frame["labels"] == (frame["signal"] != "none").astype(int)).all()
    # Picture spam always carries an offer banner; text spam never has a banner.
    assert (frame.loc[frame["signal"].isin(["image", "both"]), "banner"] == "spam").all()
    assert (frame.loc[frame["signal"] == "text", "banner"] == "").all()
    # Hard cases exist both ways: ham whose banner is drawn as loudly as an offer, spam whose offer
    # banner is drawn as calmly as a newsletter's, and ham bank notices that share phishing's words.
    ham, spam = frame[frame["labels"] == 0], frame[frame["labels"] == 1]
    assert ((ham["banner"] == "sale") & (ham["banner_look"] == "loud")).any()
    assert ((spam["banner"] == "spam") & (spam["banner_look"] == "calm")).any()
    assert (ham["kind"] == "security").any()
    assert set(frame.loc[frame["banner"] == "", "banner_look"]) == {""}
    kinds = set(frame["kind"])
    assert {"phishing", "lottery", "pharmacy", "parcel", "invoice", "newsletter", "promo", "security",
            "meeting", "personal"} <= kinds
    for name in frame["pics"]:
        with Image.open(tmp_path / "demo" / "pics" / name) as image:
            assert image.mode == "RGB" and image.size == (384, 384)


def test_image_spam_text_comes_from_the_ham_generator(tmp_path: Path) -> None:
    frame = pd.read_csv(write_demo_corpus(tmp_path / "d", n=120, seed=0), keep_default_na=False)
    image_spam = frame[frame["signal"] == "image"]
    assert len(image_spam) > 0
    assert set(image_spam["kind"]) <= set(HAM_KINDS)


def test_emails_are_realistic_in_form() -> None:
    russian = next(e for e in (generate_email(i) for i in range(40)) if e.language == "ru")
    assert any("а" <= ch <= "я" for ch in russian.text)  # Cyrillic text
    email = generate_email(5)
    assert email.subject and email.greeting and email.paragraphs and email.signature
    assert "@" in email.address
    assert email.text.startswith(email.subject)


def _saturated_pixels(email) -> int:
    pixels = render_email(email).load()
    return sum(1 for x in range(0, 384, 4) for y in range(0, 384, 4) if max(pixels[x, y]) - min(pixels[x, y]) > 150)


def test_rendering_draws_a_mail_client_window() -> None:
    email = next(e for e in (generate_email(i) for i in range(40)) if e.signal == "image")
    assert render_email(email).load()[2, 2] != (255, 255, 255)  # toolbar


def test_banner_look_is_drawn_independently_of_what_the_banner_is() -> None:
    emails = [generate_email(i) for i in range(300)]

    def first(style: str, look: str):
        return next(e for e in emails if e.banner is not None and (e.banner.style, e.banner.look) == (style, look))

    # Loud banners (spam offers and shop sales alike) are saturated; calm ones are not.
    for style in ("spam", "sale"):
        assert _saturated_pixels(first(style, "loud")) > 100, style
        assert _saturated_pixels(first(style, "calm")) < 20, style
