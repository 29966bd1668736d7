"""A seeded, deterministic multilingual e-mail corpus with pictures, written as an EDP folder.

Every e-mail has a sender, subject, greeting, body and signature in English, Spanish, German or
Russian, and is rendered to a picture the way a mail client shows it (toolbar, header block, body,
banners, photos) with the DejaVu fonts matplotlib ships, so it looks the same on every machine.

Where the spam signal lives is planted and recorded in the ``signal`` column:

* ``text``  — spam text (phishing, lottery, pharmacy) rendered plainly, like any ham mail;
* ``image`` — classic image spam: the text is drawn from the *ham* generator (indistinguishable from
  ham text) and a loud banner in the picture carries the offer;
* ``both``  — spam text and a spam banner;
* ``none``  — ham: meeting notes, invoices, personal mail (sometimes with a holiday photo), shipping
  notices, newsletters with calm banners, and the hard ham below.

Hard cases make the demo worth explaining (held-out accuracy lands in the 90s, not at 100 %):

* shop newsletters (``promo``) whose sale banner is drawn as loudly as a spam offer
  (``banner`` = ``sale``, ``banner_look`` = ``loud``): only the banner's words and the text say ham;
* legitimate bank notices (``security``) that share phishing's vocabulary (account, sign-in, card);
* spam whose banner is drawn as calmly as a newsletter's (``banner_look`` = ``calm``), and
  delivery-fee scams (``parcel``) that read like shipping notices.

E-mail ``i`` of seed ``s`` depends only on ``(s, i)``, so corpora of different sizes share a prefix
and the same call always writes byte-identical files.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from reportgen.demo import phrases as P

#: Signal kinds (the ``signal`` column).
SIGNALS: tuple[str, ...] = ("text", "image", "both", "none")
#: Kinds of ham and spam mail.
HAM_KINDS: tuple[str, ...] = ("meeting", "invoice", "personal", "shipping", "newsletter", "promo", "security")
SPAM_KINDS: tuple[str, ...] = ("phishing", "lottery", "pharmacy", "parcel")
#: Picture side in pixels (the model resizes it; small keeps the demo fast).
PICTURE_SIZE = 384
#: Columns of the written EDP.csv.
COLUMNS: tuple[str, ...] = ("texts", "pics", "labels", "language", "signal", "kind", "banner", "banner_look")

# Ham mix: newsletters and shop offers (with a banner) are frequent so a banner alone never means spam.
_HAM_WEIGHTS = {"meeting": 0.13, "invoice": 0.13, "personal": 0.16, "shipping": 0.12, "newsletter": 0.2,
                "promo": 0.14, "security": 0.12}
#: Share of spam banners drawn calmly (newsletter style) and of sale banners drawn loudly (spam style).
CALM_SPAM_BANNERS = 0.25
LOUD_SALE_BANNERS = 0.7

# Loud, saturated palettes of spam banners: (background, headline, button background, button text).
_SPAM_PALETTES = [
    ((230, 25, 35), (255, 235, 0), (255, 235, 0), (200, 0, 0)),
    ((255, 214, 0), (210, 0, 20), (210, 0, 20), (255, 255, 255)),
    ((235, 0, 140), (255, 255, 255), (255, 240, 0), (120, 0, 80)),
    ((255, 120, 0), (255, 255, 255), (20, 20, 20), (255, 220, 0)),
    ((0, 190, 60), (255, 255, 0), (230, 0, 30), (255, 255, 255)),
]
# Calm newsletter palettes: (background, headline, accent).
_NEWS_PALETTES = [
    ((32, 56, 100), (255, 255, 255), (150, 180, 220)),
    ((225, 232, 240), (40, 60, 90), (90, 120, 160)),
    ((40, 110, 110), (240, 250, 250), (160, 210, 205)),
    ((245, 240, 230), (90, 70, 50), (180, 150, 110)),
    ((70, 70, 80), (235, 235, 240), (160, 160, 175)),
]


@dataclass(frozen=True)
class Banner:
    """A picture block inside an e-mail: a spam offer, a newsletter header or a holiday photo."""

    style: str  # what it is: "spam" (an offer) | "sale" (a shop's real sale) | "newsletter" | "photo"
    headline: str = ""
    sub: str = ""
    button: str = ""
    palette: int = 0
    position: str = "top"  # "top" (under the header) | "middle" (after the first paragraph)
    height: int = 110
    look: str = "calm"  # how it is drawn: "loud" (saturated, starburst, big button) | "calm" (newsletter header)


@dataclass(frozen=True)
class DemoEmail:
    """One generated e-mail with its planted ground truth."""

    index: int
    language: str
    label: int  # 0 ham, 1 spam
    signal: str  # text | image | both | none
    kind: str  # the kind of the *text* (for image spam: a ham kind)
    offer: str  # spam kind carried by the picture or text ("" for ham)
    sender: str
    address: str
    recipient: str
    date: str
    subject: str
    greeting: str
    paragraphs: tuple[str, ...]
    closing: str
    signature: tuple[str, ...]
    banner: Banner | None = None

    @property
    def text(self) -> str:
        """The e-mail text as the ``texts`` column holds it: subject, greeting, body, signature."""
        parts = [self.subject, self.greeting, *self.paragraphs, "\n".join([self.closing, *self.signature])]
        return "\n\n".join(parts)


# ---------------------------------------------------------------------------------------------
# generation
# ---------------------------------------------------------------------------------------------
def _rng(seed: int, index: int) -> random.Random:
    # String seeds hash with SHA-512 in CPython: stable across runs and versions.
    return random.Random(f"reportgen-demo:{seed}:{index}")


def _slots(rng: random.Random, language: str, company: str, drug: str, bank: str) -> dict[str, str]:
    pool = P.SLOTS[language]
    values = {key: rng.choice(options) for key, options in pool.items()}
    values.update(
        company=company,
        drug=drug,
        bank=bank,
        bank_slug=bank.lower().replace(" ", "").replace("-", "")[:10] if language != "ru" else "bank",
        number=f"{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
        percent=str(rng.choice([50, 60, 70, 75, 80, 85, 90])),
        name=rng.choice(P.PEOPLE[language]["first"]),
    )
    return values


def _body(rng: random.Random, sentences: list[str], slots: dict[str, str]) -> tuple[str, ...]:
    """2–3 short paragraphs from an ordered subset of the kind's sentences."""
    count = rng.randint(3, min(5, len(sentences)))
    chosen = sorted(rng.sample(range(len(sentences)), count))
    lines = [sentences[i].format(**slots) for i in chosen]
    cut = sorted(rng.sample(range(1, count), k=min(rng.randint(1, 2), count - 1)))
    paragraphs, start = [], 0
    for end in [*cut, count]:
        paragraphs.append(" ".join(lines[start:end]))
        start = end
    return tuple(paragraphs)


