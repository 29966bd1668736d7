"""A synthetic but plausible results.json dict for rendering tests (no model, no torch).

``make_results(n_samples)`` follows reportgen/results/schema/results.schema.json exactly; the numbers are
internally consistent (IG attributions sum to f(input) - f(baseline) up to the recorded delta,
Shapley values sum to f(full) - f(none) for every prediction, attention shares sum to 1, metrics
match predictions, leading sources follow reportgen.claims).
``hostile=True`` puts attacker-controlled content (HTML, CSS, javascript: links, Jinja syntax) in
every string that comes from an e-mail, so escaping tests can look for it.
"""

from __future__ import annotations

import base64
import io
import math
import random
import re
from collections.abc import Sequence
from typing import Any

# The real aggregation code (pure, no torch), so the fixture's aggregate matches what analyze writes.
from reportgen.analysis.aggregate import aggregate as aggregate_block
from reportgen.analysis.aggregate import methods_description, prediction_claims

#: Attacker content an e-mail may carry. ``{port}`` lets a test point URLs at its recording server.
HOSTILE_STRINGS = (
    "<script>alert(1)</script>",
    "<img src=http://evil.invalid/x.png>",
    "<style>body{background:url(http://evil.invalid/a)}</style>",
    '<a href="javascript:alert(1)">x</a>',
    "{{ 7*7 }}",
    "{% raw %}",
)

# Multilingual e-mails in the spirit of EDP (English, Spanish, Russian, German, Chinese, French).
_SPAM_TEXTS = (
    "WIN a FREE prize now! Click here to claim your money before midnight.",
    "¡Oferta gratis! Gane dinero desde casa, haga clic aquí hoy mismo.",
    "Поздравляем! Вы выиграли деньги. Нажмите здесь, чтобы получить приз.",
    "Günstige Pillen ohne Rezept – jetzt bestellen und sparen!",
    "恭喜您 中奖 了 请 点击 链接 领取 免费 礼品",
    "Offre exclusive : crédit gratuit, cliquez ici maintenant !",
)
_HAM_TEXTS = (
    "Hello team, the meeting is moved to tomorrow at ten. Agenda attached.",
    "Hola Ana, te envío la factura de marzo. Saludos, Pedro.",
    "Привет! Отчёт за квартал в приложении, посмотри, пожалуйста.",
    "Hallo zusammen, das Protokoll der Sitzung liegt im Anhang.",
    "你好 明天 的 会议 改 到 下午 三点 谢谢",
    "Bonjour, merci pour le rapport, on en parle au déjeuner.",
)

_SPAM_WORDS = ("win", "free", "prize", "click", "money", "gratis", "dinero", "деньги", "offer", "cheap")
_HAM_WORDS = ("meeting", "tomorrow", "attached", "invoice", "thanks", "team", "report", "hola", "привет", "lunch")

GRID = 14  # DiT-base: 224 / 16 patches per side
N_LAYERS = 12


