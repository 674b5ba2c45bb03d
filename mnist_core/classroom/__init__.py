"""A class on one server: visitors, the teacher, classes, members, polls and who owns what.

Everything here lives in one database (``db.py``: SQLite beside the run folder by default,
PostgreSQL when replicas share a class) and every rule takes an ``identity.Actor``, so the
rules are enforced where the data lives and a test can call them as anyone. No Streamlit:
the pages only call these functions and show their one-line refusals.
"""

from mnist_core import MnistLabError


class ClassroomError(MnistLabError):
    """A class rule said no, or the class database cannot be used; the message is one line."""


class IdentityError(ClassroomError):
    """A visitor token or teacher key that is forged, unknown or stale."""


class JoinError(ClassroomError):
    """A wrong class code, a bad nickname, or too many wrong guesses."""


class OwnershipError(ClassroomError):
    """Someone who is neither the owner nor the teacher tried to change something."""


class PollError(ClassroomError):
    """A poll rule said no (not the teacher, not a member, already answered, closed)."""
