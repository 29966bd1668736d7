"""One benchmark case per invocation, so each measures its own peak memory.

``python -m benchmarks.cases CASE [--device cpu|cuda] [--quick]`` prints one JSON object on the
last line of stdout. :mod:`benchmarks.run` starts every case in a fresh interpreter: peak RSS
(``ru_maxrss``) is per process, so sharing one would report the maximum of all cases.

All model cases use a **full-size** random-weight MMTD (bert-base-multilingual-cased + dit-base
shapes, ~270 M parameters) built from :func:`reportgen.mmtd.model.mmtd_base_config`, whose state dict is
checked against the published 431-entry layout, 256 tokens and 224 px pictures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
LAYOUT = ROOT / "tests" / "data" / "checkpoint_layout.json"
MAX_LENGTH = 256
IMAGE_SIZE = 224


# -- helpers ------------------------------------------------------------------------------------
def peak_rss_gb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def timed(fn: Callable[[], Any], device: str, repeat: int = 1) -> float:
    """Median wall seconds of ``repeat`` calls of ``fn`` (after the caller's warm-up)."""
    times = []
    for _ in range(repeat):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def full_size_model(device: str, attention: str = "sdpa"):
    """A full-size MMTD with random weights, checked against the shared checkpoint layout."""
    import torch

    from reportgen.mmtd.model import MMTD, mmtd_base_config

    torch.manual_seed(0)
    model = MMTD(mmtd_base_config()).eval()
    if LAYOUT.exists():
        from reportgen.mmtd.checkpoint import original_state_dict

        layout = json.loads(LAYOUT.read_text())["layout"]
        ours = {k: list(v.shape) for k, v in original_state_dict(model).items()}
        expected = {entry["key"]: list(entry["shape"]) for entry in layout}
        if ours != expected:
            missing = sorted(set(expected) ^ set(ours))[:5]
            raise SystemExit(f"full-size model does not match the shared layout: {missing}")
    model.set_attention_implementation(attention)
    return model.to(device)


def synthetic_batch(batch_size: int, device: str, seed: int = 0) -> dict:
    """A batch shaped like MMTD's training inputs: 256 tokens (mostly real text), 224 px pictures."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(1000, 30000, (batch_size, MAX_LENGTH), generator=generator)
    input_ids[:, 0] = 101  # [CLS]
    input_ids[:, 200] = 102  # [SEP]
    input_ids[:, 201:] = 0  # [PAD]
    attention_mask = (input_ids != 0).long()
    pixel_values = torch.rand(batch_size, 3, IMAGE_SIZE, IMAGE_SIZE, generator=generator) * 2 - 1
    batch = {
        "input_ids": input_ids,
        "token_type_ids": torch.zeros_like(input_ids),
        "attention_mask": attention_mask,
        "pixel_values": pixel_values,
    }
    return {k: v.to(device) for k, v in batch.items()}


SPECIAL_IDS = {"cls": 101, "sep": 102, "pad": 0}


# -- cases -------------------------------------------------------------------------------------
def case_forward(device: str, quick: bool) -> dict:
    """Forward throughput (samples/s) at batch sizes 1/8/32, SDPA vs eager attention."""
    import torch

    sizes = [1, 8] if quick else [1, 8, 32]
    model = full_size_model(device)
    out: dict[str, Any] = {}
    for attention in ("sdpa", "eager"):
        model.set_attention_implementation(attention)
        for batch_size in sizes:
            batch = synthetic_batch(batch_size, device)
            with torch.inference_mode():
                model(**batch)  # warm-up
                seconds = timed(lambda: model(**batch), device, repeat=3 if batch_size < 32 else 1)
            out[f"{attention}_bs{batch_size}"] = {"seconds": seconds, "samples_per_s": batch_size / seconds}
    return out


def case_predict(device: str, quick: bool) -> dict:
    """``reportgen.analysis.predict.predict`` on a synthetic EDP folder vs the raw forward at the same batch size."""
    import torch
    from PIL import Image

    from reportgen.mmtd.edp import load_edp
    from reportgen.analysis.predict import predict

    n, batch_size = (16, 8) if quick else (64, 16)
    model = full_size_model(device)
    tokenizer_dir = Path(tempfile.mkdtemp()) / "tok"
    preprocessor = _full_size_preprocessor(tokenizer_dir)
    folder = Path(tempfile.mkdtemp())
    (folder / "pics").mkdir()
    rows = []
    words = ["invoice", "meeting", "free", "money", "hello", "report", "winner", "click"] * 40
    for i in range(n):
        Image.new("RGB", (600, 800), (255, 255, 255)).save(folder / "pics" / f"{i}.png")
        rows.append({"texts": " ".join(words[i % 7:][:220]), "pics": f"{i}.png", "labels": i % 2})
    import pandas as pd

    pd.DataFrame(rows).to_csv(folder / "EDP.csv", index=False)
    dataset = load_edp(folder / "EDP.csv", folder / "pics")
    predict(model, preprocessor, load_edp(folder / "EDP.csv", folder / "pics", rows=[0]), batch_size=1,
            device=device, progress=False)  # warm-up
    predict_s = timed(lambda: predict(model, preprocessor, dataset, batch_size=batch_size, device=device,
                                      progress=False), device)
    batch = synthetic_batch(batch_size, device)
    with torch.inference_mode():
        model(**batch)
        forward_s = timed(lambda: model(**batch), device, repeat=3) * (n / batch_size)
    return {
        "rows": n, "batch_size": batch_size,
        "predict_samples_per_s": n / predict_s, "forward_samples_per_s": n / forward_s,
        "ratio": forward_s / predict_s,
    }


def _full_size_preprocessor(tokenizer_dir: Path):
    """A WordPiece tokenizer with a 30k vocabulary (no download) and the DiT-equivalent image processor."""
    from transformers import BertTokenizerFast

    from reportgen.mmtd.preprocessing import Preprocessor, load_preprocessor

    tokenizer_dir.mkdir(parents=True, exist_ok=True)
    specials = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = ["invoice", "meeting", "free", "money", "hello", "report", "winner", "click"]
    vocab = specials + words + [f"w{i}" for i in range(30000 - len(specials) - len(words))]
    (tokenizer_dir / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(tokenizer_dir / "vocab.txt"), do_lower_case=False).save_pretrained(tokenizer_dir)
    preprocessor = load_preprocessor(str(tokenizer_dir), None, IMAGE_SIZE, MAX_LENGTH)
    assert isinstance(preprocessor, Preprocessor)
    return preprocessor


def _forward_backward_floor(model, device: str, batch_size: int) -> float:
    """Seconds of one batched forward+backward of the spam log-odds w.r.t. the embeddings."""
    from reportgen.mmtd.model import spam_log_odds

    batch = synthetic_batch(batch_size, device)
    # Only input gradients, as IG needs: parameter gradients would inflate the floor.
    for parameter in model.parameters():
        parameter.requires_grad_(False)

    def step() -> None:
        embeds = model.text_encoder.bert.embeddings.word_embeddings(batch["input_ids"]).detach().requires_grad_()
        pixels = batch["pixel_values"].clone().requires_grad_()
        text = model.encode_text(None, batch["token_type_ids"], batch["attention_mask"], inputs_embeds=embeds)
        image = model.encode_image(pixels).hidden_states[-1]
        spam_log_odds(model.fuse(text.last_hidden_state, image)).sum().backward()

    step()  # warm-up
    return timed(step, device)


def _explain_options(**overrides):
    from reportgen.options import ExplainOptions

    return ExplainOptions(**overrides)


def _ig(model, device: str, **overrides) -> dict:
    from reportgen.explain.ig import integrated_gradients

    batch = synthetic_batch(1, device)
    return integrated_gradients(model, batch, SPECIAL_IDS, _explain_options(**overrides))


def case_ig_ours(device: str, quick: bool) -> dict:
    """reportgen's default input-level IG for one sample, against its floor.

    The floor is ``n_steps`` forward+backward passes at the internal batch size IG chose: what any
    IG must spend. The rest is Captum's bookkeeping and its f(input)/f(baseline) passes.
    """
    model = full_size_model(device)
    _ig(model, device, ig_steps=2)  # warm-up (allocator, Captum hooks)
    start = time.perf_counter()
    result = _ig(model, device)
    _sync(device)
    seconds = time.perf_counter() - start
    ig_peak = peak_rss_gb()  # before the floor's own passes
    batch_size = result["internal_batch_size"]
    floor = _forward_backward_floor(model, device, batch_size) * result["n_steps"] / batch_size
    return {
        "n_steps": result["n_steps"], "method": result["method"], "internal_batch_size": batch_size,
        "seconds": seconds, "floor_seconds": floor, "ratio_to_floor": seconds / floor,
        "relative_delta": result["relative_delta"], "ig_peak_rss_gb": ig_peak,
    }


def case_ig_seed_style(device: str, quick: bool) -> dict:
    """The replaced notebook's way: 50 Riemann steps in a single batch (no internal batching)."""
    model = full_size_model(device)
    start = time.perf_counter()
    result = _ig(model, device, ig_steps=50, ig_method="riemann_trapezoid", internal_batch_size=50)
    _sync(device)
    return {"n_steps": 50, "seconds": time.perf_counter() - start, "relative_delta": result["relative_delta"]}


def case_ig_convergence(device: str, quick: bool) -> dict:
    """Relative completeness gap by method and step count (same sample, same model)."""
    model = full_size_model(device)
    plan = {"gausslegendre": [4, 8, 16, 20] if not quick else [4, 8],
            "riemann_trapezoid": [8, 16, 32, 50] if not quick else [8, 16]}
    out: dict[str, Any] = {}
    for method, steps in plan.items():
        for n_steps in steps:
            start = time.perf_counter()
            result = _ig(model, device, ig_steps=n_steps, ig_method=method)
            _sync(device)
            out[f"{method}_{n_steps}"] = {"n_steps": n_steps, "seconds": time.perf_counter() - start,
                                          "relative_delta": result["relative_delta"]}
    return out


def case_fusion_ig(device: str, quick: bool) -> dict:
    """Fusion-level IG vs input-level IG: cost ratio and modality-share agreement.

    Two costs for the fusion level: the whole call (it runs both encoders on the input and on the
    baseline) and the aggregate mode, where the encoder states come from the prediction pass that
    ran anyway and the baseline's states are shared by every e-mail.
    """
    from benchmarks.fusion_ig import fusion_integrated_gradients
    from reportgen.explain.baselines import baseline_inputs, encoder_states, prepare_inputs

    options = _explain_options()
    model = full_size_model(device)
    batch = synthetic_batch(1, device)
    fusion_integrated_gradients(model, batch, SPECIAL_IDS, options)  # warm-up
    start = time.perf_counter()
    fusion = fusion_integrated_gradients(model, batch, SPECIAL_IDS, options)
    _sync(device)
    fusion_s = time.perf_counter() - start
    inputs = prepare_inputs(model, batch)
    input_states = encoder_states(model, inputs)
    baseline_states = encoder_states(model, baseline_inputs(inputs, SPECIAL_IDS, options))
    start = time.perf_counter()
    fusion_integrated_gradients(model, batch, SPECIAL_IDS, options, input_states=input_states,
                                baseline_states=baseline_states)
    _sync(device)
    given_states_s = time.perf_counter() - start
    start = time.perf_counter()
    full = _ig(model, device)
    _sync(device)
    input_s = time.perf_counter() - start
    total = abs(full["text_total"]) + abs(full["image_total"])
    input_share = abs(full["text_total"]) / total if total > 0 else None
    return {
        "fusion_seconds": fusion_s, "fusion_seconds_given_states": given_states_s, "input_seconds": input_s,
        "cost_ratio_whole_call": input_s / fusion_s, "cost_ratio": input_s / given_states_s,
        "fusion_text_share": fusion["text_share"], "input_text_share": input_share,
    }


def case_render(device: str, quick: bool) -> dict:
    """HTML and PDF render time from a synthetic results.json of 6 and 100 samples.

    Run as ``python -m benchmarks.cases`` (a guarded main), so the report may draw figures in
    worker processes as it does under ``reportgen render``.
    """
    sys.path.insert(0, str(ROOT))
    from reportgen.report.render import render_report
    from tests.results_fixture import make_results

    out: dict[str, Any] = {}
    for n in ([6] if quick else [6, 100]):
        results = make_results(n_samples=n)
        # html, pdf alone, and both in one call (what `render`/`run` do: figures drawn once).
        for formats in (("html",), ("pdf",), ("html", "pdf")):
            folder = Path(tempfile.mkdtemp())
            start = time.perf_counter()
            render_report(results, folder, formats=formats, deterministic=True)
            out[f"{'_'.join(formats)}_{n}"] = {"seconds": time.perf_counter() - start}
    return out


def _demo_results() -> dict:
    """The demo's own results.json: its corpus, its shipped model, 15 explained e-mails with every chart.

    Real pictures (384 px e-mail renderings), 64-token texts, occlusion and deletion curves: what a
    report of a trained model carries per e-mail, unlike the small synthetic fixture.
    """
    import os
    import subprocess

    folder = Path(tempfile.mkdtemp())
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-m", "reportgen", "demo", "--out", str(folder), "--format", "json",
                           "--deterministic", "--no-progress"], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"demo failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


