"""The "why" views shared by the model pages: trace one value, what-if kernels, attributions,
"you are here". Each function draws one section from plain inputs and returns plain values;
all the computation is in ``mnist_core`` (trace, attributions, embeddings). Every text is in the
session's language; the options' values stay English keys (links and tests read them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch

from mnist_core import charts
from mnist_core import inference as ins
from mnist_core.data import MEAN, STD
from mnist_core.explain.attributions import BASELINES, METHODS, attribute, cascading_randomisation, conv_layers
from mnist_core.explain.embeddings import build_map, vector_of
from mnist_core.explain.trace import trace
from mnist_core.explain.whatif import HAND_KERNELS, parse_kernel, with_kernel, with_weight
from mnist_core.i18n import N_, _, language, ngettext, pgettext
from mnist_core.mistakes import TAGS, load_tags, set_tag, summary, tag_of
from mnist_core.safe_text import plain
from ui import state
from ui.common import describe, friendly_errors, load_model, model_version, store
from ui.identity import who
from ui.links import clamp_linked

TRACE_LAYER_KEY = "trace_cell_layer"  # the traced layer: Inside's picker above the maps, set by its link too
ELEMENTWISE = ("BatchNorm2d", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Dropout")


def pick_input(data, prefix: str):
    """A test digit or the last drawing: (x (1, 1, 28, 28), image 0..1 (28, 28), label or None)."""
    from ui.ours import input_set
    data = input_set(data)  # our digits: all of them, not only the held-out writers'
    drawing = state.last_drawing()
    words = {"A test digit": _("A test digit"), "My last drawing": _("My last drawing")}
    sources = ["A test digit"] + (["My last drawing"] if drawing is not None else [])
    src = st.radio(_("Input"), sources, format_func=words.get, horizontal=True, key=f"{prefix}_source")
    if src == "A test digit":
        c1, c2 = st.columns(2)
        cls = c1.selectbox(pgettext("digit", "Class"), list(range(10)), format_func=lambda i: data.classes[i],
                           key=f"{prefix}_class")
        where = torch.nonzero(data.test_labels == cls).flatten()
        if len(where) == 0:
            st.warning(_("no test digits of that class in this dataset"))
            st.stop()
        clamp(f"{prefix}_k", len(where) - 1, N_("digit"))  # a link or another class may ask for one past the end
        k = c2.number_input(_("Which one (of {n})").format(n=len(where)), 0, len(where) - 1, 0, key=f"{prefix}_k")
        x, label = ins.digit_input(data, "test", int(where[k]))
    else:
        x = torch.from_numpy(((drawing / 255.0 - MEAN) / STD).astype(np.float32))[None, None]
        label = None
    return x, (x[0, 0].numpy() * STD + MEAN).clip(0, 1), label


def pixels(image: np.ndarray) -> np.ndarray:
    """A ``pick_input`` image (0..1) back as the uint8 28x28 digit it came from."""
    return (np.asarray(image) * 255).round().astype(np.uint8)


def chart_points(event) -> list:
    """The points a click selected on a chart: ``st.plotly_chart(on_select=...)``'s event, or the same
    selection read from the session by the chart's key before it is drawn ([] when none)."""
    return (event or {}).get("selection", {}).get("points", []) if hasattr(event, "get") else []


def clicked_cell(event, values: np.ndarray) -> tuple | None:
    """A click on a feature-map mosaic or an activation bar -> the cell, or None."""
    points = chart_points(event)
    if not points:
        return None
    p = points[0]
    if values.ndim == 3:
        return charts.mosaic_cell(p.get("x", -1), p.get("y", -1), values[:32].shape)
    return (int(round(p.get("x", -1))),) if 0 <= int(round(p.get("x", -1))) < len(values) else None


def select_cell(layer: int, cell: tuple, chart: str | None = None) -> bool:
    """Make a clicked cell the one the trace section shows (its widgets are drawn later in the run).
    A chart keeps its selection across reruns: only a new click on ``chart`` (default: the layer's one
    chart) moves the trace, so that two charts of one layer do not undo each other's clicks. Whether
    this was such a new click."""
    seen = state.TRACE_CLICKS.get()
    chart = chart or str(layer)
    if seen.get(chart) == cell:
        return False
    seen[chart] = cell  # only the picked layer's charts take clicks: the layer (its picker's key) is ``layer``
    st.session_state["trace_cell_pos"] = ",".join(map(str, cell))
    state.TRACE_LAST_LAYER.set(layer)  # the clicked cell, not the new layer's middle
    return True


