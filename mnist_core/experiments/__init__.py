"""Experiments on a trained model, and the views a teacher shares.

- ``perturb``: the perturbation lab and robustness curves
- ``surgery``: filters switched off or replaced
- ``timetravel``: a run replayed from its snapshots
- ``views``: each shareable view's state as query parameters (one table per view)
- ``lessons``: lesson files, sequences of views with questions
"""