def _address(rng: random.Random, first: str, last: str, language: str) -> str:
    translit = str.maketrans(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяäöüßáéíóúñ",
        "abvgdeezziiklmnoprstufhccss'y'euaaousaeioun",
    )
    local = f"{first}.{last}".lower().translate(translit).replace("'", "")
    return f"{local}@{rng.choice(P.DOMAINS[language])}"


def _date(rng: random.Random, language: str) -> str:
    day, month, hour, minute = rng.randint(1, 28), rng.randint(1, 12), rng.randint(7, 19), rng.randint(0, 59)
    if language == "en":
        months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return f"{day} {months[month - 1]} 2024, {hour:02d}:{minute:02d}"
    separator = "/" if language == "es" else "."
    return f"{day:02d}{separator}{month:02d}{separator}2024 {hour:02d}:{minute:02d}"


_TLD = {"en": "co.uk", "es": "es", "de": "de", "ru": "ru"}


def _ham_text(rng: random.Random, language: str, kind: str, slots: dict[str, str]) -> dict:
    people = P.PEOPLE[language]
    first, last = rng.choice(people["first"]), rng.choice(people["last"])
    company = slots["company"]
    if kind == "security":
        bank = slots["bank"]
        sender, address, signature = bank, f"no-reply@{slots['bank_slug']}.{_TLD[language]}", (bank,)
    elif kind in ("invoice", "shipping", "newsletter", "promo"):
        box = {"newsletter": "news", "promo": "offers"}.get(kind, kind)
        sender, address = company, f"{box}@{rng.choice(P.DOMAINS[language])}"
        signature = (company,) if kind != "invoice" else (f"{first} {last}", company)
    else:
        sender, address = f"{first} {last}", _address(rng, first, last, language)
        signature = (first,) if kind == "personal" else (f"{first} {last}", company)
    pool = P.KINDS[language][kind]
    return {
        "sender": sender,
        "address": address,
        "subject": rng.choice(pool["subjects"]).format(**slots),
        "greeting": rng.choice(P.GREETINGS[language]["ham"]).format(**slots),
        "paragraphs": _body(rng, pool["sentences"], slots),
        "closing": rng.choice(P.CLOSINGS[language]["ham"]),
        "signature": signature,
    }


