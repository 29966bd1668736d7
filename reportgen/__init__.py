"""reportgen: explainability reports for multimodal (text + image) transformer classifiers."""

__version__ = "0.1.0"
