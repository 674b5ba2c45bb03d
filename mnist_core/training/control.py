"""What a user can do to a run from another thread (stop, pause, resume, a new learning rate),
checked by the loop once a batch."""

from __future__ import annotations

import threading
from collections.abc import Callable

from mnist_core.training.config import check_lr


class Control:
    """What a user can do to a run from another thread; checked once per batch."""

    def __init__(self):
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._lock = threading.Lock()
        self._new_lr: float | None = None

    def stop(self):
        self._stop.set()
        self._running.set()  # a paused run must wake up to stop

    def pause(self):
        self._running.clear()

    def resume(self):
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def set_lr(self, lr: float):
        lr = check_lr(lr)
        with self._lock:
            self._new_lr = lr

    def take_lr(self) -> float | None:
        with self._lock:
            lr, self._new_lr = self._new_lr, None
            return lr

    def wait_if_paused(self, on_pause: Callable[[], None] | None = None):
        if not self._running.is_set():
            if on_pause:
                on_pause()
            self._running.wait()
