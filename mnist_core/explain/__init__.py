"""Explaining one model: what it computes and why.

- ``activations``: kernels, every layer's output, saliency
- ``trace``: the arithmetic behind one value; ``whatif``: the same model with one kernel changed
- ``attributions``: Captum's attributions and the sanity check
- ``embeddings``: the penultimate features, their map and neighbours
- ``digits``: the dataset before any model (balance, mean digits, projections)
"""