def demo_like_results(results: dict, n: int) -> dict:
    """``results`` with ``n`` explained e-mails: the demo's, then scaled copies with marked pictures.

    Copies differ from their original (scores × 1.01, 1.02, …; "copy k" written on the picture), so
    no two figures or pictures are byte-identical: WeasyPrint decodes a repeated image only once,
    which would make a report of copies faster than a real one.
    """
    import base64
    import copy
    import io

    from PIL import Image, ImageDraw

    def scaled(value: Any, factor: float) -> Any:
        if isinstance(value, float):
            return value * factor
        return [scaled(v, factor) for v in value] if isinstance(value, list) else value

    originals = results["samples"]
    samples = []
    for i in range(n):
        sample = copy.deepcopy(originals[i % len(originals)])
        k = i // len(originals)
        if k:
            factor = 1 + 0.01 * k
            sample["image_scores"] = scaled(sample["image_scores"], factor)
            sample["token_scores"] = scaled(sample["token_scores"], factor)
            for word in sample["words"]:
                word["score"] *= factor
            text_attention = sample["attention"]["text"]
            text_attention["selected"]["matrix"] = scaled(text_attention["selected"]["matrix"], factor)
            sample["attention"]["image"]["rollout"] = scaled(sample["attention"]["image"]["rollout"], factor)
            if sample.get("occlusion"):
                sample["occlusion"]["image_scores"] = scaled(sample["occlusion"]["image_scores"], factor)
            with Image.open(io.BytesIO(base64.b64decode(sample["picture"].split(",", 1)[1]))) as picture:
                picture = picture.convert("RGB")
            ImageDraw.Draw(picture).text((2, picture.height - 12), f"copy {k}", fill=(0, 0, 0))
            buffer = io.BytesIO()
            picture.save(buffer, format="PNG", optimize=True)
            sample["picture"] = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
        samples.append(sample)
    return {**results, "samples": samples}


