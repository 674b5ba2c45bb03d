"""The layer editor's state: a list of layer dicts, each with a stable uid for its widgets."""

from __future__ import annotations

import itertools
from dataclasses import fields

import streamlit as st

from mnist_core.spec import LAYER_TYPES, ArchSpec
from ui import state

_uids = itertools.count(1)


def _with_uid(d: dict) -> dict:
    return {**d, "uid": next(_uids)}


EDITED = "arch_edit"  # the widget that picks the one layer whose settings are shown: its position in the list


def set_spec(spec: ArchSpec, preset: str | None = None):
    """Start editing ``spec``; ``preset``: the preset it came from (None for scratch or a file)."""
    state.ARCH_DRAFT.set(state.Draft([_with_uid(l.to_dict()) for l in spec.layers], spec.name, spec.description,
                                     preset))
    st.session_state.pop(EDITED, None)  # a new network opens on its first layer


def edited() -> int:
    """The position of the layer being edited, kept within the list. Set again as the session's own value
    each run: the picker's options name each layer's type, and a changed type (or a layer moved, added or
    removed) makes new options, which would otherwise take the picker back to the first layer."""
    n = len(layers())
    i = st.session_state.get(EDITED, 0)
    i = min(max(i, 0), n - 1) if isinstance(i, int) and n else 0
    st.session_state[EDITED] = i
    return i


def started() -> bool:
    return state.ARCH_DRAFT.get() is not None


def _draft() -> state.Draft:
    d = state.ARCH_DRAFT.get()
    if d is None:
        d = state.Draft()
        state.ARCH_DRAFT.set(d)
    return d


def layers() -> list[dict]:
    return _draft().layers


def preset() -> str | None:
    """The preset the network was loaded from, None once it came from scratch or a file."""
    return _draft().preset


def settings_of(kind: str) -> list:
    return list(fields(LAYER_TYPES[kind]))


def widget_range(kind: str, name: str) -> tuple:
    """(min, max) of a setting's number widget: its ``Bound``; 0 stands for a pool's None stride."""
    cls = LAYER_TYPES[kind]
    bound = cls.bounds[name]
    optional = next(f for f in fields(cls) if f.name == name).default is None
    return (0 if optional else bound.lo), bound.hi


def sync_from_widgets():
    """Widget values live in session_state under per-layer keys: fold them into the dicts."""
    for layer in layers():
        uid = layer["uid"]
        kind = st.session_state.get(f"L{uid}_type", layer["type"])
        if kind != layer["type"]:
            layer.clear()
            layer.update(_with_uid(LAYER_TYPES[kind]().to_dict()))
            layer["uid"] = uid
            for f in settings_of(kind):
                st.session_state.pop(f"L{uid}_{f.name}", None)
            continue
        for f in settings_of(kind):
            key = f"L{uid}_{f.name}"
            if key in st.session_state:
                v = st.session_state[key]
                if f.name == "stride" and kind in ("MaxPool2d", "AvgPool2d"):
                    v = None if v == 0 else v  # 0 in the widget means "same as the kernel"
                layer[f.name] = v


def spec() -> ArchSpec:
    """The working spec; layers with settings out of range still analyse (with messages)."""
    d = _draft()
    return ArchSpec.from_dict({"name": d.name, "description": d.description,
                               "layers": [{k: v for k, v in l.items() if k != "uid"} for l in layers()]})


def move(i: int, delta: int):
    """Swap layer ``i`` with its neighbour; the layer moved stays the one edited."""
    ls = layers()
    j = i + delta
    if 0 <= i < len(ls) and 0 <= j < len(ls):
        ls[i], ls[j] = ls[j], ls[i]
        st.session_state[EDITED] = j


def remove(i: int):
    """Remove layer ``i``; the one that takes its place (or the new last one) is edited next."""
    ls = layers()
    if 0 <= i < len(ls):
        ls.pop(i)
        st.session_state[EDITED] = max(0, min(i, len(ls) - 1))


def insert(i: int, kind: str):
    """A new layer of ``kind`` at position ``i``, with its defaults; it is the one edited next."""
    i = max(0, min(i, len(layers())))
    layers().insert(i, _with_uid(LAYER_TYPES[kind]().to_dict()))
    st.session_state[EDITED] = i