def traced_layer(spec) -> int:
    """The layer the trace shows (``TRACE_LAYER_KEY``), kept within this model's layers (a new model, a link's
    layer past its last: said in one line); call it before its picker is drawn. A newly traced layer starts
    on its first map's middle cell, and the clicks recorded on the last layer's charts are forgotten (drawn
    again, a chart has lost its selection: a click on the cell clicked before must count again)."""
    st.session_state.setdefault(TRACE_LAYER_KEY, 1)
    clamp_linked(TRACE_LAYER_KEY, 1, len(spec.layers), N_("layer"))
    lay = int(st.session_state[TRACE_LAYER_KEY])
    last = state.TRACE_LAST_LAYER.get()
    if "trace_cell_pos" not in st.session_state or (last if last is not None else lay) != lay:
        out = spec.analyze().layers[lay - 1].out_shape or (1,)
        st.session_state["trace_cell_pos"] = ",".join(["0"] + [str(d // 2) for d in out[1:]])
        state.TRACE_CLICKS.set({})
    state.TRACE_LAST_LAYER.set(lay)
    return lay


def traced_cell() -> tuple | None:
    """The cell the trace section will show (channel, row, col) or (unit,), None while it does not parse."""
    try:
        return tuple(int(v) for v in str(st.session_state.get("trace_cell_pos", "")).replace(" ", "").split(","))
    except ValueError:
        return None


def trace_section(spec, model, x, image) -> int:
    """Trace one value: the arithmetic of the selected cell, checked against the model; returns its layer."""
    st.subheader(_("Trace one value"))
    st.caption(_("Click a cell or a bar of the picked layer above (or type it here) to see how the network "
                 "computed it."))
    n = len(spec.layers)
    layer = traced_layer(spec)  # picked above the maps (the same key); here too for a run that did not draw them
    pos = st.text_input(_("Cell: channel,row,column (or unit for a vector)"), key="trace_cell_pos")
    try:
        cell = tuple(int(v) for v in pos.replace(" ", "").split(","))
    except ValueError:
        st.error(_("a cell is numbers separated by commas, e.g. 3,10,12 (channel, row, column)"))
        return int(layer)
    with friendly_errors(_("trace")):
        t = trace(spec, model, x, int(layer), cell)
        steps = list(t.steps)
        nxt = t.layer + 1  # the elementwise layers that follow (batch norm, ReLU) act on the same cell
        while nxt <= n and spec.layers[nxt - 1].kind in ELEMENTWISE:
            tn = trace(spec, model, x, nxt, cell)
            steps += [(_("then layer {layer} ({label}): {step}").format(layer=nxt, label=tn.label, step=s), v)
                      for s, v in tn.steps[1:]]
            nxt += 1
        left, right = st.columns([1, 2])
        # a picture (nothing clicks it): as a figure it was one of the last things the page waited for
        left.container(key="trace_box").image(
            charts.input_box_png(image, t.box), caption=_("What this cell can see") if t.box else _("The input"),
            alt=_("the input digit with a box around the pixels this cell can see."))
        with right:
            st.markdown(_("**Layer {layer}: {label}**, cell {cell}").format(layer=t.layer, label=plain(t.label),
                                                                            cell=t.cell))
            ch = _channel(t)
            step_col, value_col = _("step"), _("value")
            # a handful of rows: a plain table (a dataframe's grid is a canvas that took the browser 0.3 s more)
            # (st.table reads its cells as Markdown: "+ bias" would be a list item)
            st.table(pd.DataFrame([(plain(s), f"{v:.4f}") for s, v in steps], columns=[step_col, value_col])
                     .set_index(step_col))
            ok = abs(t.value - t.actual) < 1e-4
            got = dict(value=f"{t.value:.4f}", actual=f"{t.actual:.4f}")
            st.markdown("✅ " + _("The arithmetic gives **{value}**; the network computed **{actual}** (the same).")
                        .format(**got) if ok else
                        "⚠️ " + _("The arithmetic gives **{value}**; the network computed **{actual}**.").format(**got))
        _arithmetic(t, ch)  # the grids across the page's width: three tables of five columns need it
        st.caption(_("trace: layer {layer} cell {cell} = {value}").format(layer=t.layer, cell=t.cell,
                                                                          value=f"{t.value:.4f}"))
    return int(layer)


def _channel(t) -> int:
    """The input channel whose patch and kernel are shown: the one that adds the most, or the one chosen."""
    if t.kernel is None or t.kernel.shape[0] <= 1:
        return 0
    c_in = t.kernel.shape[0]
    order = np.argsort(-np.abs(t.channel_sums))
    return st.selectbox(_("Input channel to show (of {n}; the rest are summed)").format(n=c_in),
                        list(range(c_in)), index=int(order[0]), key="trace_in_ch",
                        format_func=lambda i: _("{channel} (adds {sum})").format(
                            channel=i, sum=f"{t.channel_sums[i]:+.3f}"))


def _arithmetic(t, ch: int):
    if t.kernel is not None:  # a convolution: patch x kernel
        c_in = t.kernel.shape[0]
        # three small tables of numbers, coloured: drawn at once, where one figure of three panels was the last
        # thing the page waited for (and a table is read cell by cell)
        box = st.container(key="trace_grids")
        for col, (values, title, diverging) in zip(box.columns(3), ((t.patch[ch], _("input patch"), False),
                                                                    (t.kernel[ch], _("kernel weights"), True),
                                                                    (t.products[ch], _("patch x kernel"), True))):
            col.caption(title)
            col.html(charts.number_table(values, diverging))
        if c_in > 1:
            st.caption(ngettext("Channel {channel}'s products add up to {sum}; the other {n} channel adds {rest}.",
                                "Channel {channel}'s products add up to {sum}; the other {n} channels add {rest}.",
                                c_in - 1).format(channel=ch, sum=f"{t.channel_sums[ch]:+.4f}", n=c_in - 1,
                                                 rest=f"{t.channel_sums.sum() - t.channel_sums[ch]:+.4f}"))
    elif t.patch is not None:  # a pooling window
        box = st.container(key="trace_window")
        box.caption(_("the window: the winner is outlined") if t.winner else _("the window"))
        box.html(charts.number_table(t.patch, diverging=False, mark=t.winner))
    elif t.contributions:
        st.dataframe(pd.DataFrame(t.contributions, columns=[_("input"), _("value"), _("weight"),
                                                            _("value x weight")]),
                     hide_index=True, key="trace_contrib")


def clamp(key: str, hi: int, what: str = N_("value")):
    """Keep a number widget's remembered value inside its new range (a smaller model was picked);
    a link's value that had to move is named in one line."""
    clamp_linked(key, 0, hi, what)


def whatif_model(run_id: str, model):
    """The session's edited copy of this model, if the what-if section made one, else the model."""
    edited = state.edited_model("what-if", run_id)
    return edited.model if edited else model


def reset_or_save(edited: state.EditedModel, prefix: str, spec, what: str):
    """Reset (drop the session's edited copy) or save it as a new run, naming what was changed."""
    r1, r2, r3 = st.columns([1, 2, 1])
    if r1.button(_("↩️ Reset to the trained weights"), key=f"{prefix}_reset"):
        state.drop_edited_model(edited.kind)
        st.rerun()
    name = r2.text_input(_("Name for the new run"), _("{name} ({what})").format(name=spec.name, what=what),
                         key=f"{prefix}_name", max_chars=80)
    if r3.button(_("💾 Save as a new run"), key=f"{prefix}_save"):
        with friendly_errors(_("save")):
            run = store().save_edited(name, spec, edited.model, "; ".join(edited.changes), parent=edited.run_id,
                                     actor=who())
            st.success(_("Saved as {run}; the original run is unchanged.").format(run=plain(run.run_id)))


def whatif_section(run_id: str, spec, model, x):
    """Edit one kernel in a copy held for this session; returns the model the page should use."""
    convs = conv_layers(spec)
    if not convs:
        return model
    st.subheader(_("What if a kernel were different?"))
    edits = state.edited_model("what-if", run_id)  # None when another model was picked: its edits do not apply
    current = edits.model if edits else model
    c1, c2, c3 = st.columns(3)
    if st.session_state.get("wi_layer") not in convs:  # another model was picked
        st.session_state.pop("wi_layer", None)
    layer = c1.selectbox(_("Conv layer"), convs, key="wi_layer")
    conv = current[layer - 1]
    k = conv.kernel_size[0]
    clamp("wi_filter", conv.out_channels - 1)
    clamp("wi_in", conv.in_channels - 1)
    clamp("wi_row", k - 1)
    clamp("wi_col", k - 1)
    filt = c2.number_input(_("Filter (of {n})").format(n=conv.out_channels), 0, conv.out_channels - 1, 0,
                           key="wi_filter")
    hand = c3.selectbox(_("Load a hand-made kernel"), ["—"] + list(HAND_KERNELS) + ["Type my own"], key="wi_hand",
                        format_func=kernel_name)
    typed = st.text_input(_("Your kernel (rows separated by ;)"), "0 -1 0; -1 4 -1; 0 -1 0", key="wi_typed") \
        if hand == "Type my own" else None
    w1, w2, w3, w4, w5 = st.columns(5)
    in_ch = w1.number_input(_("Input channel"), 0, conv.in_channels - 1, 0, key="wi_in")
    row = w2.number_input(_("Row"), 0, k - 1, k // 2, key="wi_row")
    col = w3.number_input(_("Column"), 0, k - 1, k // 2, key="wi_col")
    old = float(conv.weight[filt, in_ch, row, col].detach())
    value = w4.number_input(_("New weight"), -100.0, 100.0, old, 0.1, format="%.3f", key="wi_value")
    apply = w5.button(_("Apply"), key="wi_apply", type="primary")
    if apply:
        with friendly_errors(_("what if")):
            if hand != "—":
                kern = parse_kernel(typed) if hand == "Type my own" else HAND_KERNELS[hand]
                edited = with_kernel(current, layer, int(filt), kern, None if layer == convs[0] else int(in_ch))
                what = _("layer {layer} filter {filter} := {kernel}").format(layer=layer, filter=filt,
                                                                              kernel=kernel_name(hand))
            else:
                edited = with_weight(current, layer, int(filt), int(in_ch), int(row), int(col), float(value))
                what = _("layer {layer} filter {filter} weight [{at}] := {value}").format(
                    layer=layer, filter=filt, at=f"{in_ch},{row},{col}", value=f"{value:.3f}")
            state.set_edited_model(edits.with_change(edited, what) if edits else
                                   state.EditedModel("what-if", run_id, edited, (what,)))
            st.rerun()
    if edits:
        st.info(_("Edited copy (this session only): {changes}").format(changes="; ".join(edits.changes)))
        before, after = ins.predict(spec, model, x), ins.predict(spec, current, x)
        a, b = st.columns(2)
        describe(_("the trained model's probability for each digit."), a)
        a.plotly_chart(charts.probabilities_bar(before), key="wi_before")
        describe(_("the edited copy's probability for each digit."), b)
        b.plotly_chart(charts.probabilities_bar(after), key="wi_after")
        st.caption(_("Trained model: {before} ({before_share}) · edited copy: {after} ({after_share})").format(
            before=int(before.argmax()), before_share=f"{before.max():.0%}", after=int(after.argmax()),
            after_share=f"{after.max():.0%}"))
        reset_or_save(edits, "wi", spec, _("edited"))
    return current


def kernel_name(name: str) -> str:
    """A hand-made kernel's name (or the select's own choices) as the reader calls it."""
    own = {"—": "—", "Type my own": _("Type my own")}
    return own[name] if name in own else _(name)


def method_name(method: str) -> str:
    """An attribution method's or baseline's key (``METHODS``, ``BASELINES``: marked N_) in words."""
    return _(method)


def explained_class(probs, choice=None) -> int:
    """The class the maps explain: the predicted one (it follows the input), unless "Explain the class" asks
    for another; read from the session when that selectbox is in a tab that is not open."""
    choice = st.session_state.get("why_target", "predicted") if choice is None else choice
    return int(probs.argmax()) if choice == "predicted" else int(choice)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _attribution(version: tuple, x_bytes: bytes, lang: str, method: str, target: int, baseline: str, layer,
                 _spec, _model, _x):
    """One map, computed once per model version, input, class and choice (its note in ``lang``): a
    revisit or another choice of one method's options redraws at once, for every visitor."""
    return attribute(_spec, _model, _x, method, target, baseline, layer)


def attribution_lab(spec, model, x, image, classes, run_id: str):
    """Four attribution methods side by side for one input and one class."""
    st.subheader(_("Which pixels made it decide?"))
    probs = ins.predict(spec, model, x)
    pred = int(probs.argmax())
    c1, c2, c3 = st.columns(3)
    choice = c1.selectbox(_("Explain the class"), ["predicted", *range(len(classes))], key="why_target",
                          format_func=lambda i: _("the predicted one ({digit})").format(digit=classes[pred])
                          if i == "predicted" else f"{classes[i]} ({probs[i]:.0%})")
    target = explained_class(probs, choice)
    baseline = c2.selectbox(_("Integrated gradients' baseline"), BASELINES, key="why_baseline",
                            format_func=method_name)
    convs = conv_layers(spec)
    layer = c3.selectbox(_("Grad-CAM layer"), convs, index=len(convs) - 1, key="why_layer") if convs else None
    maps = []
    notes = []
    version, x_bytes = model_version(run_id), x.detach().cpu().numpy().tobytes()
    for m in METHODS:
        if m == "grad-cam" and not convs:
            notes.append(_("Grad-CAM: this network has no conv layer to look at."))
            continue
        a = _attribution(version, x_bytes, language(), m, target,  # a choice in the key only where it counts
                         baseline if m == "integrated gradients" else BASELINES[0],
                         layer if m == "grad-cam" else None, spec, model, x)
        maps.append((f"{method_name(m)} · {a.seconds * 1000:.0f} ms", a.map))
        if a.note:
            notes.append(_("{method}: {note}").format(method=method_name(m), note=a.note))
    describe(
        _("{n} attribution maps side by side over the digit: red pixels pushed towards the class, blue away.")
        .format(n=len(maps)))
    st.plotly_chart(charts.attribution_maps(maps, image), key="why_maps")
    st.caption(_("Red pixels pushed the network towards the class, blue away from it. {notes}").format(
        notes=" · ".join(notes)))
    return target


def sanity_section(spec, model, x, image, target):
    st.subheader(_("Sanity check: do the maps explain *this* model?"))
    st.caption(_("Destroy the network layer by layer, from the top, and draw the map again. A map that stays the "
                 "same for a random network is showing the digit's edges, not what this network learned."))
    method = st.selectbox(_("Method to check"), METHODS, key="why_sanity_method", format_func=method_name)
    if st.button(_("Run the check"), key="why_sanity_run"):
        with friendly_errors(_("sanity check")):
            steps = cascading_randomisation(spec, model, x, method, target)
            state.SANITY_RESULT.set((method, steps))
    got = state.SANITY_RESULT.get()
    if got:
        method, steps = got
        show = steps[:: max(1, len(steps) // 5)][:5] + ([steps[-1]] if len(steps) > 5 else [])
        describe(_("the attribution map as the layers are randomised one by one, with its similarity to the first."))
        st.plotly_chart(charts.attribution_maps([(f"{s.label} · {s.similarity:.2f}", s.map) for s in show], image),
                        key="why_sanity_maps")
        st.caption(_("{method}: rank similarity to the trained model's map (1 = the same pixels in the same order). "
                     "With everything random it is {similarity}.").format(method=method_name(method),
                                                                           similarity=f"{steps[-1].similarity:.2f}"))


@st.cache_resource(max_entries=8, show_spinner=False)  # the spinner is the caller's, in the reader's language
def _embedding_map(run_id: str, mtime: float, data_key: tuple, space: str, _data):
    spec, model = load_model(run_id) if space == "features" else (None, None)
    return build_map(_data, space, spec, model, n=2000)


def embedding_map(run_id: str, data, space: str):
    """The cached map of 2,000 training digits for one model (or the pixels), shared read-only."""
    mtime = model_version(run_id)[1]
    with st.spinner(_("Placing 2,000 training digits on the map…")):
        return _embedding_map(run_id if space == "features" else "", mtime if space == "features" else 0.0,
                              (data.name, data.kind, len(data.train_labels)), space, data)


def you_are_here(run_id, spec, model, image, data, where: str | None = None):
    """The input as a star among the training digits, and its nearest neighbours, in both spaces."""
    where = where or _("your digit")
    st.subheader(_("You are here: among the training digits"))
    img8 = pixels(image)
    cols = st.columns(2)
    for space, col in zip(("features", "pixels"), cols):
        m = embedding_map(run_id, data, space)
        v = vector_of(space, img8, spec, model)
        star = m.place(v[None])[0]
        title = (_("What the network sees (its last hidden layer) · separation {separation}") if space == "features"
                 else _("Raw pixels · separation {separation}")).format(separation=f"{m.separation:.2f}")
        describe(
            _("a scatter plot of training digits coloured by class ({space}), with a star where this digit falls.")
            .format(space=_("features") if space == "features" else _("pixels")), col)
        col.plotly_chart(charts.embedding_map(m.coords, m.labels, data.classes, title, star, where),
                         key=f"why_map_{space}")
        idx, dist = m.neighbours(v, k=8)
        describe(
            _("the {n} training digits nearest to this one, each with its class and distance.").format(n=len(idx)), col)
        col.plotly_chart(charts.digit_grid(data.train_images[torch.from_numpy(idx)].numpy(),
                                           [data.classes[int(data.train_labels[i])] for i in idx], cols=8,
                                           captions=[f"{data.classes[int(data.train_labels[i])]} · {d:.1f}"
                                                     for i, d in zip(idx, dist)],
                                           title=_("Nearest training digits in the network's features")
                                           if space == "features" else _("Nearest training digits in pixels")),
                      key=f"why_nn_{space}")
        votes = np.bincount([int(data.train_labels[i]) for i in idx], minlength=10)
        col.caption((_("features: the 8 nearest are mostly {digit}s ({n} of 8).") if space == "features" else
                     _("pixels: the 8 nearest are mostly {digit}s ({n} of 8).")).format(
            digit=data.classes[int(votes.argmax())], n=votes.max()))
    st.caption(_("Both maps are PCA of the same 2,000 training digits, so your digit can be placed on them. In "
                 "pixels, neighbours share ink in the same places; in the network's features, they share what it "
                 "learned a digit is. Separation is the mean silhouette (-1 to 1): how apart the classes lie."))


def tags_folder(run_id: str):
    """Where a model's mistake tags live: its run folder (the shipped demo's beside the runs)."""
    return store().root / ".demo" if run_id == "demo" else store().info(run_id).path


def mistakes_explained(run_id, spec, model, data, ev, cell, true: int, pred: int, limit: int = 6):
    """A confusion cell's mistakes with what pushed each towards the wrong class, its top two
    probabilities, and a tag a teacher can set (kept with the run)."""
    from mnist_core.inference import to_input
    st.markdown(_("**Why were these {true}s read as {pred}?** Red: the pixels that pushed towards {pred} "
                  "(integrated gradients).").format(true=data.classes[true], pred=data.classes[pred]))
    shown = [int(i) for i in cell[:limit]]
    words, maps = [], []
    version = model_version(run_id)
    for i in shown:
        x = to_input(data.test_images[i:i + 1])  # each map computed once per model and digit (six took 60 ms a rerun)
        maps.append(_attribution(version, x.numpy().tobytes(), language(), "integrated gradients", pred,
                                 BASELINES[0], None, spec, model, x).map)
        top = np.argsort(-ev.probs[i])[:2]
        words.append(f"#{i}\n{data.classes[top[0]]} {ev.probs[i, top[0]]:.0%} · {data.classes[top[1]]} "
                     f"{ev.probs[i, top[1]]:.0%}")
    # a picture, each map over its own digit: nothing clicks it, and as six figure panels it was the tab's slowest
    tiles = charts.attribution_tiles(maps, [data.test_images[i].numpy() / 255.0 for i in shown])
    st.container(key="eval_mistakes").image(
        charts.pictures_svg(tiles, words, cols=len(shown), scale=4),
        alt=_("attribution maps over {n} of these mistakes: red pixels pushed towards the wrong answer.")
        .format(n=len(shown)))
    folder = tags_folder(run_id)
    tags = load_tags(folder)
    cols = st.columns(len(shown))
    for col, i in zip(cols, shown):
        now = tag_of(tags, data.name, i)
        choice = col.selectbox(f"#{i}", ["untagged", *TAGS], index=0 if now is None else 1 + TAGS.index(now),
                               key=f"eval_tag_{run_id}_{i}", format_func=tag_name)
        new = None if choice == "untagged" else choice
        if new != now:
            with friendly_errors():
                tags = set_tag(folder, data.name, i, new, actor=who())
    counts = summary(tags, data.name)
    wrong = int((ev.pred != ev.labels).sum())
    st.caption(ngettext("Tags kept with this model: {ambiguous} ambiguous, {mislabelled} mislabelled, {errors} model "
                        "errors, of its {n} mistake on this test set.",
                        "Tags kept with this model: {ambiguous} ambiguous, {mislabelled} mislabelled, {errors} model "
                        "errors, of its {n} mistakes on this test set.", wrong).format(
        ambiguous=counts["ambiguous"], mislabelled=counts["mislabelled"], errors=counts["model error"], n=wrong))


def tag_name(tag: str) -> str:
    """A mistake tag's key (``mistakes.TAGS``) in words."""
    return {"untagged": _("untagged"), "ambiguous": _("ambiguous"), "mislabelled": _("mislabelled"),
            "model error": _("model error")}.get(tag, tag)