def case_report_size(device: str, quick: bool) -> dict:
    """HTML bytes per explained e-mail on the demo's report (15 e-mails with every per-card chart).

    Two measures: the whole page divided by the e-mails (includes the fixed aggregate charts, so it
    falls as e-mails are added) and the bytes one more explained e-mail adds (the marginal cost, what
    a 100-e-mail report pays per e-mail), from the page with the first 3 and with all 15 e-mails.
    """
    from reportgen.report.build import build_document
    from reportgen.report.render import render_html

    results = _demo_results()
    n = len(results["samples"])
    sizes = {}
    for k in (3, n):
        document = build_document({**results, "samples": results["samples"][:k]}, keep_figures=False)
        sizes[k] = len(render_html(document).encode("utf-8"))
    return {"samples": n, "html_bytes": sizes[n], "html_bytes_3": sizes[3], "bytes_per_sample": sizes[n] / n,
            "marginal_bytes_per_sample": (sizes[n] - sizes[3]) / (n - 3)}


def case_render_demo(device: str, quick: bool) -> dict:
    """HTML+PDF render of 100 demo-like explained e-mails in one call (what `render`/`run` do)."""
    from reportgen.report.render import render_report

    n = 20 if quick else 100
    results = demo_like_results(_demo_results(), n)
    folder = Path(tempfile.mkdtemp())
    start = time.perf_counter()
    written = render_report(results, folder, formats=("html", "pdf"), deterministic=True)
    seconds = time.perf_counter() - start
    return {"samples": n, "seconds": seconds, "html_bytes": written["html"].stat().st_size,
            "pdf_bytes": written["pdf"].stat().st_size}


