"""One read of a class's state shared by every session of the class in this process, for about a second.

Thirty students on the Class page each look at the class's poll every few seconds; each look read
the same rows (the poll, my answer, am I still a member) in sessions of their own. A ``Shared``
keeps the last read of a class for ``ttl`` seconds, and one thread reads it again when it is older
(the others wait for that read instead of making their own). A change made in this process
(``changed``: the teacher opens, reveals or moves on, a student commits, joins or is removed) drops
the class's read at once, and a read that began before the change is never kept, so whoever acted
sees their own change on their next look. A change made by another process (two servers on one
PostgreSQL) is seen within ``ttl``.

Keyed by (database URL, class id): tests and tools that switch databases never see another
database's class. A key's counter and lock stay for the life of the process (a few per class);
old reads are dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from mnist_core.classroom import db

T = TypeVar("T")

PRUNE_AT = 256  # reads kept before the expired ones are dropped
CLASS_SECONDS = 1.0  # how old a class's shared read may be: what another server's change waits at most


class Shared(Generic[T]):
    """A value per key, read by ``read()`` at most once per ``ttl`` seconds unless ``changed``."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock  # a test's own clock ages the reads without waiting
        self.reads = 0  # how many times a value was read (the tests count them)
        self._lock = threading.Lock()
        self._values: dict[Hashable, tuple[int, float, T]] = {}  # key -> (generation, read began, value)
        self._generation: dict[Hashable, int] = {}
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def _kept(self, key: Hashable, fresh_since: float | None) -> tuple[bool, T | None]:
        """(found, value): the kept read of ``key`` if no change came since it began and it is
        young enough (begun after ``fresh_since`` when that is given). Call with ``_lock`` held."""
        kept = self._values.get(key)
        if kept is None or kept[0] != self._generation.get(key, 0):
            return False, None
        began = kept[1]
        young = began > fresh_since if fresh_since is not None else began >= self.clock() - self.ttl
        return (True, kept[2]) if young else (False, None)

    def get(self, key: Hashable, read: Callable[[], T], fresh: bool = False) -> T:
        """The value of ``key``: the kept read while it is young, else a new ``read()`` (kept for
        the others). ``fresh``: a read begun after this call, whatever is kept. ``read``'s
        exceptions go to the caller and nothing is kept."""
        asked = self.clock()
        since = asked if fresh else None
        with self._lock:
            found, value = self._kept(key, since)
            if found:
                return value  # type: ignore[return-value]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one read per key at a time; who waited takes the read that just finished
            with self._lock:
                found, value = self._kept(key, since)
                if found:
                    return value  # type: ignore[return-value]
                generation = self._generation.get(key, 0)
            began = self.clock()
            value = read()
            with self._lock:
                self.reads += 1
                if self._generation.get(key, 0) == generation:  # no change while it read: keep it
                    self._values[key] = (generation, began, value)
                    if len(self._values) > PRUNE_AT:
                        old = self.clock() - self.ttl
                        for k in [k for k, v in self._values.items() if v[1] < old]:
                            del self._values[k]
            return value

    def changed(self, key: Hashable) -> None:
        """``key`` changed in this process: its kept read, and any read under way, are not used again."""
        with self._lock:
            self._generation[key] = self._generation.get(key, 0) + 1
            self._values.pop(key, None)

    def clear(self) -> None:
        """Forget every kept read (tests)."""
        with self._lock:
            for key in set(self._values) | set(self._generation):
                self._generation[key] = self._generation.get(key, 0) + 1
            self._values.clear()


CLASSES: Shared = Shared(CLASS_SECONDS)  # (database URL, class id) -> polls.ClassPoll


def class_key(class_id: int) -> tuple[str, int]:
    return db.database_url(), class_id


def class_changed(class_id: int) -> None:
    """Something every screen of the class shows changed here: their next look reads the database."""
    CLASSES.changed(class_key(class_id))
