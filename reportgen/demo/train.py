"""Rebuild the demo model and tokenizer shipped in ``reportgen/demo/assets/``.

Run ``python -m reportgen.demo.train`` (a few minutes on 2 CPU cores). It

1. generates the *training* corpus (seed :data:`TRAIN_SEED`, in memory; the demo writes seed
   :data:`DEMO_SEED`, so every e-mail of the demo data is held out from training),
2. builds a cased WordPiece vocabulary from the training texts (saved as a ``BertTokenizerFast``
   folder, like bert-base-multilingual-cased; see :func:`build_vocabulary`),
3. trains a small MMTD (the same :class:`~reportgen.mmtd.model.MMTD` class as the real model; hidden 64,
   one head per 64 so the loader infers the heads without a config file, 8 fusion heads as MMTD),
4. saves it with :func:`reportgen.mmtd.checkpoint.save_checkpoint` in the original checkpoint layout and
   writes ``demo.json`` (sizes, seeds, held-out accuracy and modality shares).

**Why the weights are shipped rather than trained on first use:** ``reportgen demo`` must finish cold
in ≤ 60 s on a 2-core machine *including* the analysis and the HTML + PDF report. Training alone takes
longer than that budget, while the assets are under 3 MB. Shipping them also means every user sees
the same model and the same report.

**Modality dropout:** image spam has ham text and text spam has a ham-like picture, so the model has
to read the right modality. To make each modality's evidence stand on its own (so the report's
Shapley split names the planted modality), a share of training samples has one modality replaced by
exactly the baseline the analysis uses (text → ``[CLS] [PAD]… [SEP]`` with the real mask; picture →
a white or black page) and is labelled by the evidence that remains: spam only if the kept modality
carries a spam signal.

The rebuild is deterministic on one platform and torch version (fixed seeds, one thread count).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from reportgen.explain.baselines import text_baseline_ids
from reportgen.demo.corpus import DemoEmail, generate_corpus, render_email
from reportgen.demo.pipeline import ASSETS


#: Corpus seeds: the model never sees the demo's e-mails.
TRAIN_SEED = 1
DEMO_SEED = 0
TRAIN_SIZE = 3200
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
LABEL_SMOOTHING = 0.1
TEXT_DROP = 0.2  # share of samples whose text is replaced by the text baseline
IMAGE_DROP = 0.2  # share of samples whose picture is replaced by a white/black page
TORCH_SEED = 0
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
    page = torch.where(torch.rand(n, generator=generator) < 0.8, 1.0, -1.0)[:, None, None, None]
    out["pixel_values"] = torch.where(drop_image[:, None, None, None], page.expand_as(batch["pixel_values"]),
                                      batch["pixel_values"])
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
    return torch.cat(out).numpy()


def modality_shapley(model: Any, encoded: dict[str, torch.Tensor], special: dict[str, int],
                     v_both: np.ndarray | None = None) -> np.ndarray:
    """Exact two-player Shapley values (text, image) of the spam log-odds, white-page/PAD baselines.

    ``v_both`` is ``log_odds(model, encoded)`` when the caller already has it.

    Returns:
        ``[N, 2]``: column 0 text, column 1 image.
    """
    base_text = dict(encoded, input_ids=text_baseline_ids(encoded["input_ids"], encoded["attention_mask"], special))
    white = torch.ones_like(encoded["pixel_values"])
    v_both = log_odds(model, encoded) if v_both is None else v_both
    v_text = log_odds(model, dict(encoded, pixel_values=white))
    v_image = log_odds(model, dict(base_text))
    v_none = log_odds(model, dict(base_text, pixel_values=white))
    phi_text = 0.5 * ((v_text - v_none) + (v_both - v_image))
    phi_image = 0.5 * ((v_image - v_none) + (v_both - v_text))
    return np.stack([phi_text, phi_image], axis=1)


def evaluate(model: Any, encoded: dict[str, torch.Tensor], emails: list[DemoEmail],
             special: dict[str, int]) -> dict[str, Any]:
    """Accuracy and median modality shares on planted spam (|phi| / (|phi_text| + |phi_image|))."""
    labels = np.array([e.label for e in emails])
    scores = log_odds(model, encoded)
    accuracy = float(((scores > 0).astype(int) == labels).mean())
    phi = np.abs(modality_shapley(model, encoded, special, v_both=scores))
    share = phi / np.clip(phi.sum(axis=1, keepdims=True), 1e-12, None)
    signals = np.array([e.signal for e in emails])
    return {
        "accuracy": round(accuracy, 4),
        "n": len(emails),
        "median_text_share_text_spam": round(float(np.median(share[signals == "text", 0])), 4),
        "median_image_share_image_spam": round(float(np.median(share[signals == "image", 1])), 4),
        "median_image_share_both_spam": round(float(np.median(share[signals == "both", 1])), 4),
    }


def train(assets: Path = ASSETS, *, epochs: int = EPOCHS, train_size: int = TRAIN_SIZE,
          learning_rate: float = LEARNING_RATE, text_drop: float = TEXT_DROP, image_drop: float = IMAGE_DROP,
          device: str = "cpu", verbose: bool = True) -> dict:
    """Generate the corpora, train tokenizer and model, save the assets, return the manifest.

    Args:
        assets: output folder (``checkpoint/``, ``tokenizer/``, ``demo.json``).
        epochs: passes over the training corpus.
        train_size: number of training e-mails.
        learning_rate: peak AdamW learning rate (one-cycle schedule).
        text_drop: share of samples whose text is replaced by the text baseline.
        image_drop: share of samples whose picture is replaced by a blank page.
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
    demo_emails = generate_corpus(DEMO_SIZE, DEMO_SEED)
    train_tokenizer([e.text for e in train_emails], assets / "tokenizer")
    preprocessor = load_preprocessor(str(assets / "tokenizer"), None, IMAGE_SIZE, MAX_LENGTH)
    special = preprocessor.special_ids
    train_data = _encode(preprocessor, train_emails)
    demo_data = _encode(preprocessor, demo_emails)
    signals = [e.signal for e in train_emails]
    if verbose:
        print(f"encoded {train_size} training and {DEMO_SIZE} demo e-mails in {time.perf_counter() - started:.0f} s")

    model = MMTD(demo_config(len(preprocessor.tokenizer)))
    # PyTorch's CPU attention with dropout is several times slower than without; the fusion layer's
    # other dropouts still regularise. (Inference never uses dropout, so the checkpoint is unaffected.)
    model.multi_modality_transformer_layer.self_attn.dropout = 0.0
    model.to(device)
    demo_data = {k: v.to(device) for k, v in demo_data.items()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    steps = epochs * ((train_size + BATCH_SIZE - 1) // BATCH_SIZE)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=learning_rate, total_steps=steps, pct_start=0.1)
    generator = torch.Generator().manual_seed(TORCH_SEED)
    # Label smoothing keeps the log-odds moderate (about ±3 instead of ±17): a saturated model makes
    # Integrated Gradients converge badly along the baseline→input path.
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=LABEL_SMOOTHING)
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
            loss = loss_fn(model(**batch), labels)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += float(loss.detach()) * len(index)
        if verbose:
            report = evaluate(model, demo_data, demo_emails, special)
            print(f"epoch {epoch + 1}/{epochs} loss {total / train_size:.4f} held-out {report}"
                  f" ({time.perf_counter() - started:.0f} s)")
    model.eval()
    heldout = evaluate(model, demo_data, demo_emails, special)
    weights = save_checkpoint(model.cpu(), assets / "checkpoint")
    manifest = {
        "description": "reportgen demo MMTD (rebuild: python -m reportgen.demo.train)",
        "checkpoint": str(weights.relative_to(assets)),
        "tokenizer": "tokenizer",
        "image_size": IMAGE_SIZE,
        "max_length": MAX_LENGTH,
        "demo_corpus": {"seed": DEMO_SEED, "n": DEMO_SIZE},
        "training": {
            "corpus_seed": TRAIN_SEED, "n": train_size, "epochs": epochs, "batch_size": BATCH_SIZE,
            "learning_rate": learning_rate, "label_smoothing": LABEL_SMOOTHING, "text_drop": text_drop,
            "image_drop": image_drop, "device": device,
            "torch_seed": TORCH_SEED, "torch": torch.__version__,
        },
        "heldout": heldout,
    }
    (assets / "demo.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if verbose:
        print(f"saved {weights} ({weights.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s")
        print(json.dumps(heldout, indent=2))
    return manifest


if __name__ == "__main__":
    train()