def case_demo_cold(device: str, quick: bool) -> dict:
    """Cold ``reportgen demo`` (empty cache dirs) as a user runs it."""
    import os
    import subprocess

    folder = Path(tempfile.mkdtemp())
    env = dict(os.environ, XDG_CACHE_HOME=str(folder / "cache"), HF_HUB_OFFLINE="1")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "reportgen", "demo", "--out", str(folder / "demo")],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"demo failed: {proc.stderr.strip().splitlines()[-1:]}")
    return {"seconds": seconds}


def _varied_length_edp(n: int, lengths: list[int]) -> tuple[Path, Path]:
    """A synthetic EDP folder whose texts cycle through ``lengths`` words (real e-mails differ in length)."""
    import pandas as pd
    from PIL import Image

    folder = Path(tempfile.mkdtemp())
    (folder / "pics").mkdir()
    words = ["invoice", "meeting", "free", "money", "hello", "report", "winner", "click"] * 40
    rows = []
    for i in range(n):
        Image.new("RGB", (600, 800), (255, 255, 255)).save(folder / "pics" / f"{i}.png")
        rows.append({"texts": " ".join(words[i % 7:][: lengths[i % len(lengths)]]), "pics": f"{i}.png",
                     "labels": i % 2})
    pd.DataFrame(rows).to_csv(folder / "EDP.csv", index=False)
    return folder / "EDP.csv", folder / "pics"


