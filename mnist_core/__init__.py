"""MNIST Lab's engine room: data, layer specs, training, inspection and charts.

Nothing in this package imports Streamlit: every number a page shows is computed
by a function that a test can call without a browser.
"""

__version__ = "0.1.0"


class MnistLabError(Exception):
    """An error whose message is one plain line meant for the user."""
