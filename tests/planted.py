"""A tiny MMTD trained on a planted signal, so checks of explanations have something real to find.

An e-mail is spam when its text holds a spam word (``win``, ``free``, …) or its picture holds a dark
red square (one patch of the encoder's 4 x 4 grid), either or both; every picture also has grey
"text lines" so that most patches are not blank. Trained in a few seconds on CPU; built once per
test process (:func:`planted`).
"""

from __future__ import annotations

import atexit
import functools
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from PIL import Image, ImageDraw

from reportgen.mmtd.model import MMTD
from reportgen.mmtd.preprocessing import Preprocessor, load_preprocessor
from tests.factories import tiny_config, write_cased_tokenizer

SPAM_WORDS = ("win", "free", "money", "prize", "cheap", "pills")
HAM_WORDS = ("meeting", "tomorrow", "invoice", "attached", "hello", "team", "report", "lunch", "thanks", "the", "a",
             "to", "you", "for", "is", "of", "and", "in", "your", "we", "on", "at", ".", ",")
IMAGE_SIZE = 32
PATCH = 8
MAX_LENGTH = 16
SQUARE = (160, 0, 0)


@dataclass
class Planted:
    """The trained model, its preprocessor and its accuracy on fresh e-mails."""

    model: MMTD
    preprocessor: Preprocessor
    accuracy: float


def planted_email(rng: random.Random, text_spam: bool, image_spam: bool) -> tuple[str, Image.Image]:
    """One e-mail: 6-10 ham words (one replaced by a spam word if ``text_spam``) and a page picture."""
    words = [rng.choice(HAM_WORDS) for _ in range(rng.randint(6, 10))]
    if text_spam:
        words[rng.randrange(len(words))] = rng.choice(SPAM_WORDS)
    picture = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    for top in range(2, IMAGE_SIZE - 2, 4):  # grey "text lines" of random length
        draw.line((2, top, rng.randint(8, IMAGE_SIZE - 3), top), fill=(110, 110, 110))
    if image_spam:
        row, col = rng.randrange(IMAGE_SIZE // PATCH), rng.randrange(IMAGE_SIZE // PATCH)
        draw.rectangle((col * PATCH, row * PATCH, col * PATCH + PATCH - 1, row * PATCH + PATCH - 1), fill=SQUARE)
    return " ".join(words), picture


def planted_batch(preprocessor: Preprocessor, n: int, seed: int) -> tuple[dict[str, torch.Tensor], torch.Tensor,
                                                                          list[str], list[Image.Image]]:
    """``n`` e-mails, the four kinds (neither, text, picture, both) in turn; label = text or picture spam."""
    rng = random.Random(seed)
    kinds = [(i % 4) in (1, 3) for i in range(n)], [(i % 4) in (2, 3) for i in range(n)]
    emails = [planted_email(rng, t, p) for t, p in zip(*kinds)]
    texts, pictures = [e[0] for e in emails], [e[1] for e in emails]
    labels = torch.tensor([int(t or p) for t, p in zip(*kinds)])
    return preprocessor.encode(texts, pictures), labels, texts, pictures


def _train(model: MMTD, preprocessor: Preprocessor, steps: int = 150, batch: int = 32) -> None:
    encoded, labels, _, _ = planted_batch(preprocessor, 512, seed=1)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(steps):
        pick = torch.randint(0, labels.shape[0], (batch,), generator=generator)
        logits = model(encoded["input_ids"][pick], encoded["token_type_ids"][pick], encoded["attention_mask"][pick],
                       encoded["pixel_values"][pick])
        loss = torch.nn.functional.cross_entropy(logits, labels[pick])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()


@functools.cache
def planted() -> Planted:
    """Train (once per process) the planted-signal tiny MMTD; raises if it did not learn the signal."""
    folder = Path(tempfile.mkdtemp(prefix="reportgen-planted-"))
    atexit.register(shutil.rmtree, folder, True)
    write_cased_tokenizer(folder / "tokenizer")
    preprocessor = load_preprocessor(str(folder / "tokenizer"), None, IMAGE_SIZE, MAX_LENGTH)
    torch.manual_seed(0)
    model = MMTD(tiny_config(image_size=IMAGE_SIZE, patch=PATCH))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: more threads only fight over the cores of a busy machine
    try:
        _train(model, preprocessor)
    finally:
        torch.set_num_threads(threads)
    encoded, labels, _, _ = planted_batch(preprocessor, 128, seed=2)
    with torch.no_grad():
        predictions = model(encoded["input_ids"], encoded["token_type_ids"], encoded["attention_mask"],
                            encoded["pixel_values"]).argmax(dim=-1)
    accuracy = float((predictions == labels).float().mean())
    if accuracy < 0.95:
        raise RuntimeError(f"the planted-signal model learnt too little (accuracy {accuracy:.2f})")
    return Planted(model, preprocessor, accuracy)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread for the module's tests: on a tiny model more only fight over a busy machine's cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def trained() -> Planted:
    """The planted-signal model (:func:`planted`)."""
    return planted()