def _picture_data_uri(text: str, spam: bool, seed: int, size: int = 96) -> str:
    """A small PNG 'screenshot' of an e-mail: white page, a coloured banner, grey text lines."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    banner = (220, 60, 40) if spam else (40, 90, 160)
    draw.rectangle([0, 0, size, size // 6], fill=banner)
    draw.text((4, 2), text[:14], fill="white")
    y = size // 6 + 6
    while y < size - 8:
        width = rng.randint(size // 3, size - 10)
        draw.rectangle([6, y, width, y + 3], fill=(90, 90, 90))
        y += 9
    if spam:
        draw.ellipse([size // 2, size // 2, size - 8, size - 8], outline=(250, 180, 0), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _wordpieces(word: str) -> list[str]:
    """Split long words into WordPiece-like pieces so tokens != words, as with BERT."""
    if len(word) <= 6:
        return [word]
    return [word[:4]] + ["##" + word[i:i + 4] for i in range(4, len(word), 4)]


def _softmax_row(values: list[float]) -> list[float]:
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


def _sample(index: int, row: int, spam: bool, prediction: int, rng: random.Random, hostile: bool,
            texts: Sequence[str] | None = None) -> dict[str, Any]:
    texts = texts or (_SPAM_TEXTS if spam else _HAM_TEXTS)
    text = texts[index % len(texts)]
    if hostile:
        text = f"{HOSTILE_STRINGS[index % len(HOSTILE_STRINGS)]} {text} " + " ".join(HOSTILE_STRINGS)
    pic = f"{row:05d}.png" if not hostile else f"{HOSTILE_STRINGS[(index + 1) % len(HOSTILE_STRINGS)]}.png"

    # Word-level split (whitespace) -> WordPiece-like tokens with [CLS]/[SEP].
    # Punctuation is its own word, as BERT's pre-tokeniser and merge_wordpieces produce; attack
    # strings stay whole words so every rendered word list carries them intact.
    raw_words = []
    for chunk in re.split("(" + "|".join(re.escape(h) for h in HOSTILE_STRINGS) + ")", text):
        raw_words.extend([chunk] if chunk in HOSTILE_STRINGS else re.findall(r"\w+|[^\w\s]+", chunk))
    tokens = ["[CLS]"]
    words: list[dict[str, Any]] = []
    token_scores = [0.0]
    sign = 1.0 if prediction == 1 else -1.0  # attributions explain what the model decided
    lowered = {w.lower() for w in (_SPAM_WORDS + _HAM_WORDS)}
    for word in raw_words:
        pieces = _wordpieces(word)
        strength = 0.9 if word.lower().strip("!.,?") in lowered else 0.25
        word_score = sign * strength * rng.uniform(0.2, 1.0) + rng.gauss(0, 0.08)
        ids = list(range(len(tokens), len(tokens) + len(pieces)))
        shares = [rng.uniform(0.5, 1.5) for _ in pieces]
        total = sum(shares)
        for piece, share in zip(pieces, shares):
            tokens.append(piece)
            token_scores.append(round(word_score * share / total, 6))
        words.append({"text": word, "score": round(sum(token_scores[i] for i in ids), 6), "tokens": ids})
    tokens.append("[SEP]")
    token_scores.append(0.0)
    n_tok = len(tokens)

    # Image attributions: a blob where the banner/ellipse is, signed toward the true class.
    image_scores = []
    for i in range(GRID):
        row_scores = []
        for j in range(GRID):
            blob = math.exp(-((i - 3) ** 2 + (j - 9) ** 2) / 10.0) + 0.6 * math.exp(-((i - 10) ** 2 + (j - 10) ** 2) / 6.0)
            row_scores.append(round(sign * 0.03 * blob + rng.gauss(0, 0.004), 6))
        image_scores.append(row_scores)

    text_sum = sum(token_scores)
    image_sum = sum(sum(r) for r in image_scores)
    f_baseline = round(rng.uniform(-0.6, 0.6), 6)
    # One sample (index 1) gets an IG gap above 5 % so the report shows the warning.
    relative = 0.12 if index == 1 else rng.uniform(0.001, 0.03)
    delta = round(relative * abs(text_sum + image_sum) * (1 if index % 2 else -1), 6)
    f_input = round(f_baseline + text_sum + image_sum + delta, 6)
    steps = 50
    alphas = [round(k / 20, 4) for k in range(21)]
    path_f = [round(f_baseline + (f_input - f_baseline) * (a ** 2 * (3 - 2 * a)), 6) for a in alphas]

    # Attention: head-mean [CLS] rows per layer, rollout, a selected layer/head matrix.
    cls_rows = [_softmax_row([rng.gauss(0, 1.0) + (2.0 if t in (0, n_tok - 1) else 0.0) for t in range(n_tok)])
                for _ in range(N_LAYERS)]
    rollout = _softmax_row([abs(s) * 4 + rng.gauss(0, 0.3) for s in token_scores])
    matrix = [_softmax_row([rng.gauss(0, 1.0) + (1.5 if abs(a - b) <= 1 else 0.0) for b in range(n_tok)])
              for a in range(n_tok)]
    cls_to_patches = [[round(0.002 + abs(v) * 0.2, 6) for v in r] for r in image_scores]
    image_rollout = [[round(0.004 + abs(v) * 0.15 + rng.uniform(0, 0.002), 6) for v in r] for r in image_scores]
    fusion_text = round(rng.uniform(0.35, 0.8), 6)

    # Modality: Shapley (the basis of every claim) and the IG split, by the rules of reportgen.claims.
    f_none = f_baseline
    phi_text = round(text_sum * rng.uniform(0.85, 1.1), 6)
    phi_image = round(f_input - f_none - phi_text, 6)
    f_text_only = round(f_none + phi_text + rng.uniform(-0.05, 0.05), 6)
    f_image_only = round(f_input + f_none - f_text_only, 6)
    logit_spam = round(f_input / 2, 6)
    logit_ham = round(-f_input / 2, 6)
    p_spam = 1.0 / (1.0 + math.exp(-f_input))
    label = 1 if spam else 0
    outcome = {(1, 1): "TP", (0, 1): "FP", (0, 0): "TN", (1, 0): "FN"}[(label, prediction)]
    reason = f"random {'spam' if spam else 'ham'} sample (seed 0)"
    if hostile:
        reason = f"{reason} {HOSTILE_STRINGS[index % len(HOSTILE_STRINGS)]}"
    return {
        "row": row,
        "label": label,
        "prediction": prediction,
        "outcome": outcome,
        "reason": reason,
        "probabilities": {"ham": round(1 - p_spam, 6), "spam": round(p_spam, 6)},
        "logits": {"ham": logit_ham, "spam": logit_spam},
        "text": text,
        "pic": pic,
        "picture": _picture_data_uri(text, spam, seed=row),
        "tokens": tokens,
        "token_scores": token_scores,
        "words": words,
        "image_scores": image_scores,
        "integrated_gradients": {
            "n_steps": steps,
            "method": "gausslegendre",
            "f_input": f_input,
            "f_baseline": f_baseline,
            "delta": delta,
            "relative_delta": round(abs(delta) / max(abs(f_input - f_baseline), 1e-12), 6),
            "flagged": abs(delta) > 0.05 * abs(f_input - f_baseline),
            "path": {"alphas": alphas, "f": path_f},
        },
        "attention": {
            "text": {
                "cls_rows": [[round(v, 6) for v in r] for r in cls_rows],
                "rollout": [round(v, 6) for v in rollout],
                "selected": {"layer": N_LAYERS - 1, "head": "mean", "matrix": [[round(v, 6) for v in r] for r in matrix]},
            },
            "image": {"cls_to_patches": cls_to_patches, "rollout": image_rollout},
            "fusion": {"text": fusion_text, "image": round(1 - fusion_text, 6)},
        },
        "modality": _modality(
            {"text": round(text_sum, 6), "image": round(image_sum, 6)},
            {"text": phi_text, "image": phi_image, "f_full": f_input, "f_none": f_none, "f_text_only": f_text_only,
             "f_image_only": f_image_only}, prediction, flagged=abs(delta) > 0.05 * abs(f_input - f_baseline)),
    }


def _modality(ig: dict[str, float], shapley: dict[str, float], prediction: int, flagged: bool) -> dict[str, Any]:
    """The sample's ``modality`` block as reportgen.explain.modality writes it (without torch)."""
    from reportgen.claims import decision_text_share, leading_from_share

    def claims(split: dict[str, float]) -> dict[str, Any]:
        share = decision_text_share(split["text"], split["image"], shapley["f_full"], shapley["f_none"], prediction)
        return {"text_share": share, "leading": leading_from_share(share)}

    shap = {**shapley, **claims(shapley)}
    ig_split = {**ig, **claims(ig)}
    return {"shapley": shap, "ig": ig_split, "leading": shap["leading"],
            "decided_by_default": shap["text_share"] is None,
            "agreement": {"rule": "same leading source", "compared": not flagged,
                          "agree": None if flagged else ig_split["leading"] == shap["leading"]}}


