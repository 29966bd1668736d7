"""reportgen's version, in a module of its own so that any layer can name it without importing the
package's public API (``reportgen/__init__.py`` reaches up into analysis and report)."""

__version__ = "0.1.0"
