"""Rebuild the demo model and tokenizer shipped in ``reportgen/demo/assets/``.

Run ``python -m reportgen.demo.train`` (about 10 minutes on one CPU core). It

1. generates three corpora from different seeds: *training* (:data:`TRAIN_SEED`), *validation*
   (:data:`VALIDATION_SEED`: early stopping and temperature) and the demo's own e-mails
   (:data:`DEMO_SEED`: held out, only measured), so nothing the demo shows was seen in training,
2. builds a cased WordPiece vocabulary from the training texts (saved as a ``BertTokenizerFast``
   folder, like bert-base-multilingual-cased; see :func:`build_vocabulary`),
3. trains a small MMTD (the same :class:`~reportgen.mmtd.model.MMTD` class as the real model; hidden 64,
   one head per 64 so the loader infers the heads without a config file, 8 fusion heads as MMTD)
   with a focal loss (:func:`focal_loss`), keeping the epoch with the lowest validation loss,
4. calibrates it: one temperature fitted on the validation corpus (lowest log-loss) is folded into
   the classifier (weight and bias divided by it), so the checkpoint's own logits are calibrated,
5. saves it with :func:`reportgen.mmtd.checkpoint.save_checkpoint` in the original checkpoint layout and
   writes ``demo.json``: sizes, seeds and what the held-out demo e-mails measure (accuracy,
   misclassified rows, Brier score, expected calibration error, spread of the log-odds, and the
   median Shapley text share per planted group).

**Why the weights are shipped rather than trained on first use:** ``reportgen demo`` must finish cold
in ≤ 60 s on a 2-core machine *including* the analysis and the HTML + PDF report. Training alone takes
longer than that budget, while the assets are under 3 MB. Shipping them also means every user sees
the same model and the same report.

**Preprocessing** is the loader's own (:func:`reportgen.mmtd.preprocessing.dit_image_processor`: the
published DiT processor, PIL *bilinear* resize, no crop, mean = std = 0.5), so the shipped model
sees in training exactly what ``reportgen demo`` feeds it.

**No label smoothing, focal loss, then a temperature:** label smoothing pinned every logit near ±3,
so the report could not tell a sure decision from a guess. Plain cross-entropy pins the clear
e-mails too, at the cap of the fusion layer's final LayerNorm (a fifth to a third of the demo
e-mails shared the top score in trials); the focal loss (:func:`focal_loss`) leaves their scores
graded. The corpus has hard cases (see :mod:`reportgen.demo.corpus`), so some decisions are close
calls, and the temperature makes the probabilities mean what they say.

**Modality dropout:** image spam has ham text and text spam has a ham-like picture, so the model has
to read the right modality. To make each modality's evidence stand on its own (so the report's
Shapley split names the planted modality), a share of training samples has one modality replaced by
exactly the baseline the analysis uses (text → ``[CLS] [PAD]… [SEP]`` with the real mask; picture →
a white or black page) and is labelled by the evidence that remains: spam only if the kept modality
carries a spam signal.

The rebuild is deterministic on one platform and torch version (fixed seeds, one thread count).
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from reportgen.demo.corpus import SIGNALS, DemoEmail, generate_corpus, render_email
from reportgen.explain.baselines import image_baseline, text_baseline_ids
from reportgen.options import ExplainOptions
from reportgen.demo.pipeline import ASSETS


#: Corpus seeds: the model never sees the demo's e-mails (nor the validation e-mails in training).
TRAIN_SEED = 1
VALIDATION_SEED = 2
DEMO_SEED = 0
TRAIN_SIZE = 3200
VALIDATION_SIZE = 400
DEMO_SIZE = 200

#: Model and preprocessing sizes.
HIDDEN = 64
TEXT_LAYERS = 2
IMAGE_LAYERS = 2
INTERMEDIATE = 256
FUSION_FEEDFORWARD = 256
IMAGE_SIZE = 128
PATCH_SIZE = 16
MAX_LENGTH = 64
VOCAB_SIZE = 4000

#: Training.
EPOCHS = 6
BATCH_SIZE = 32
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 0.01
#: Focal loss exponent (0 = plain cross-entropy); see :func:`focal_loss`.
FOCAL_GAMMA = 2.0
TEXT_DROP = 0.2  # share of samples whose text is replaced by the text baseline
IMAGE_DROP = 0.2  # share of samples whose picture is replaced by a white/black page
TORCH_SEED = 0
#: Equal-width probability bins of the expected calibration error.
CALIBRATION_BINS = 10
#: CPU threads (fixed: the float reduction order, hence the weights, depends on it; one thread is also
#: the fastest for this tiny model, several fight for the cores of a busy machine).
THREADS = 1


def demo_config(vocab_size: int) -> Any:
    """The demo MMTD's :class:`~reportgen.mmtd.model.MMTDConfig` (same switches as the published model)."""
    from transformers import BeitConfig, BertConfig

    from reportgen.mmtd.model import MMTDConfig

    text = BertConfig(
        vocab_size=vocab_size, hidden_size=HIDDEN, num_hidden_layers=TEXT_LAYERS, num_attention_heads=HIDDEN // 64,
        intermediate_size=INTERMEDIATE, max_position_embeddings=MAX_LENGTH, type_vocab_size=2,
        attention_probs_dropout_prob=0.0,
    )
    image = BeitConfig(
        hidden_size=HIDDEN, num_hidden_layers=IMAGE_LAYERS, num_attention_heads=HIDDEN // 64,
        intermediate_size=INTERMEDIATE, image_size=IMAGE_SIZE, patch_size=PATCH_SIZE, num_channels=3,
        attention_probs_dropout_prob=0.0,
        use_absolute_position_embeddings=True, use_relative_position_bias=False,
        use_shared_relative_position_bias=False, layer_scale_init_value=0.1, use_mean_pooling=True,
        use_mask_token=True,
    )
    return MMTDConfig(text=text, image=image, fusion_heads=8, fusion_feedforward=FUSION_FEEDFORWARD)


