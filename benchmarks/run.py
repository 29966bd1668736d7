"""Measure reportgen's cost on a full-size MMTD and record it.

Usage::

    python -m benchmarks.run [--device cpu|cuda] [--quick] [--only CASE ...]

Each case runs in its own interpreter (peak RSS is per process). Results go to
``benchmarks/results-<device>.json`` and the human-readable ``benchmarks/RESULTS.md`` section for
that device. Goals live here, measured — never in timed tests.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.cases import CASES

HERE = Path(__file__).resolve().parent


def machine_description(device: str) -> dict[str, Any]:
    import torch
    import transformers

    info = {
        "date": _dt.date.today().isoformat(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": device,
    }
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def run_case(name: str, device: str, quick: bool) -> dict[str, Any]:
    """Run one case in a fresh interpreter; a failure is recorded, not hidden."""
    command = [sys.executable, "-m", "benchmarks.cases", name, "--device", device] + (["--quick"] if quick else [])
    print(f"[bench] {name} …", file=sys.stderr, flush=True)
    proc = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        print(f"[bench] {name} FAILED: {tail[0]}", file=sys.stderr)
        return {"error": tail[0], "exit_code": proc.returncode}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"[bench] {name}: {json.dumps(result)}", file=sys.stderr)
    return result


def _fmt(value: Any, digits: int = 2) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return "—" if value is None else str(value)


def goals(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(goal, target, measured, verdict) rows; a missing measurement says so."""
    rows = []

    def add(goal: str, target: str, measured: float | None, ok: bool | None, unit: str = "") -> None:
        text = "not measured" if measured is None else f"{_fmt(measured)}{unit}"
        verdict = "—" if ok is None else ("met" if ok else "MISSED")
        rows.append((goal, target, text, verdict))

    ig = results.get("ig_ours", {})
    ratio = ig.get("ratio_to_floor")
    add("IG time vs its floor", "≤ 1.15×", ratio, None if ratio is None else ratio <= 1.15, "×")
    rss = ig.get("ig_peak_rss_gb")
    add("IG peak RSS (one sample)", "≤ 6 GB", rss, None if rss is None else rss <= 6, " GB")
    conv = results.get("ig_convergence", {})
    gl_ok = [v for k, v in conv.items() if k.startswith("gausslegendre") and isinstance(v, dict)
             and v.get("relative_delta") is not None and v["relative_delta"] <= 0.05]
    riemann50 = conv.get("riemann_trapezoid_50", {}).get("seconds")
    if gl_ok and riemann50:
        cheapest = min(gl_ok, key=lambda v: v["n_steps"])
        share = cheapest["seconds"] / riemann50
        add(f"Gauss-Legendre |δ| ≤ 5 % ({cheapest['n_steps']} steps) vs 50 Riemann", "≤ 40 % of the cost",
            100 * share, share <= 0.4, " %")
    else:
        add("Gauss-Legendre |δ| ≤ 5 % vs 50 Riemann", "≤ 40 % of the cost", None, None)
    fusion = results.get("fusion_ig", {}).get("cost_ratio")
    add("fusion-level IG cheaper than input-level (encoder states reused)", "≥ 50×", fusion,
        None if fusion is None else fusion >= 50, "×")
    whole = results.get("fusion_ig", {}).get("cost_ratio_whole_call")
    add("fusion-level IG, whole call incl. its encoder passes", "≥ 50×", whole,
        None if whole is None else whole >= 50, "×")
    pred = results.get("predict", {}).get("ratio")
    add("predict throughput vs raw forward", "≥ 0.9×", pred, None if pred is None else pred >= 0.9, "×")
    whole = results.get("whole_set_shapley", {}).get("ratio")
    add("predict + whole-set Shapley vs predict alone", "≥ 0.8×", whole, None if whole is None else whole >= 0.8, "×")
    adaptive = results.get("ig_adaptive_demo", {}).get("adaptive_16_256", {})
    unconverged = adaptive.get("unconverged")
    add("adaptive IG on the demo's explained e-mails: unconverged", "0", None if unconverged is None else
        float(unconverged), None if unconverged is None else unconverged == 0)
    render = results.get("render", {})
    r100 = render.get("html_pdf_100", {}).get("seconds")
    add("render 100 fixture samples (HTML+PDF, one call)", "≤ 30 s", r100, None if r100 is None else r100 <= 30,
        " s")
    demo_render = results.get("render_demo", {})
    if demo_render.get("samples") == 100:
        seconds = demo_render.get("seconds")
        add("render 100 demo-like e-mails (HTML+PDF, one call)", "≤ 30 s", seconds,
            None if seconds is None else seconds <= 30, " s")
    size = results.get("report_size", {}).get("marginal_bytes_per_sample")
    add("HTML bytes per explained e-mail (demo, marginal)", "≤ 150 KB", None if size is None else size / 1000,
        None if size is None else size <= 150_000, " KB")
    faithful = results.get("faithfulness", {})
    ratio = faithful.get("ratio_to_ig")
    add("occlusion + deletion/insertion vs IG of the same sample", "≤ 3×", ratio, None if ratio is None else ratio <= 3,
        "×")
    sanity = faithful.get("sanity_seconds_2_samples")
    add("randomisation sanity check (2 samples, 5 stages)", "≤ 2 min", None if sanity is None else sanity / 60,
        None if sanity is None else sanity <= 120, " min")
    demo = results.get("demo_cold", {}).get("seconds")
    add("cold `reportgen demo`", "≤ 60 s", demo, None if demo is None else demo <= 60, " s")
    if ig.get("seconds") and "html_pdf_6" in render:
        # 6 explained samples are dominated by IG (attention + Shapley add ~1 fusion-IG call each).
        e2e = 6 * (ig["seconds"] + results.get("fusion_ig", {}).get("fusion_seconds", 0)) + render["html_pdf_6"][
            "seconds"]
        add("6-sample HTML+PDF report end to end (estimate: 6 × IG + render)", "≤ 5 min", e2e / 60, e2e <= 300,
            " min")
    return rows