def case_whole_set_shapley(device: str, quick: bool) -> dict:
    """``predict`` with the whole-set Shapley split vs ``predict`` alone, same rows, same batches.

    The texts cycle through 8 lengths, so the text-baseline cache (one entry per length) is cold
    for the first batches and warm after: the ratio over 64 rows includes its filling. A real fold
    (6,119 e-mails, at most 255 lengths) amortises it further.
    """
    from reportgen.analysis.predict import predict
    from reportgen.mmtd.edp import load_edp
    from reportgen.options import ExplainOptions

    n, batch_size = (16, 8) if quick else (64, 16)
    model = full_size_model(device)
    preprocessor = _full_size_preprocessor(Path(tempfile.mkdtemp()) / "tok")
    csv, pics = _varied_length_edp(n, [30, 60, 90, 120, 150, 180, 220, 254])
    dataset = load_edp(csv, pics)
    options = ExplainOptions()
    warm = load_edp(csv, pics, rows=[0])
    predict(model, preprocessor, warm, batch_size=1, device=device, progress=False)  # warm-up
    predict(model, preprocessor, warm, batch_size=1, device=device, progress=False, shapley=options)
    plain_s = timed(lambda: predict(model, preprocessor, dataset, batch_size=batch_size, device=device,
                                    progress=False), device)
    frame = None

    def with_shapley() -> None:
        nonlocal frame
        frame = predict(model, preprocessor, dataset, batch_size=batch_size, device=device, progress=False,
                        shapley=options)

    shapley_s = timed(with_shapley, device)
    efficiency = float((frame["shapley_text"] + frame["shapley_image"] - (frame["f_full"] - frame["f_none"]))
                       .abs().max())
    return {
        "rows": n, "batch_size": batch_size, "distinct_lengths": 8,
        "predict_samples_per_s": n / plain_s, "predict_shapley_samples_per_s": n / shapley_s,
        "ratio": plain_s / shapley_s, "max_efficiency_error": efficiency,
    }


