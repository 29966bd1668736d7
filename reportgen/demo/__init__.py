"""The bundled demo: a generated multilingual e-mail corpus with pictures and a small trained MMTD.

``reportgen demo --out DIR`` writes the corpus as an EDP folder and runs the same code path as a
user's data (checkpoint loader, preprocessor, dataset loader, analysis, report) on the model and
tokenizer shipped in ``reportgen/demo/assets/`` (rebuilt by ``python -m reportgen.demo.train``).
"""