def build_vocabulary(texts: list[str], max_size: int = VOCAB_SIZE, min_count: int = 2) -> list[str]:
    """A cased WordPiece vocabulary learned from ``texts``, identical on every run.

    The tokenizers library's WordPiece trainer breaks ties between equally frequent merges in hash
    order, so two runs gave vocabularies that differed in ~40 pieces (and every id after them). This
    one is built from counts alone: the special tokens, every character seen (alone and as a ``##``
    continuation, so no text in these scripts becomes [UNK]), then the words seen at least
    ``min_count`` times, most frequent first (ties by the word), up to ``max_size`` entries. Words are
    split exactly as ``BertTokenizerFast`` splits them (BERT normaliser, cased; BERT pre-tokeniser).
    """
    from collections import Counter

    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer

    normalizer = BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    pre_tokenizer = BertPreTokenizer()
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(word for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    alphabet = sorted({char for word in counts for char in word})
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *alphabet, *(f"##{c}" for c in alphabet)]
    known = set(vocabulary)
    for word, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if len(vocabulary) >= max_size or count < min_count:
            break
        if word not in known:
            vocabulary.append(word)
            known.add(word)
    return vocabulary


def train_tokenizer(texts: list[str], folder: Path) -> Any:
    """Build the vocabulary from ``texts`` and save it as a cased ``BertTokenizerFast`` folder."""
    from transformers import BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocabulary = build_vocabulary(texts)
    # transformers 5's BertTokenizerFast takes the vocabulary as ``vocab`` (``vocab_file`` is ignored
    # and would leave only the special tokens).
    tokenizer = BertTokenizerFast(
        vocab={token: i for i, token in enumerate(vocabulary)}, do_lower_case=False, strip_accents=False,
        model_max_length=MAX_LENGTH,
    )
    if len(tokenizer) != len(vocabulary):
        raise RuntimeError(f"tokenizer has {len(tokenizer)} tokens, the vocabulary {len(vocabulary)}")
    tokenizer.save_pretrained(str(folder))
    return tokenizer


