"""Use reportgen as a library: load, analyse, save results.json, render — the steps `reportgen run` takes.

    python examples/explain_from_python.py CHECKPOINT TOKENIZER EDP.csv PICTURES_DIR OUT_DIR

Without arguments it uses the shipped demo model and writes the demo corpus to ./example-data, so
it runs anywhere reportgen is installed (no download). Apart from finding the demo's files, only the
public API (``import reportgen``) is used; a problem with the inputs is one line on stderr and exit code 1, as on the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import reportgen
from reportgen.errors import ReportgenError


def main(argv: list[str]) -> None:
    if argv:
        if len(argv) != 5:
            raise SystemExit(__doc__.split("\n\n")[1])
        checkpoint, tokenizer, csv_path, pictures, out = argv
    else:
        from reportgen.demo.corpus import write_demo_corpus
        from reportgen.demo.pipeline import demo_assets

        assets = demo_assets()  # the small demo MMTD shipped with reportgen
        checkpoint, tokenizer = assets.checkpoint, assets.tokenizer
        csv_path = write_demo_corpus(Path("example-data"), n=40, seed=assets.corpus_seed)
        pictures, out = Path("example-data") / "pics", "example-report"

    # Strict: refuses anything but the exact MMTD layout; the text length follows the checkpoint.
    inputs = reportgen.load(checkpoint, csv_path, pictures, tokenizer=str(tokenizer), device="cpu")
    info = inputs.loaded.info
    print(f"loaded {info.parameter_count:,} parameters, sha256 {info.sha256[:12]}…")

    # Explain two spam and two ham e-mails plus the least confident one, with 32 IG steps.
    results = reportgen.analyze(inputs, samples="2:2", least_confident=1, ig_steps=32, min_count=1,
                                deterministic=True, command="examples/explain_from_python.py")
    out_dir = Path(out)
    reportgen.save(results, out_dir / "results.json")  # validated against the published schema
    for sample in results["samples"]:
        shapley = sample["modality"]["shapley"]
        print(f"row {sample['row']}: P(spam) = {sample['probabilities']['spam']:.3f}, text {shapley['text']:+.2f} "
              f"and picture {shapley['image']:+.2f} log-odds from {shapley['f_none']:+.2f}; leading source: "
              f"{sample['modality']['leading']}")
    print(results["aggregate"]["verdict"]["headline"])
    written = reportgen.render(results, out_dir, formats=("html", "pdf"), deterministic=True)
    print("report:", written["html"])


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except ReportgenError as error:
        raise SystemExit(f"error: {error.message}") from None