def _spam_text(rng: random.Random, language: str, kind: str, slots: dict[str, str]) -> dict:
    # Sender names by offer: 0 security, 1 prize office, 2 pharmacy, 3 customer service, 4 a "doctor",
    # 5 a delivery service.
    senders = P.SPAM_SENDERS[language]
    sender = senders[rng.choice({"phishing": (0, 3), "lottery": (1, 3), "pharmacy": (2, 4), "parcel": (5, 3)}[kind])]
    pool = P.KINDS[language][kind]
    return {
        "sender": sender if kind != "phishing" else f"{slots['bank']} {sender}",
        "address": f"{rng.choice(['noreply', 'service', 'info', 'claims', 'support'])}@{rng.choice(P.SPAM_DOMAINS)}",
        "subject": rng.choice(pool["subjects"]).format(**slots),
        "greeting": rng.choice(P.GREETINGS[language]["spam"]),
        "paragraphs": _body(rng, pool["sentences"], slots),
        "closing": rng.choice(P.CLOSINGS[language]["spam"]),
        "signature": (sender,),
    }


def _banner(rng: random.Random, style: str, look: str, pool: dict[str, list[str]], slots: dict[str, str],
            positions: tuple[str, ...], heights: tuple[int, int]) -> Banner:
    """A spam, sale or newsletter banner drawn from ``pool`` (headline, sub-line, button) in ``look``."""
    palettes = _SPAM_PALETTES if look == "loud" else _NEWS_PALETTES
    return Banner(
        style=style,
        headline=rng.choice(pool["headline"]).format(**slots),
        sub=rng.choice(pool["sub"]).format(**slots),
        button=rng.choice(pool["button"]),
        palette=rng.randrange(len(palettes)),
        position=rng.choice(positions),
        height=rng.randint(*heights),
        look=look,
    )