def _encode(preprocessor: Any, emails: list[DemoEmail], batch: int = 256) -> dict[str, torch.Tensor]:
    """Encode e-mails exactly as the demo does (render → Preprocessor.encode)."""
    parts: list[dict[str, torch.Tensor]] = []
    for start in range(0, len(emails), batch):
        chunk = emails[start:start + batch]
        parts.append(preprocessor.encode([e.text for e in chunk], [render_email(e) for e in chunk]))
    return {key: torch.cat([p[key] for p in parts]) for key in parts[0]}


def _drop(batch: dict[str, torch.Tensor], signals: list[str], special: dict[str, int],
          generator: torch.Generator, text_drop: float = TEXT_DROP,
          image_drop: float = IMAGE_DROP) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Modality dropout with baseline inputs; labels follow the evidence that remains."""
    n = len(signals)
    u = torch.rand(n, generator=generator)
    drop_text = u < text_drop
    drop_image = (u >= text_drop) & (u < text_drop + image_drop)
    text_spam = torch.tensor([s in ("text", "both") for s in signals])
    image_spam = torch.tensor([s in ("image", "both") for s in signals])
    labels = ((text_spam & ~drop_text) | (image_spam & ~drop_image)).long()
    out = dict(batch)
    baseline_ids = text_baseline_ids(batch["input_ids"], batch["attention_mask"], special)
    out["input_ids"] = torch.where(drop_text[:, None], baseline_ids, batch["input_ids"])
    # White page (the report's default baseline) mostly, black sometimes.
    pixels = batch["pixel_values"]
    white = image_baseline(pixels, ExplainOptions(image_baseline="white"))
    black = image_baseline(pixels, ExplainOptions(image_baseline="black"))
    page = torch.where((torch.rand(n, generator=generator) < 0.8)[:, None, None, None], white, black)
    out["pixel_values"] = torch.where(drop_image[:, None, None, None], page, pixels)
    return out, labels


@torch.no_grad()
def log_odds(model: Any, encoded: dict[str, torch.Tensor], batch: int = 128) -> np.ndarray:
    """``logit_spam - logit_ham`` for every row of ``encoded``."""
    from reportgen.mmtd.model import spam_log_odds

    model.eval()
    out = []
    for start in range(0, len(encoded["input_ids"]), batch):
        part = {k: v[start:start + batch] for k, v in encoded.items()}
        out.append(spam_log_odds(model(**part)).cpu())
    return torch.cat(out).double().numpy()


@torch.no_grad()
def modality_shapley(model: Any, encoded: dict[str, torch.Tensor], special: dict[str, int],
                     batch: int = 128) -> np.ndarray:
    """Exact two-player Shapley values (text, image) of the spam log-odds, as the report computes them.

    :func:`reportgen.explain.modality.shapley_from_hidden` with the report's default baselines: text
    ``[CLS] [PAD]… [SEP]`` with the row's mask, picture a white page. Each encoder runs once on the
    inputs and once on the text baselines; the white page's states are the same for every row and
    computed once. Only the small fusion layer runs per coalition.

    Returns:
        ``[N, 2]``: column 0 text, column 1 image.
    """
    from reportgen.explain.modality import shapley_from_hidden

    model.eval()
    pixels = encoded["pixel_values"]
    white = image_baseline(pixels[:1], ExplainOptions(image_baseline="white"))
    white_hidden = model.encode_image(white).hidden_states[-1][0]
    values = []
    for start in range(0, len(encoded["input_ids"]), batch):
        part = {k: v[start:start + batch] for k, v in encoded.items()}
        ids, types, mask = part["input_ids"], part["token_type_ids"], part["attention_mask"]
        text = model.encode_text(ids, types, mask).last_hidden_state
        text_base = model.encode_text(text_baseline_ids(ids, mask, special), types, mask).last_hidden_state
        image = model.encode_image(part["pixel_values"]).hidden_states[-1]
        for i in range(len(ids)):
            split = shapley_from_hidden(model, torch.stack([text[i], text_base[i]]),
                                        torch.stack([image[i], white_hidden]))
            values.append((split["text"], split["image"]))
    return np.array(values, dtype=np.float64)


def focal_loss(logits: torch.Tensor, labels: torch.Tensor, gamma: float = FOCAL_GAMMA) -> torch.Tensor:
    """Mean focal loss ``-(1 - p_t)^gamma log p_t`` (Lin et al. 2017) of two-class logits.

    Why not cross-entropy: on this corpus most e-mails are clear, and cross-entropy keeps pushing
    their scores until the fusion layer's final LayerNorm caps them, so every clear spam e-mail
    ends with the very same log-odds. The focal factor stops pushing once an e-mail is confidently
    right, so clear e-mails keep graded scores; the temperature fitted afterwards restores
    calibration (Mukhoti et al. 2020).
    """
    ce = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
    return ((1.0 - torch.exp(-ce)) ** gamma * ce).mean()


def _log_loss(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood of ``labels`` (0/1) under ``sigmoid(scores)``."""
    signed = np.where(labels == 1, scores, -scores)
    return float(np.mean(np.logaddexp(0.0, -signed)))