def _metrics(predictions: list[dict[str, Any]]) -> dict[str, Any]:
    labels = [p["label"] for p in predictions]
    preds = [p["prediction"] for p in predictions]
    scores = [p["prob_spam"] for p in predictions]
    tp = sum(1 for y, p in zip(labels, preds) if y == 1 and p == 1)
    tn = sum(1 for y, p in zip(labels, preds) if y == 0 and p == 0)
    fp = sum(1 for y, p in zip(labels, preds) if y == 0 and p == 1)
    fn = sum(1 for y, p in zip(labels, preds) if y == 1 and p == 0)
    n = len(labels)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # ROC by sweeping thresholds over the sorted scores.
    order = sorted(range(n), key=lambda i: -scores[i])
    n_pos = sum(labels)
    n_neg = n - n_pos
    fpr, tpr, tp_c, fp_c = [0.0], [0.0], 0, 0
    for i in order:
        if labels[i] == 1:
            tp_c += 1
        else:
            fp_c += 1
        fpr.append(round(fp_c / n_neg, 6))
        tpr.append(round(tp_c / n_pos, 6))
    auc = sum((fpr[k + 1] - fpr[k]) * (tpr[k + 1] + tpr[k]) / 2 for k in range(len(fpr) - 1))
    return {
        "n": n, "accuracy": round((tp + tn) / n, 6), "precision": round(precision, 6),
        "recall": round(recall, 6), "f1": round(f1, 6), "roc_auc": round(auc, 6),
        "confusion_matrix": [[tn, fp], [fn, tp]], "roc_curve": {"fpr": fpr, "tpr": tpr},
    }


