"""``reportgen predict``: one CSV line of predictions per selected e-mail, plus metrics when labelled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reportgen.cli.options import config_option, data_options, model_options, output_options


@click.command("predict")
@config_option
@model_options
@data_options
@output_options(
    "CSV to write, columns row, label, prediction, prob_ham, prob_spam, logit_ham, logit_spam (row = "
    "0-based CSV data row; prediction 1 = spam). Written only when everything succeeded.", file=True,
)
def predict_command(out: str, progress: bool, **options: Any) -> None:
    """Predict ham/spam for every selected e-mail of an EDP CSV and write a CSV.

    Prints accuracy, precision, recall and F1 (spam = positive class) and the confusion matrix when
    the CSV has labels. Rows skipped by --skip-invalid are listed on stderr.
    """
    from reportgen.cli import printable
    from reportgen.output import prepare_output_file

    # Before any model work: the CSV's folder is writable and no file of the user's is in the way.
    with prepare_output_file(Path(out)) as output:
        from reportgen.analysis.predict import predict
        from reportgen.cli.options import load_inputs

        inputs = load_inputs(**options)
        dataset = inputs.dataset
        frame = predict(
            inputs.loaded.model, inputs.preprocessor, dataset,
            batch_size=inputs.batch_size, device=inputs.device, progress=progress,
        )
        (output.staging / Path(out).name).write_text(frame.to_csv(index=False), encoding="utf-8", newline="\n")
        output.publish()
    click.echo(f"wrote {len(frame)} predictions to {printable(out)} ({dataset.selection}, "
               f"{len(dataset.skipped)} skipped)")
    from reportgen.analysis.metrics import classification_metrics, format_metrics

    metrics = classification_metrics(dataset.labels, frame["prediction"].tolist(), frame["prob_spam"].tolist())
    if metrics is None:
        click.echo("no labels: metrics skipped")
    else:
        click.echo(format_metrics(metrics))