def fit_temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    """The temperature ``T`` minimising the log-loss of ``sigmoid(scores / T)`` (Guo et al. 2017)."""
    from scipy.optimize import minimize_scalar

    fit = minimize_scalar(lambda log_t: _log_loss(scores / np.exp(log_t), labels), bounds=(-4.0, 4.0),
                          method="bounded", options={"xatol": 1e-6})
    return float(np.exp(fit.x))


def calibration(scores: np.ndarray, labels: np.ndarray, bins: int = CALIBRATION_BINS) -> dict[str, float]:
    """Brier score, log-loss and expected calibration error of ``P(spam) = sigmoid(scores)``.

    The expected calibration error is the top-label one (Guo et al. 2017): the confidence of the
    predicted class against its accuracy, in ``bins`` equal-width bins, weighted by bin size.
    """
    from sklearn.metrics import brier_score_loss

    prob = 1.0 / (1.0 + np.exp(-scores))
    predicted = (scores > 0).astype(int)
    confidence = np.where(predicted == 1, prob, 1.0 - prob)
    correct = (predicted == labels).astype(float)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    ece = sum(abs(correct[which == b].mean() - confidence[which == b].mean()) * (which == b).mean()
              for b in range(bins) if (which == b).any())
    return {
        "brier": round(float(brier_score_loss(labels, prob)), 4),
        "log_loss": round(_log_loss(scores, labels), 4),
        "ece": round(float(ece), 4),
    }