def _demo_world(device: str, quick: bool) -> tuple[Any, Any, Any, list[int], dict[int, int]]:
    """The shipped demo model, its preprocessor and held-out corpus (in a temporary folder), and the rows
    ``reportgen demo`` explains: ``(loaded, preprocessor, dataset, rows, index_of_row)``."""
    from reportgen.demo.corpus import write_demo_corpus
    from reportgen.demo.pipeline import ASSETS, choose_rows, demo_assets
    from reportgen.mmtd.checkpoint import load_mmtd
    from reportgen.mmtd.edp import load_edp
    from reportgen.mmtd.preprocessing import load_preprocessor

    assets = demo_assets(ASSETS)
    folder = Path(tempfile.mkdtemp())
    csv = write_demo_corpus(folder, n=assets.corpus_size, seed=assets.corpus_seed)
    loaded = load_mmtd(assets.checkpoint, device=device)
    preprocessor = load_preprocessor(str(assets.tokenizer), None, int(loaded.info.config.image.image_size),
                                     assets.max_length)
    dataset = load_edp(csv, folder / "pics")
    rows = choose_rows(dataset.frame, 1 if quick else 3)
    return loaded, preprocessor, dataset, rows, {row: i for i, row in enumerate(dataset.rows)}


def case_ig_adaptive_demo(device: str, quick: bool) -> dict:
    """Adaptive IG (16 doubling to 256) vs fixed 16 and fixed 128 steps on the shipped demo model.

    The demo's explained rows (``choose_rows``) of its held-out corpus: seconds per e-mail, steps
    used, and completeness gaps. A trained model, unlike the random-weight cases above.
    """
    import torch

    from reportgen.explain.ig import integrated_gradients

    torch.set_num_threads(1)  # as `reportgen demo` runs it
    loaded, preprocessor, dataset, rows, index_of = _demo_world(device, quick)
    plans = {"fixed_16": dict(ig_steps=16, ig_max_steps=16), "fixed_128": dict(ig_steps=128, ig_max_steps=128),
             "adaptive_16_256": dict(ig_steps=16, ig_max_steps=256)}
    out: dict[str, Any] = {"rows": len(rows)}
    for name, plan in plans.items():
        seconds, steps, gaps, unconverged = 0.0, [], [], 0
        for row in rows:
            i = index_of[row]
            encoded = preprocessor.encode([dataset.texts[i]], [dataset.load_image(i)])
            start = time.perf_counter()
            result = integrated_gradients(loaded.model, encoded, preprocessor.special_ids, _explain_options(**plan))
            _sync(device)
            seconds += time.perf_counter() - start
            steps.append(result["n_steps"])
            gaps.append(result["relative_delta"])
            unconverged += int(result["flagged"])
        out[name] = {"seconds_per_email": seconds / len(rows), "max_steps_used": max(steps),
                     "mean_steps_used": sum(steps) / len(steps), "max_relative_delta": max(gaps),
                     "unconverged": unconverged}
    return out