def markdown_section(machine: dict[str, Any], results: dict[str, Any]) -> str:
    lines = [f"## {machine['device'].upper()}: {machine.get('gpu', platform.processor() or 'CPU')}", ""]
    lines.append(", ".join(f"{k} {v}" for k, v in machine.items() if k != "device"))
    lines += ["", "| goal | target | measured | verdict |", "|---|---|---|---|"]
    lines += [f"| {g} | {t} | {m} | {v} |" for g, t, m, v in goals(results)]
    lines += ["", "### Raw measurements", ""]
    for case, values in results.items():
        lines.append(f"- **{case}**: " + ", ".join(
            f"{k}={_fmt(v, 3) if not isinstance(v, dict) else '{' + ', '.join(f'{a}={_fmt(b, 3)}' for a, b in v.items()) + '}'}"
            for k, v in values.items()))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure reportgen on a full-size MMTD.")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (smoke run; not for RESULTS.md)")
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="run only these cases")
    parser.add_argument("--output-dir", type=Path, default=HERE, help="where the JSON and RESULTS.md go")
    args = parser.parse_args()
    names = args.only or list(CASES)
    if args.device == "cuda":
        names = [n for n in names if n not in ("render", "demo_cold")]  # CPU-only work
    args.output_dir.mkdir(parents=True, exist_ok=True)
    json_path = args.output_dir / f"results-{args.device}.json"
    previous = json.loads(json_path.read_text()) if json_path.exists() else {"results": {}}
    results = dict(previous.get("results", {}))
    for name in names:
        results[name] = run_case(name, args.device, args.quick)
    machine = machine_description(args.device)
    json_path.write_text(json.dumps({"machine": machine, "quick": args.quick, "results": results},
                                    indent=1, sort_keys=True) + "\n")
    sections_path = args.output_dir / f"RESULTS-{args.device}.section.md"
    sections_path.write_text(markdown_section(machine, results))
    print(sections_path.read_text())


if __name__ == "__main__":
    main()