def evaluate(model: Any, encoded: dict[str, torch.Tensor], emails: list[DemoEmail],
             special: dict[str, int]) -> dict[str, Any]:
    """What the held-out e-mails measure: accuracy, calibration, log-odds spread, Shapley per group.

    Shapley shares are ``|φ_text| / (|φ_text| + |φ_image|)`` (the report's text share), as medians
    over the e-mails of each planted ``signal`` group, with the medians of the signed values.
    """
    labels = np.array([e.label for e in emails])
    scores = log_odds(model, encoded)
    predicted = (scores > 0).astype(int)
    phi = modality_shapley(model, encoded, special)
    share = np.abs(phi[:, 0]) / np.clip(np.abs(phi).sum(axis=1), 1e-12, None)
    signals = np.array([e.signal for e in emails])
    wrong = np.flatnonzero(predicted != labels)
    return {
        "n": len(emails),
        "accuracy": round(float((predicted == labels).mean()), 4),
        "calibration": calibration(scores, labels),
        "log_odds": {name: round(float(value), 3) for name, value in (
            ("min", scores.min()), ("p05", np.quantile(scores, 0.05)), ("median", np.median(scores)),
            ("p95", np.quantile(scores, 0.95)), ("max", scores.max()), ("std", scores.std()),
            # Pinning: a saturated model gives many e-mails the very same extreme score.
            ("share_at_max", np.mean(scores > scores.max() - 0.1)),
            ("share_at_min", np.mean(scores < scores.min() + 0.1)))},
        "shapley_by_signal": {
            signal: {"n": int((signals == signal).sum()),
                     "median_text_share": round(float(np.median(share[signals == signal])), 4),
                     "median_text": round(float(np.median(phi[signals == signal, 0])), 3),
                     "median_image": round(float(np.median(phi[signals == signal, 1])), 3)}
            for signal in SIGNALS if (signals == signal).any()
        },
        "misclassified": [
            {"row": int(i), "label": int(labels[i]), "signal": emails[i].signal, "kind": emails[i].kind,
             "banner": emails[i].banner.style if emails[i].banner else "",
             "banner_look": emails[i].banner.look if emails[i].banner else "",
             "log_odds": round(float(scores[i]), 3)}
            for i in wrong
        ],
    }