def make_results(n_samples: int = 6, *, hostile: bool = False, n_predictions: int = 40,
                 evil_host: str = "evil.invalid", texts: Sequence[str] | None = None) -> dict[str, Any]:
    """Build a schema-valid results dict.

    Args:
        n_samples: explained samples (alternating spam / ham; the fourth is misclassified).
        hostile: put attacker content (``HOSTILE_STRINGS``) into texts, words, picture names,
            reasons, top words and dataset paths.
        n_predictions: rows with predictions (raised to 2 * n_samples when smaller).
        evil_host: host the hostile URLs point at (e.g. ``127.0.0.1:PORT`` of a recording server).
        texts: e-mail texts of the explained samples, in order (cycled); default: the built-in
            multilingual spam and ham texts.

    Returns:
        A plain-JSON dict that passes ``reportgen.results.io.validate_results``.
    """
    rng = random.Random(1234)
    n_predictions = max(n_predictions, 2 * n_samples)  # sample i sits on row 2i or 2i + 1
    predictions = []
    for row in range(n_predictions):
        label = 1 if row % 2 == 0 else 0
        p_spam = rng.betavariate(6, 1.5) if label == 1 else rng.betavariate(1.5, 6)
        if row in (3, 10, 17):  # a few errors so the confusion matrix and ROC are not trivial
            p_spam = 1 - p_spam
        p_spam = min(max(p_spam, 1e-4), 1 - 1e-4)
        log_odds = math.log(p_spam / (1 - p_spam))
        f_none = round(rng.uniform(-2.5, 0.5), 6)
        text_part = round((log_odds - f_none) * rng.uniform(-0.2, 1.2), 6)
        predictions.append({
            "row": row, "label": label, "prediction": int(p_spam >= 0.5),
            "prob_ham": round(1 - p_spam, 6), "prob_spam": round(p_spam, 6),
            "logit_ham": round(-log_odds / 2, 6), "logit_spam": round(log_odds / 2, 6),
            "language": ("en", "es", "ru", "de", "zh", "fr")[row % 6],
            "shapley": {"text": text_part, "image": 0.0, "f_none": f_none, "f_full": 0.0},
        })
    samples = []
    for index in range(n_samples):
        spam = index % 2 == 0
        row = 2 * index if spam else 2 * index + 1
        prediction = (1 if spam else 0) if index != 3 else 1  # index 3: a ham predicted spam (FP)
        sample = _sample(index, row, spam, prediction, rng, hostile, texts)
        # Keep the prediction row consistent with the explained sample.
        predictions[row].update({
            "label": sample["label"], "prediction": sample["prediction"],
            "prob_ham": sample["probabilities"]["ham"], "prob_spam": sample["probabilities"]["spam"],
            "logit_ham": sample["logits"]["ham"], "logit_spam": sample["logits"]["spam"],
        })
        # The synthetic f_input decides the probability; make it agree with the chosen prediction.
        if (sample["probabilities"]["spam"] >= 0.5) != bool(prediction):
            p = sample["probabilities"]
            p["ham"], p["spam"] = p["spam"], p["ham"]
            lg = sample["logits"]
            lg["ham"], lg["spam"] = lg["spam"], lg["ham"]
            predictions[row].update({"prob_ham": p["ham"], "prob_spam": p["spam"],
                                     "logit_ham": lg["ham"], "logit_spam": lg["spam"]})
        samples.append(sample)
        split = sample["modality"]["shapley"]
        predictions[row]["shapley"] = {"text": split["text"], "image": split["image"], "f_none": split["f_none"],
                                       "f_full": 0.0}
        sample["language"] = predictions[row]["language"]
    for prediction in predictions:
        # f_full is the logits' difference exactly, and the image part the remainder (efficiency).
        split = prediction["shapley"]
        split["f_full"] = prediction["logit_spam"] - prediction["logit_ham"]
        split["image"] = split["f_full"] - split["f_none"] - split["text"]
        prediction.update(prediction_claims(prediction))

    skipped = [{"row": 41, "pic": "00041.png", "reason": "picture file not found"}]
    if hostile:
        skipped.append({"row": 42, "pic": HOSTILE_STRINGS[1], "reason": f"unreadable picture {HOSTILE_STRINGS[2]}"})
    # The real aggregation code (pure, no torch), so the fixture's aggregate matches what analyze writes.
    aggregate = aggregate_block(predictions, samples, top_k=10, min_count=1, skipped=skipped)
    if hostile:
        for cls in ("spam", "ham"):
            aggregate["top_words"][cls].insert(0, {"word": HOSTILE_STRINGS[0], "kind": "word", "count": 3,
                                                   "n_seen": 3, "mean_score": 0.9 if cls == "spam" else -0.9})

    csv = "data/EDP.csv" if not hostile else f"data/{HOSTILE_STRINGS[3]}.csv"
    results = {
        "schema_version": "2.0",
        "generator": {
            "name": "reportgen", "version": "0.1.0",
            "command": f"reportgen run --checkpoint ckpt/checkpoint-939 --data {csv} --images data/pics --samples 3:3 --out out",
            "created": None,
            "options": {"samples": "3:3", "ig_steps": 50, "ig_method": "gausslegendre", "image_baseline": "white",
                        "attention_layer": -1, "attention_head": None, "top_k": 10, "min_count": 2},
            "packages": {"python": "3.11.9", "torch": "2.13.0", "transformers": "5.24.0", "captum": "0.9.0",
                         "reportgen": "0.1.0"},
            "seed": 0, "device": "cpu",
            "timings": {"load": 3.2, "predict": 12.5, "explain": 95.1, "total": 111.0},
        },
        "model": {
            "path": "ckpt/checkpoint-939", "sha256": "9f2c" + "0" * 56 + "beef", "format": "bin",
            "parameters": 269_000_000,
            "architecture": {"text": {"model_type": "bert", "hidden_size": 768, "num_hidden_layers": 12},
                             "image": {"model_type": "beit", "image_size": 224, "patch_size": 16},
                             "fusion_heads": 8},
            "class_names": ["ham", "spam"],
            "tokenizer": "bert-base-multilingual-cased", "image_processor": "DiT-equivalent BeitImageProcessor (224)",
        },
        "dataset": {
            "csv": csv, "images": "data/pics",
            "columns": {"text": "texts", "pic": "pics", "label": "labels"},
            "n_rows": n_predictions + len(skipped), "selection": "fold:1/5", "n_selected": n_predictions,
            "skipped": skipped,
        },
        "methods": {
            "explained_quantity": "spam log-odds: logit_spam - logit_ham (positive = toward spam)",
            "integrated_gradients": {"layers": ["word embeddings", "image patch embeddings"], "n_steps": 50,
                                     "method": "gausslegendre", "text_baseline": "[CLS] [PAD]... [SEP]",
                                     "image_baseline": "white", "relative_delta_limit": 0.05},
            "attention": {"layer": -1, "head": "mean", "implementation": "eager attention for the explanation pass"},
            **{k: v for k, v in methods_description(top_k=10, min_count=2).items()},
            "sample_selection": {"mode": "samples", "spec": "3:3", "seed": 0},
        },
        "predictions": predictions,
        "metrics": _metrics(predictions),
        "aggregate": aggregate,
        "samples": samples,
    }
    if evil_host != "evil.invalid":
        import json

        results = json.loads(json.dumps(results).replace("evil.invalid", evil_host))
    return results
