"""The app's glue: cached shared resources, per-session state and small widgets.

Everything here is Streamlit; everything it computes comes from ``mnist_core``.
"""