def train(assets: Path = ASSETS, *, epochs: int = EPOCHS, train_size: int = TRAIN_SIZE,
          learning_rate: float = LEARNING_RATE, weight_decay: float = WEIGHT_DECAY, text_drop: float = TEXT_DROP,
          image_drop: float = IMAGE_DROP, focal_gamma: float = FOCAL_GAMMA, device: str = "cpu",
          verbose: bool = True) -> dict:
    """Generate the corpora, train tokenizer and model, calibrate, save the assets, return the manifest.

    Args:
        assets: output folder (``checkpoint/``, ``tokenizer/``, ``demo.json``).
        epochs: passes over the training corpus (the epoch with the lowest validation loss is kept).
        train_size: number of training e-mails.
        learning_rate: peak AdamW learning rate (one-cycle schedule).
        weight_decay: AdamW weight decay.
        text_drop: share of samples whose text is replaced by the text baseline.
        image_drop: share of samples whose picture is replaced by a blank page.
        focal_gamma: focal loss exponent (0 = cross-entropy).
        device: ``cpu`` (the shipped assets) or ``cuda`` (quick experiments; other numerics).
        verbose: print progress.

    Returns:
        The manifest written to ``assets/demo.json``.
    """
    from reportgen.mmtd.checkpoint import save_checkpoint
    from reportgen.mmtd.model import MMTD
    from reportgen.mmtd.preprocessing import load_preprocessor

    started = time.perf_counter()
    torch.manual_seed(TORCH_SEED)
    torch.set_num_threads(THREADS)
    train_emails = generate_corpus(train_size, TRAIN_SEED)
    validation_emails = generate_corpus(VALIDATION_SIZE, VALIDATION_SEED)
    demo_emails = generate_corpus(DEMO_SIZE, DEMO_SEED)
    train_tokenizer([e.text for e in train_emails], assets / "tokenizer")
    # The loader's default processor (None), exactly as `reportgen demo` builds it.
    preprocessor = load_preprocessor(str(assets / "tokenizer"), None, IMAGE_SIZE, MAX_LENGTH)
    special = preprocessor.special_ids
    train_data = _encode(preprocessor, train_emails)
    validation_data = _encode(preprocessor, validation_emails)
    demo_data = _encode(preprocessor, demo_emails)
    signals = [e.signal for e in train_emails]
    validation_labels = np.array([e.label for e in validation_emails])
    if verbose:
        print(f"encoded {train_size} training, {VALIDATION_SIZE} validation and {DEMO_SIZE} demo e-mails"
              f" in {time.perf_counter() - started:.0f} s")

    model = MMTD(demo_config(len(preprocessor.tokenizer)))
    # PyTorch's CPU attention with dropout is several times slower than without; the fusion layer's
    # other dropouts still regularise. (Inference never uses dropout, so the checkpoint is unaffected.)
    model.multi_modality_transformer_layer.self_attn.dropout = 0.0
    model.to(device)
    validation_data = {k: v.to(device) for k, v in validation_data.items()}
    demo_data = {k: v.to(device) for k, v in demo_data.items()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    steps = epochs * ((train_size + BATCH_SIZE - 1) // BATCH_SIZE)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=learning_rate, total_steps=steps, pct_start=0.1)
    generator = torch.Generator().manual_seed(TORCH_SEED)
    best: tuple[float, int, dict[str, torch.Tensor]] | None = None
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(train_size, generator=generator)
        total = 0.0
        for start in range(0, train_size, BATCH_SIZE):
            index = order[start:start + BATCH_SIZE]
            batch = {k: v[index] for k, v in train_data.items()}
            batch, labels = _drop(batch, [signals[i] for i in index.tolist()], special, generator,
                                  text_drop, image_drop)
            batch, labels = {k: v.to(device) for k, v in batch.items()}, labels.to(device)
            loss = focal_loss(model(**batch), labels, focal_gamma)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += float(loss.detach()) * len(index)
        validation_loss = _log_loss(log_odds(model, validation_data), validation_labels)
        if best is None or validation_loss < best[0]:
            best = (validation_loss, epoch + 1, copy.deepcopy(model.state_dict()))
        if verbose:
            print(f"epoch {epoch + 1}/{epochs} loss {total / train_size:.4f} validation loss {validation_loss:.4f}"
                  f" ({time.perf_counter() - started:.0f} s)")
    assert best is not None
    model.load_state_dict(best[2])
    model.eval()
    # Calibrate on the validation e-mails; dividing the classifier by T divides both logits by T.
    temperature = round(fit_temperature(log_odds(model, validation_data), validation_labels), 3)
    with torch.no_grad():
        model.classifier.weight.div_(temperature)
        model.classifier.bias.div_(temperature)
    validation = calibration(log_odds(model, validation_data), validation_labels)
    heldout = evaluate(model, demo_data, demo_emails, special)
    weights = save_checkpoint(model.cpu(), assets / "checkpoint")
    manifest = {
        "description": "reportgen demo MMTD (rebuild: python -m reportgen.demo.train)",
        "checkpoint": str(weights.relative_to(assets)),
        "tokenizer": "tokenizer",
        "image_size": IMAGE_SIZE,
        "max_length": MAX_LENGTH,
        "image_processor": "reportgen.mmtd.preprocessing.dit_image_processor (PIL bilinear, no crop, "
                           "rescale 1/255, mean = std = 0.5)",
        "demo_corpus": {"seed": DEMO_SEED, "n": DEMO_SIZE},
        "training": {
            "corpus_seed": TRAIN_SEED, "n": train_size, "epochs": epochs, "best_epoch": best[1],
            "batch_size": BATCH_SIZE, "learning_rate": learning_rate, "weight_decay": weight_decay,
            "loss": f"focal, gamma {focal_gamma}" if focal_gamma else "cross-entropy",
            "label_smoothing": 0.0, "text_drop": text_drop, "image_drop": image_drop, "device": device,
            "torch_seed": TORCH_SEED, "torch": torch.__version__,
        },
        "calibration": {"corpus_seed": VALIDATION_SEED, "n": VALIDATION_SIZE, "temperature": temperature,
                        "validation": validation},
        "heldout": heldout,
    }
    (assets / "demo.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if verbose:
        print(f"saved {weights} ({weights.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s")
        print(json.dumps({"temperature": temperature, "validation": validation, "heldout": heldout}, indent=2))
    return manifest


if __name__ == "__main__":
    train()