def case_faithfulness(device: str, quick: bool) -> dict:
    """Occlusion + deletion/insertion vs IG on the same full-size sample, and the randomisation check.

    One realistic sample: a rendered demo e-mail picture (white page, text, banner) and a 220-word
    text (254 tokens after truncation), as the pipeline builds it. Goals: occlusion plus the
    deletion/insertion checks ≤ 3× the IG cost of the same sample; the randomisation check on 2
    samples ≤ 2 minutes.
    """
    from reportgen.analysis.sanity import SanityItem, ig_explainer, randomisation_check
    from reportgen.demo.corpus import generate_email, render_email
    from reportgen.explain.registry import SampleContext
    from reportgen.explain.words import merge_wordpieces

    model = full_size_model(device)
    preprocessor = _full_size_preprocessor(Path(tempfile.mkdtemp()) / "tok")
    words = ["invoice", "meeting", "free", "money", "hello", "report", "winner", "click"]
    text = " ".join(words[i % 8] if i % 5 == 0 else f"w{(i * 7919) % 29000}" for i in range(220))
    picture = render_email(generate_email(3, seed=0))
    encoded = {k: v.to(device) for k, v in preprocessor.encode([text], [picture]).items()}
    options = _explain_options()
    warm = SampleContext(model, encoded, SPECIAL_IDS, _explain_options(ig_steps=2), text=text,
                         preprocessor=preprocessor)
    _timed_methods(warm, ("integrated_gradients",), device)  # warm-up (allocator, Captum hooks)
    context = SampleContext(model, encoded, SPECIAL_IDS, options, text=text, preprocessor=preprocessor)
    # Rows through each encoder per method: the cost in passes, which background load does not change.
    rows = {"text": 0, "image": 0}
    encode_text, encode_image = model.encode_text, model.encode_image

    def counted(modality, encode):
        def wrapper(*args, **kwargs):
            first = next(v for v in [*args, *kwargs.values()] if hasattr(v, "shape"))
            rows[modality] += int(first.shape[0])
            return encode(*args, **kwargs)
        return wrapper

    model.encode_text, model.encode_image = counted("text", encode_text), counted("image", encode_image)
    passes: dict[str, dict[str, int]] = {}
    seconds: dict[str, float] = {}
    load_before = os.getloadavg()
    # The attention pass runs in every report and leaves the encoder states the checks reuse.
    for name in ("attention", "integrated_gradients", "occlusion", "faithfulness"):
        rows.update(text=0, image=0)
        seconds.update(_timed_methods(context, (name,), device))
        passes[name] = dict(rows)
    load_after = os.getloadavg()
    del model.encode_text, model.encode_image
    faithfulness = context.results["faithfulness"]
    n_words = faithfulness["text"]["n_units"]
    n_patches = faithfulness["image"]["n_units"]
    checks = passes["occlusion"]["text"] + passes["occlusion"]["image"] + passes["faithfulness"]["text"] + \
        passes["faithfulness"]["image"]
    out: dict[str, Any] = {
        "n_words": n_words, "n_patches": n_patches, "n_blank_patches": faithfulness["image"]["n_blank"],
        "ig_steps": context.results["integrated_gradients"]["n_steps"],
        "ig_seconds": seconds["integrated_gradients"], "occlusion_seconds": seconds["occlusion"],
        "faithfulness_seconds": seconds["faithfulness"],
        "ratio_to_ig": (seconds["occlusion"] + seconds["faithfulness"]) / seconds["integrated_gradients"],
        "passes": passes, "one_encoder_passes_of_the_checks": checks,
        "load_average_1min_before_after": [round(load_before[0], 1), round(load_after[0], 1)],
        "text_check": faithfulness["text"]["check"]["passed"], "image_check": faithfulness["image"]["check"]["passed"],
    }
    if quick:
        return out
    n = int(encoded["attention_mask"][0].sum())
    tokens = preprocessor.tokenizer.convert_ids_to_tokens(encoded["input_ids"][0, :n].tolist())
    word_tokens = [w["tokens"] for w in merge_wordpieces(tokens, [0.0] * n)]
    other = dict(encoded, pixel_values=encoded["pixel_values"].flip(-1))  # a second sample
    items = [SanityItem(encoded, word_tokens), SanityItem(other, word_tokens)]
    start = time.perf_counter()
    sanity = randomisation_check(model, items, ig_explainer(SPECIAL_IDS, options))
    _sync(device)
    out["sanity_seconds_2_samples"] = time.perf_counter() - start
    out["sanity_passed"] = sanity["passed"]
    out["load_average_1min_after_sanity"] = round(os.getloadavg()[0], 1)
    return out


def _timed_methods(context, names: tuple[str, ...], device: str) -> dict[str, float]:
    """Run registered methods on ``context`` in order; wall seconds of each."""
    from reportgen.explain.registry import methods

    registry, seconds = methods(), {}
    for name in names:
        start = time.perf_counter()
        context.results.update(registry[name].explain(context))
        _sync(device)
        seconds[name] = time.perf_counter() - start
    return seconds


