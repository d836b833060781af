"""The installed version of flair-hpo (``flair-hpo --version``, ``flair_hpo.__version__``)."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("flair-hpo")
except PackageNotFoundError:  # running from a source tree that is not installed
    VERSION = "0+unknown"
