"""The reproducibility appendix: command, versions, checkpoint hash, configuration, data, timings."""

from __future__ import annotations

from typing import Any

from reportgen.report.document import Block, Facts, Paragraph, Section, Table
from reportgen.report.sections.common import flatten

#: results.json ``generator`` keys shown as tables, with their captions.
_GENERATOR_TABLES = (("options", "Options"), ("packages", "Package versions"), ("timings", "Timings (seconds)"))


def reproducibility_section(results: dict[str, Any]) -> Section:
    """The "Reproducibility" appendix (id ``reproducibility``)."""
    gen, model, dataset = results["generator"], results["model"], results["dataset"]
    blocks: list[Block] = [
        Paragraph("Everything needed to reproduce this report. Re-running the command below with the same "
                  "checkpoint (same sha256), data and package versions gives the same numbers."),
        *([Paragraph("Local paths were left out (--redact-paths): files and folders are named by their last part "
                     "only; the checkpoint's sha256 identifies it.")] if gen.get("paths_redacted") else []),
        Facts([("Command", gen["command"]), ("Generator", f"{gen['name']} {gen['version']}"),
               ("Created", gen.get("created") or "not recorded (deterministic run)"),
               ("Seed", str(gen.get("seed", "not recorded"))), ("Device", str(gen.get("device", "not recorded"))),
               ("Checkpoint", str(model["path"])), ("sha256", str(model["sha256"])),
               ("Format", str(model.get("format", "—"))), ("Tokenizer", str(model.get("tokenizer", "—"))),
               ("Max length", max_length_text(model.get("max_length"))),
               ("Image processor", str(model.get("image_processor", "—")))], name="reproducibility-facts",
              layout="list"),
        Table(name="architecture", caption="Model configuration inferred from the checkpoint.",
              columns=["Setting", "Value"], rows=flatten(model.get("architecture", {}))),
        Table(name="dataset", caption="The data the report was computed on.", columns=["Setting", "Value"],
              rows=flatten({k: v for k, v in dataset.items() if k != "skipped"})),
    ]
    if dataset.get("skipped"):
        blocks.append(Table(name="skipped_rows", caption="Rows that could not be used, and why.",
                            columns=["Row", "Picture", "Reason"],
                            rows=[[s["row"], s.get("pic", ""), s["reason"]] for s in dataset["skipped"]]))
    for key, title in _GENERATOR_TABLES:
        if gen.get(key):
            blocks.append(Table(name=f"generator_{key}", caption=title, columns=["Name", "Value"],
                                rows=flatten(gen[key]), decimals=2))
    return Section(id="reproducibility", title="Reproducibility", kind="appendix", blocks=blocks)


def max_length_text(max_length: dict[str, Any] | None) -> str:
    """``64 tokens per text, inferred: min of 256 (…), 64 (…) = 64`` (results.json ``model.max_length``)."""
    if not max_length:
        return "not recorded"
    value = f"{max_length['value']} tokens per text ([CLS] and [SEP] included), longer texts truncated"
    if max_length["source"] == "inferred":
        return f"{value}; inferred, not given: {max_length.get('derivation', '')}".rstrip(": ")
    return f"{value}; given ({max_length.get('derivation', 'by the user')})"