def case_gradient_shap(device: str, quick: bool) -> dict:
    """GradientSHAP (``--method gradient_shap``, default 32 samples) vs Integrated Gradients of the same e-mail.

    On the shipped demo model's explained rows (IG adaptive, as reports run it) and, unless ``--quick``,
    on the full-size random-weight model with the realistic sample of the ``faithfulness`` case. Also
    records GradientSHAP's agreement with IG and its sum gap (a Monte Carlo estimate).
    """
    import torch

    from reportgen.claims import ig_relative_delta
    from reportgen.demo.corpus import generate_email, render_email
    from reportgen.explain.registry import SampleContext

    options = _explain_options(methods=("gradient_shap",))
    names = ("integrated_gradients", "gradient_shap")

    def summary(context: SampleContext, seconds: dict[str, float]) -> dict[str, Any]:
        ig, shap = context.results["integrated_gradients"], context.results["gradient_shap"]
        return {"ig_steps": ig["n_steps"], "ig_seconds": seconds["integrated_gradients"],
                "gshap_seconds": seconds["gradient_shap"],
                "ratio_to_ig": seconds["gradient_shap"] / seconds["integrated_gradients"],
                "gshap_relative_gap": ig_relative_delta(shap["delta"], ig["f_input"], ig["f_baseline"]),
                "ig_relative_gap": ig["relative_delta"],
                "spearman": {k: (v or {}).get("spearman") for k, v in shap["agreement"].items()}}

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as `reportgen demo` runs it
    loaded, preprocessor, dataset, rows, index_of = _demo_world(device, quick)
    demo = []
    for row in rows:
        i = index_of[row]
        encoded = preprocessor.encode([dataset.texts[i]], [dataset.load_image(i)])
        context = SampleContext(loaded.model, encoded, preprocessor.special_ids, options, text=dataset.texts[i],
                                preprocessor=preprocessor)
        demo.append(summary(context, _timed_methods(context, names, device)))
    torch.set_num_threads(threads)
    out: dict[str, Any] = {
        "gshap_samples": options.gshap_samples,
        "demo": {"rows": len(rows), "ig_seconds_per_email": sum(d["ig_seconds"] for d in demo) / len(demo),
                 "gshap_seconds_per_email": sum(d["gshap_seconds"] for d in demo) / len(demo),
                 "ratio_to_ig": sum(d["gshap_seconds"] for d in demo) / sum(d["ig_seconds"] for d in demo),
                 "per_email": demo},
    }
    if quick:
        return out
    model = full_size_model(device)
    full = _full_size_preprocessor(Path(tempfile.mkdtemp()) / "tok")
    words = ["invoice", "meeting", "free", "money", "hello", "report", "winner", "click"]
    text = " ".join(words[i % 8] if i % 5 == 0 else f"w{(i * 7919) % 29000}" for i in range(220))
    encoded = {k: v.to(device) for k, v in full.encode([text], [render_email(generate_email(3, seed=0))]).items()}
    warm = SampleContext(model, encoded, SPECIAL_IDS, _explain_options(ig_steps=2, methods=("gradient_shap",),
                                                                       gshap_samples=2), text=text, preprocessor=full)
    _timed_methods(warm, names, device)  # warm-up (allocator, Captum hooks)
    context = SampleContext(model, encoded, SPECIAL_IDS, options, text=text, preprocessor=full)
    load_before = os.getloadavg()[0]
    out["full_size"] = summary(context, _timed_methods(context, names, device))
    out["full_size"]["load_average_1min_before_after"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
    return out


CASES: dict[str, Callable[[str, bool], dict]] = {
    "forward": case_forward,
    "predict": case_predict,
    "ig_ours": case_ig_ours,
    "ig_seed_style": case_ig_seed_style,
    "ig_convergence": case_ig_convergence,
    "fusion_ig": case_fusion_ig,
    "whole_set_shapley": case_whole_set_shapley,
    "ig_adaptive_demo": case_ig_adaptive_demo,
    "render": case_render,
    "report_size": case_report_size,
    "render_demo": case_render_demo,
    "demo_cold": case_demo_cold,
    "faithfulness": case_faithfulness,
    "gradient_shap": case_gradient_shap,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    import os

    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    result = CASES[args.case](args.device, args.quick)
    result["case_wall_seconds"] = time.perf_counter() - start
    # The shared 2-core machine runs other sessions' jobs: timings under load are pessimistic.
    result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    result["peak_rss_gb"] = peak_rss_gb()
    if args.device == "cuda":
        import torch

        result["peak_cuda_gb"] = torch.cuda.max_memory_allocated() / 1024**3
    print(json.dumps(result))


if __name__ == "__main__":
    main()