def generate_email(index: int, seed: int = 0) -> DemoEmail:
    """Generate e-mail ``index`` of the corpus with ``seed`` (pure function of both).

    Args:
        index: position in the corpus (0-based).
        seed: corpus seed; the shipped demo model was trained on a different seed than the demo data.

    Returns:
        The e-mail with its language, label, signal, kinds and optional banner.
    """
    rng = _rng(seed, index)
    language = P.LANGUAGES[index % len(P.LANGUAGES)] if rng.random() < 0.5 else rng.choice(P.LANGUAGES)
    company = rng.choice(P.COMPANIES[language])
    slots = _slots(rng, language, company, rng.choice(P.SLOTS[language]["drug"]), rng.choice(P.SLOTS[language]["bank"]))
    recipient_first = slots["name"]
    recipient = f"{recipient_first} {rng.choice(P.PEOPLE[language]['last'])}"
    label = int(rng.random() < 0.5)
    banner: Banner | None = None
    if label == 1:
        signal = rng.choice(("text", "image", "both"))
        offer = rng.choice(SPAM_KINDS)
        if signal == "image":
            # Image spam: ham text from the ham generator; only the picture carries the offer.
            kind = rng.choices(list(_HAM_WEIGHTS), weights=list(_HAM_WEIGHTS.values()))[0]
            parts = _ham_text(rng, language, kind, slots)
        else:
            kind = offer
            parts = _spam_text(rng, language, offer, slots)
        if signal in ("image", "both"):
            look = "calm" if rng.random() < CALM_SPAM_BANNERS else "loud"
            banner = _banner(rng, "spam", look, P.BANNERS[language][offer], slots, ("top", "middle"), (120, 170))
    else:
        signal, offer = "none", ""
        kind = rng.choices(list(_HAM_WEIGHTS), weights=list(_HAM_WEIGHTS.values()))[0]
        parts = _ham_text(rng, language, kind, slots)
        if kind == "newsletter":
            banner = _banner(rng, "newsletter", "calm", P.NEWSLETTER_BANNERS[language], slots,
                             ("top", "top", "middle"), (100, 150))
        elif kind == "promo":
            look = "loud" if rng.random() < LOUD_SALE_BANNERS else "calm"
            banner = _banner(rng, "sale", look, P.SALE_BANNERS[language], slots, ("top", "middle"), (120, 170))
        elif kind == "personal" and rng.random() < 0.5:
            banner = Banner(style="photo", palette=rng.randrange(1000), position="middle", height=rng.randint(110, 160))
    return DemoEmail(
        index=index,
        language=language,
        label=label,
        signal=signal,
        kind=kind,
        offer=offer,
        recipient=recipient,
        date=_date(rng, language),
        banner=banner,
        **parts,
    )


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _font_path(bold: bool) -> str:
    from matplotlib.font_manager import FontProperties, findfont

    return findfont(FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal"), fallback_to_default=False)


@lru_cache(maxsize=None)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_font_path(bold), size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for raw in text.split("\n"):
        line = ""
        for word in raw.split(" "):
            candidate = f"{line} {word}".strip()
            if line and font.getlength(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def _fit(text: str, bold: bool, width: int, start: int, minimum: int = 10) -> ImageFont.FreeTypeFont:
    """The largest font (≤ start) that fits ``text`` on one line of ``width`` pixels."""
    size = start
    while size > minimum and _font(size, bold).getlength(text) > width:
        size -= 1
    return _font(size, bold)


def _draw_banner(image: Image.Image, banner: Banner, top: int, margin: int) -> int:
    draw = ImageDraw.Draw(image)
    left, right, bottom = margin, image.width - margin, top + banner.height
    width = right - left
    if banner.style in ("spam", "sale") and banner.look == "loud":
        background, ink, button_bg, button_ink = _SPAM_PALETTES[banner.palette]
        draw.rectangle((left, top, right, bottom), fill=background)
        # Starburst behind the headline corner: the loud look of classic image spam.
        cx, cy, r = right - 34, top + 30, 26
        points = []
        for k in range(24):
            radius = r if k % 2 == 0 else r * 0.6
            angle = math.pi * k / 12
            points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
        draw.polygon(points, fill=button_bg)
        draw.text((cx, cy), "!!!", font=_font(13, True), fill=button_ink, anchor="mm")
        font = _fit(banner.headline, True, width - 80, 30, 14)
        draw.text((left + 10, top + 12), banner.headline, font=font, fill=ink)
        sub_font = _fit(banner.sub, False, width - 20, 14)
        draw.text((left + 10, top + 18 + font.size), banner.sub, font=sub_font, fill=ink)
        button_font = _font(15, True)
        bw = int(button_font.getlength(banner.button)) + 28
        by = bottom - 44
        draw.rounded_rectangle((left + 10, by, left + 10 + bw, by + 32), radius=8, fill=button_bg)
        draw.text((left + 10 + bw / 2, by + 16), banner.button, font=button_font, fill=button_ink, anchor="mm")
    elif banner.style != "photo":  # calm: a newsletter header, whatever it announces
        background, ink, accent = _NEWS_PALETTES[banner.palette]
        draw.rectangle((left, top, right, bottom), fill=background)
        draw.ellipse((left + 12, top + 14, left + 42, top + 44), outline=accent, width=3)
        font = _fit(banner.headline, False, width - 70, 20, 12)
        draw.text((left + 54, top + 18), banner.headline, font=font, fill=ink)
        draw.line((left + 12, top + 56, right - 12, top + 56), fill=accent, width=1)
        draw.text((left + 12, top + 64), banner.sub, font=_fit(banner.sub, False, width - 24, 12), fill=ink)
        button_font = _font(11)
        bw = int(button_font.getlength(banner.button)) + 18
        by = bottom - 28
        draw.rectangle((right - 12 - bw, by, right - 12, by + 20), outline=accent, width=1)
        draw.text((right - 12 - bw / 2, by + 10), banner.button, font=button_font, fill=ink, anchor="mm")
    else:  # photo: a small landscape, as people attach holiday pictures
        rng = random.Random(banner.palette)
        sky = (rng.randint(120, 180), rng.randint(170, 210), rng.randint(220, 250))
        for y in range(top, bottom):
            t = (y - top) / banner.height
            draw.line((left, y, right, y), fill=tuple(int(c * (1 - 0.3 * t)) for c in sky))
        sun = rng.randint(left + 30, right - 30)
        draw.ellipse((sun - 14, top + 12, sun + 14, top + 40), fill=(250, 225, 140))
        ground = (rng.randint(60, 110), rng.randint(110, 150), rng.randint(60, 90))
        peaks = [(left, bottom)]
        x = left
        while x < right:
            x = min(right, x + rng.randint(30, 70))
            peaks.append((x, top + rng.randint(banner.height // 3, banner.height - 20)))
        peaks.append((right, bottom))
        draw.polygon(peaks, fill=ground)
    return bottom + 10


def render_email(email: DemoEmail, size: int = PICTURE_SIZE) -> Image.Image:
    """Draw ``email`` as a mail client shows it: toolbar, header block, body, banner, signature.

    Args:
        email: the generated e-mail.
        size: side of the square RGB picture in pixels.

    Returns:
        The picture (RGB). Text that does not fit is cut off at the bottom, as in a client window.
    """
    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    labels = P.CLIENT_LABELS[email.language]
    margin = 12
    # Toolbar.
    draw.rectangle((0, 0, size, 24), fill=(236, 238, 242))
    small = _font(10)
    x = margin
    for word in (labels["reply"], labels["forward"]):
        w = int(small.getlength(word)) + 14
        draw.rounded_rectangle((x, 4, x + w, 20), radius=4, outline=(170, 175, 185), fill=(250, 250, 252))
        draw.text((x + w / 2, 12), word, font=small, fill=(60, 64, 72), anchor="mm")
        x += w + 6
    # Header block.
    y = 32
    subject_font = _font(14, True)
    for line in _wrap(email.subject, subject_font, size - 2 * margin)[:2]:
        draw.text((margin, y), line, font=subject_font, fill=(20, 20, 24))
        y += 18
    meta = _font(10)
    for key, value in (("from", f"{email.sender} <{email.address}>"), ("to", email.recipient), ("date", email.date)):
        draw.text((margin, y + 2), f"{labels[key]}: {value}", font=meta, fill=(100, 104, 112))
        y += 13
    y += 6
    draw.line((margin, y, size - margin, y), fill=(210, 212, 218), width=1)
    y += 10
    if email.banner is not None and email.banner.position == "top":
        y = _draw_banner(image, email.banner, y, margin)
    body_font, line_height = _font(11), 14
    blocks = [email.greeting, *email.paragraphs]
    for number, block in enumerate(blocks):
        for line in _wrap(block, body_font, size - 2 * margin):
            if y > size - line_height:
                return image
            draw.text((margin, y), line, font=body_font, fill=(30, 30, 34))
            y += line_height
        y += 6
        if number == 1 and email.banner is not None and email.banner.position == "middle":
            y = _draw_banner(image, email.banner, y, margin)
    if email.banner is not None and email.banner.position == "middle" and len(blocks) < 2:
        y = _draw_banner(image, email.banner, y, margin)
    for line in (email.closing, *email.signature):
        if y > size - line_height:
            break
        draw.text((margin, y), line, font=body_font, fill=(110, 112, 120))
        y += line_height
    return image


# ---------------------------------------------------------------------------------------------
# EDP folder
# ---------------------------------------------------------------------------------------------
def generate_corpus(n: int, seed: int = 0) -> list[DemoEmail]:
    """E-mails ``0 .. n-1`` of the corpus with ``seed``."""
    return [generate_email(i, seed) for i in range(n)]


def write_demo_corpus(folder: str | Path, n: int = 200, seed: int = 0, size: int = PICTURE_SIZE) -> Path:
    """Write an EDP folder: ``folder/EDP.csv`` and ``folder/pics/demo_NNNN.png``.

    ``EDP.csv`` has the EDP columns ``texts``, ``pics`` (relative to ``pics/``), ``labels`` (0 ham,
    1 spam) and the planted ground truth ``language``, ``signal`` (text / image / both / none),
    ``kind`` (kind of the text), ``banner`` (spam / sale / newsletter / photo / empty) and
    ``banner_look`` (loud / calm / empty: how the banner is drawn).

    Args:
        folder: output folder (created).
        n: number of e-mails.
        seed: corpus seed (same seed and n → byte-identical files).
        size: picture side in pixels.

    Returns:
        Path of the written ``EDP.csv``.
    """
    folder = Path(folder)
    pics = folder / "pics"
    pics.mkdir(parents=True, exist_ok=True)
    rows = []
    for email in generate_corpus(n, seed):
        name = f"demo_{email.index:04d}.png"
        # optimize=False and no metadata: fast and byte-stable.
        render_email(email, size).save(pics / name, format="PNG", compress_level=6)
        rows.append({
            "texts": email.text,
            "pics": name,
            "labels": email.label,
            "language": email.language,
            "signal": email.signal,
            "kind": email.kind,
            "banner": email.banner.style if email.banner else "",
            "banner_look": email.banner.look if email.banner and email.banner.style != "photo" else "",
        })
    csv_path = folder / "EDP.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return csv_path
