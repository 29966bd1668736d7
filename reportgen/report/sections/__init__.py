"""One module per section of the report, in reading order: summary, overview (all e-mails together),
samples (one card per explained e-mail), methods and reproducibility appendices; ``common`` holds
what they share. Each module turns results.json data into view-model blocks
(:mod:`reportgen.report.document`)."""
