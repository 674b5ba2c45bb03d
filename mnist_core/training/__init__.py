"""Training: one loop for both engines (``loop.fit``), with features as callbacks.

- ``config``: ``TrainConfig``, its rules and checks
- ``devices``: the device, threads and memory layout to train with
- ``events``: the typed events a run emits (start, step, epoch, message, lr change, end)
- ``loop``: ``fit``, the loop, its control from another thread and its callbacks
- ``torch_engine`` / ``numpy_engine``: what each engine supplies (a step and an evaluation)
- ``augment``: the distortions drawn on each batch

(Submodules are imported by name, not re-exported here: importing the package stays cheap.)
"""
