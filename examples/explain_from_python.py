"""Use reportgen as a library: load, analyse, save results.json, render — the steps `reportgen run` takes.

    python examples/explain_from_python.py CHECKPOINT TOKENIZER EDP.csv PICTURES_DIR OUT_DIR

Without arguments it uses the shipped demo model and writes the demo corpus to ./example-data, so
it runs anywhere reportgen is installed (no download).
"""

from __future__ import annotations

import sys
from pathlib import Path

from reportgen.analyze import AnalysisOptions, run_analysis
from reportgen.checkpoint import load_mmtd
from reportgen.cli.options import Inputs
from reportgen.data import load_edp
from reportgen.preprocessing import load_preprocessor
from reportgen.report.render import render_report
from reportgen.results import save_results


def main(argv: list[str]) -> None:
    if argv:
        checkpoint, tokenizer, csv_path, pictures, out = argv
        max_length = 256  # MMTD's training length
    else:
        from reportgen.demo.corpus import write_demo_corpus
        from reportgen.demo.pipeline import demo_assets

        assets = demo_assets()
        checkpoint, tokenizer, max_length = assets.checkpoint, assets.tokenizer, assets.max_length
        csv_path = write_demo_corpus(Path("example-data"), n=40, seed=assets.corpus_seed)
        pictures, out = Path("example-data") / "pics", "example-report"

    loaded = load_mmtd(checkpoint)  # strict: refuses anything but the exact MMTD layout
    print(f"loaded {loaded.info.parameter_count:,} parameters, sha256 {loaded.info.sha256[:12]}…")
    preprocessor = load_preprocessor(str(tokenizer), None, loaded.info.config.image.image_size, max_length)
    dataset = load_edp(csv_path, pictures)
    inputs = Inputs(loaded=loaded, preprocessor=preprocessor, dataset=dataset, device="cpu")

    # Explain two spam and two ham e-mails plus the least confident one, with 32 IG steps.
    options = AnalysisOptions(samples="2:2", least_confident=1, ig_steps=32, min_count=1, deterministic=True)
    results = run_analysis(inputs, options, command="examples/explain_from_python.py", progress=True)

    out_dir = Path(out)
    save_results(results, out_dir / "results.json")  # validated against the published schema
    for sample in results["samples"]:
        shapley = sample["modality"]["shapley"]
        print(f"row {sample['row']}: P(spam) = {sample['probabilities']['spam']:.3f}, "
              f"text share (Shapley) = {shapley['text_share']:.2f}")
    written = render_report(results, out_dir, formats=("html", "pdf"), deterministic=True)
    print("report:", written["html"])


if __name__ == "__main__":
    main(sys.argv[1:])
