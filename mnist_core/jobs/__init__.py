"""Training jobs: where a run happens while the app goes on.

- ``start``: ``start_job`` picks a worker process, a thread or a Ray actor
- ``local``: ``TrainingJob`` (a thread) and the server's ``SlotQueue``
- ``workers``: ``ProcessTrainingJob`` and the app-side ``RemoteJob``
- ``ray_actor``: ``RayTrainingJob`` on a Ray cluster
- ``sweep``: a preset at several settings, as parallel jobs
"""
