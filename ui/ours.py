"""Our handwriting in the app: the "Our class" dataset of this session, Contribute on the Draw page,
the teacher's review grid with export and import, and the "how many digits by how many writers" line
that goes beside every figure on our digits.

Everything is decided in ``mnist_core.classroom`` (who may see, keep, drop, export, import); this
module only shows it. The set is per actor, so it is built from the database for this session and
never put in a cache keyed by the dataset's name.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnist_core import charts
from mnist_core.classroom import ClassroomError, classes, drawings, handwriting
from mnist_core.classroom.identity import Actor
from mnist_core.data import Dataset
from mnist_core.i18n import N_, _, ngettext
from mnist_core.safe_text import plain
from ui import state
from ui.common import friendly_errors
from ui.identity import who

GRID_PAGE = 60  # digits per page of the review grid
GRID_COLS = 10


def is_ours(data: Dataset | None) -> bool:
    return data is not None and data.train_writers is not None


def me() -> Actor:
    """This session's actor for our digits: in their class when the session's actor is a student who is a
    member of exactly one open class (joined on another page or tab), else the session's actor itself."""
    actor = state.actor()
    if actor.class_id is None and not actor.is_teacher:
        try:
            rooms = classes.my_classes(actor)
            if len(rooms) == 1:
                return classes.member_actor(actor.visitor_id, rooms[0].id)
        except ClassroomError:  # the database said no: the page shows it where the digits are used
            pass
    return actor


def our_set(actor: Actor | None = None) -> Dataset | None:
    """This session's "Our class" set, built from the database now; None (with the reason shown) if it cannot be."""
    with friendly_errors(_("our digits")):
        data = handwriting.our_dataset(actor or me())
        if sum(data.sizes()) == 0:
            st.info(_("No digits in our set yet: on the Draw page, switch on \"Contribute\", draw the digit it "
                      "asks for and keep it."))
            return None
        return data
    return None


def mnist() -> Dataset | None:
    """MNIST itself, for the figures that put our digits beside it."""
    from ui.common import _dataset
    with friendly_errors("MNIST"):
        return _dataset("mnist", None)
    return None


def count_line(n: int, writers: int) -> str:
    """What a figure stands on, in words: "12 digits by 3 writers"."""
    return ngettext("{n} digit", "{n} digits", n).format(n=n) + " · " + \
        ngettext("{w} writer", "{w} writers", writers).format(w=writers)


def say_counts(n: int, writers: int):
    """The count line beside a figure, and a warning when it is too little to conclude from."""
    st.caption(_("On {what}.").format(what=count_line(n, writers)))
    why = handwriting.too_few(n, writers)
    if why:
        st.warning(why)


def _where(actor: Actor) -> str:
    if actor.class_id is not None:
        name = plain(actor.nickname, 24) if actor.nickname else _("the teacher")
        return _("your class's set, as {name}").format(name=name)
    return _("your own set (you are not in a class: only you and the teacher see it)")


PRIVACY = N_("Only the 28x28 digit, its label (the digit asked for) and a pseudonym are stored, with the time: "
           "no canvas, no picture, no IP address.")


# --- Contribute (the Draw page) ---------------------------------------------------------------------------------

def contribute_header() -> bool:
    """The Contribute switch, and while it is on, the digit to draw; returns whether it is on."""
    on = st.toggle(_("Contribute to our digits"), key="draw_contribute",
                   help=_("The app asks for a digit; draw it and keep it in our set."))
    if not on:
        return False
    actor = me()
    st.caption(_(PRIVACY))
    st.caption(_("Your digits go to {where}.").format(where=_where(actor)))
    prompt = state.CONTRIB_PROMPT.get()
    if prompt is None:
        with friendly_errors(_("prompt")):
            prompt = handwriting.next_prompt([d.label for d in drawings.my_drawings(actor)])
        prompt = 0 if prompt is None else prompt
        state.CONTRIB_PROMPT.set(prompt)
    st.markdown(_("### Draw a **{digit}**").format(digit=prompt))
    return True


def _new_prompt(actor: Actor):
    state.CONTRIB_PROMPT.clear()
    with friendly_errors(_("prompt")):
        state.CONTRIB_PROMPT.set(handwriting.next_prompt([d.label for d in drawings.my_drawings(actor)]))
    state.CANVAS_GENERATION.set(state.CANVAS_GENERATION.get() + 1)  # a fresh canvas for the next digit


def contribute_footer(steps, contributing: bool):
    """Keep or skip the drawing (when contributing), my digits, and the teacher's review."""
    actor = me()
    if contributing:
        st.subheader(_("Keep it in our digits"))
        prompt = state.CONTRIB_PROMPT.get()
        ready = steps is not None and not steps.empty and prompt is not None
        k1, k2 = st.columns(2)
        keep = k1.button(_("✅ Keep this as a {digit}").format(digit=prompt), key="draw_keep", type="primary",
                         disabled=not ready)
        if k2.button(_("Skip: ask for another digit"), key="draw_skip"):
            _new_prompt(actor)
            st.rerun()
        if not ready:
            st.caption(_("Draw the digit first; then keep it (even if the model is not sure what it is: its label "
                         "is the digit asked for)."))
        if keep and ready:
            with friendly_errors(_("keep")):
                drawings.add_drawing(actor, prompt, steps.as_uint8())
                state.CONTRIB_KEPT.set(prompt)
                _new_prompt(actor)
                st.rerun()
        kept = state.CONTRIB_KEPT.get()
        if kept is not None:
            st.success(_("Kept your {digit}. Thank you!").format(digit=kept))
        my_digits(actor)
    if actor.is_teacher:
        teacher_review(actor)


def my_digits(actor: Actor):
    with friendly_errors(_("my digits")):
        mine = drawings.my_drawings(actor)
        with st.expander(ngettext("My digits ({n})", "My digits ({n})", len(mine)).format(n=len(mine))):
            if not mine:
                st.caption(_("None kept yet."))
                return
            _grid(mine, "draw_mine_del", "🗑️", lambda d: drawings.delete_drawing(actor, d.id))
            sure = st.checkbox(_("Yes, delete all my digits"), key="draw_mine_sure")
            if st.button(_("🗑️ Delete all my digits"), key="draw_mine_all", disabled=not sure):
                with friendly_errors(_("delete")):
                    n = drawings.delete_my_drawings(actor)
                    state.CONTRIB_KEPT.clear()
                    st.toast(ngettext("Deleted {n} digit.", "Deleted {n} digits.", n).format(n=n))
                    st.rerun()


def _grid(items: list[drawings.DrawingInfo], key: str, button: str, drop, names: dict[str, str] | None = None):
    """Digits in rows of ten, each with its label (and writer) and a button that drops it."""
    pages = max(1, -(-len(items) // GRID_PAGE))
    page = st.number_input(_("Page"), 1, pages, 1, key=f"{key}_page") if pages > 1 else 1
    shown = items[(page - 1) * GRID_PAGE: page * GRID_PAGE]
    for row in range(0, len(shown), GRID_COLS):
        cols = st.columns(GRID_COLS)
        for col, d in zip(cols, shown[row:row + GRID_COLS]):
            col.image(np.kron(d.pixels, np.ones((2, 2), np.uint8)), width=56)
            who = f" · {plain(names.get(d.writer, ''), 12)}" if names else ""
            col.caption(f"{d.label}{who}")
            if col.button(button, key=f"{key}_{d.id}", help=_("Drop this digit")):
                with friendly_errors(_("drop")):
                    drop(d)
                    st.rerun()


def _review_actor(actor: Actor) -> Actor | None:
    """The teacher's actor for the set to review: their class, or one they pick (or their own set)."""
    if actor.class_id is not None:
        return actor
    with friendly_errors(_("classes")):
        rooms = [c for c in classes.open_classes(actor) if c.closed is None]
        options = [None] + [c.id for c in rooms]
        titles = {c.id: f"{plain(c.title, 40)} ({c.code})" for c in rooms}
        pick = st.selectbox(_("Set"), options, key="draw_review_class",
                            format_func=lambda i: _("My own digits") if i is None else titles[i])
        return Actor(actor.visitor_id, True, pick, actor.nickname)
    return None


def teacher_review(actor: Actor):
    """Counts per digit and per writer, the grid where bad digits are dropped, export and import."""
    st.subheader(_("Our digits: the teacher's review"))
    who = _review_actor(actor)
    if who is None:
        return
    with friendly_errors(_("review")):
        items = drawings.set_drawings(who)
        names = handwriting.writer_names(items, who)
        labels = np.array([d.label for d in items], dtype=np.int64)
        writers = [d.writer for d in items]
        say_counts(len(items), len(set(writers)))
        if items:
            c1, c2 = st.columns(2)
            c1.plotly_chart(charts.class_balance(np.bincount(labels, minlength=10), [str(i) for i in range(10)],
                                                 _("Digits per class")), key="draw_review_balance")
            rows = []
            for w in dict.fromkeys(writers):
                mine = labels[np.array(writers, dtype=object) == w]
                rows.append({_("writer"): names[w], _("digits"): len(mine),
                             **{str(k): int((mine == k).sum()) for k in range(10)}})
            c2.dataframe(_frame(rows), hide_index=True, key="draw_review_writers")
            st.caption(_("Drop the digits that are not what their label says (a scribble, a digit drawn for the "
                         "wrong prompt): one click each."))
            _grid(items, "draw_review_drop", _("Drop"), lambda d: drawings.delete_drawing(who, d.id), names)
    export_import(who)


def export_import(who: Actor):
    st.markdown(_("**Download or import a set** (.npz: images uint8 N x 28 x 28, labels, writer ids)"))
    e1, e2 = st.columns(2)
    with e1, friendly_errors(_("download")):
        nick = st.checkbox(_("Include the writers' nicknames"), key="draw_export_nicks",
                           help=_("Off: writers are numbers only in the file."))
        if drawings.set_drawings(who):
            st.download_button(_("⬇️ Download our digits (.npz)"),  # made on the click, not on every rerun
                               lambda: handwriting.export_npz(who, nicknames=nick),
                               file_name="our-digits.npz", mime="application/octet-stream", key="draw_export")
    with e2:
        up = st.file_uploader(_("Import a digits file into this set"), type=["npz"], key="draw_import")
        if up is not None and st.button(_("Import"), key="draw_import_go"):
            with friendly_errors(_("import")):
                n = handwriting.import_npz(who, up.getvalue(), up.name)
                st.success(ngettext("Imported {n} digit.", "Imported {n} digits.", n).format(n=n))


# --- the figures of the model pages on our digits -----------------------------------------------------------

def per_writer_table(pred: np.ndarray, labels: np.ndarray, writers: list[str], names: dict[str, str]):
    """Whose handwriting the model reads worst: accuracy per writer, worst first."""
    from mnist_core.adapt import per_writer
    rows = [{_("writer"): names.get(w, w), _("accuracy"): acc, _("digits"): n}
            for w, acc, n in per_writer(pred, labels, writers)]
    st.dataframe(_frame(rows), hide_index=True, key="eval_per_writer",
                 column_config={_("accuracy"): st.column_config.NumberColumn(format="percent")})


def as_all_test(data: Dataset, held_out_only: bool = False) -> Dataset:
    """Our set with every digit (or the held-out writers' only) as its test split: what a model page reads."""
    import dataclasses
    if held_out_only:
        return dataclasses.replace(data, kind=data.kind + "-held")
    images, labels, writers = handwriting.all_digits(data)
    return dataclasses.replace(data, test_images=images, test_labels=labels, test_writers=writers,
                               kind=data.kind + "-all")


def _frame(rows):
    import pandas as pd  # here, not at the top: the Dataset page imports this module and shows without pandas
    return pd.DataFrame(rows)


def input_set(data: Dataset) -> Dataset:
    """The set a page picks one input digit from: all our digits for ours (captioned), else ``data`` itself."""
    if not is_ours(data):
        return data
    full = as_all_test(data)
    st.caption(_("One of our digits ({what}).").format(what=count_line(len(full.test_labels), len(data.writer_names))))
    return full


def map_set(data: Dataset) -> Dataset:
    """The digits a map is made of: MNIST's training digits when the input is one of ours."""
    return (mnist() or data) if is_ours(data) else data


def dataset_section(data: Dataset):
    """The Dataset page on our digits: the grid, the balance, our mean digits beside MNIST's, and per writer."""
    from mnist_core.explain import digits as ins
    images, labels, writers = handwriting.all_digits(data)
    names = data.writer_names
    st.caption(_("Test split = held-out writers (never random digits): {held}; the rest: {rest}.").format(
        held=count_line(len(data.test_labels), len(set(data.test_writers or []))),
        rest=count_line(len(data.train_labels), len(set(data.train_writers or [])))))
    by_writer = st.multiselect(_("Writers"), list(names), format_func=lambda k: plain(names[k], 24),
                               key="ds_ours_writers", placeholder=_("all writers"))
    keep = np.array([not by_writer or x in by_writer for x in writers], dtype=bool)
    idx = np.flatnonzero(keep)
    shown = idx[:100]
    st.plotly_chart(charts.digit_grid(images[shown].numpy(), [str(int(labels[i])) for i in shown],
                                      captions=[f"{int(labels[i])} · {plain(names[writers[i]], 10)}" for i in shown]),
                    key="ds_ours_grid")
    st.caption(_("{shown} of {what} shown.").format(shown=len(shown), what=count_line(len(idx), len({
        writers[i] for i in idx}))))
    left, right = st.columns(2)
    left.plotly_chart(charts.class_balance(ins.class_counts(labels[idx]), data.classes, _("Our digits per class")),
                      key="ds_ours_balance")
    with right:
        rows = [{_("writer"): names[k], _("digits"): int(sum(1 for x in writers if x == k))} for k in names]
        st.dataframe(_frame(rows), hide_index=True, key="ds_ours_writer_counts")
    st.subheader(_("Our mean digits beside MNIST's"))
    st.plotly_chart(charts.digit_grid(ins.mean_digits(images[idx], labels[idx]),
                                      [_("ours {c}").format(c=c) for c in data.classes], cols=10,
                                      title=_("Our mean digit of each class")), key="ds_ours_means")
    say_counts(len(idx), len({writers[i] for i in idx}))
    ref = mnist()
    if ref is not None:
        st.plotly_chart(charts.digit_grid(ins.mean_digits(ref.train_images, ref.train_labels),
                                          [f"MNIST {c}" for c in ref.classes], cols=10,
                                          title=_("MNIST's mean digit of each class ({n:,} training digits)").format(
                                              n=len(ref.train_labels))), key="ds_ours_mnist_means")
        st.caption(_("Where the two differ (thicker strokes, another slant, a 1 with a flag, a 7 with a bar) is "
                     "where a model trained on MNIST meets handwriting it has not seen."))


def evaluation_set(data: Dataset) -> Dataset:
    """Evaluation on our digits: all of them, or only the held-out writers (the honest test of a fine-tuned model)."""
    choice = st.radio(_("Our digits to test on"), ["all", "held"], horizontal=True, key="eval_ours_which",
                      format_func=lambda c: _("All our digits") if c == "all" else _("Held-out writers only"),
                      help=_("A model fine-tuned on our digits must be tested on writers it has not seen."))
    out = as_all_test(data, held_out_only=choice == "held")
    if len(out.test_labels) == 0:
        st.info(_("No held-out writers yet: with one writer, nobody can be held out (the test is by writer)."))
        st.stop()
    return out


def beside_mnist(run_id: str, spec, model, data: Dataset, ev, evaluate):
    """Our digits' accuracy and calibration beside MNIST test's, and per writer: whose handwriting is read worst."""
    from mnist_core.calibration import reliability
    writers = list(data.test_writers or [])
    n_w = len(set(writers))
    st.subheader(_("Our digits beside MNIST test"))
    ref = mnist()
    m1, m2 = st.columns(2)
    m1.metric(_("Accuracy on our digits"), f"{ev.accuracy:.1%}")
    m1.caption(count_line(len(ev.labels), n_w))
    if ref is not None:
        with friendly_errors("MNIST test"):
            ev_m = evaluate(run_id, (ref.name, ref.kind, len(ref.test_labels)), spec, model, ref)
            m2.metric(_("Accuracy on MNIST test"), f"{ev_m.accuracy:.2%}",
                      delta=f"{(ev.accuracy - ev_m.accuracy) * 100:+.1f} " + _("points on ours"), delta_color="off")
            m2.caption(ngettext("{n} digit", "{n} digits", len(ev_m.labels)).format(n=f"{len(ev_m.labels):,}"))
            r1, r2 = st.columns(2)
            r1.plotly_chart(charts.reliability_diagram(reliability(ev.probs, ev.labels)), key="eval_ours_rel")
            r1.caption(_("Our digits ({what})").format(what=count_line(len(ev.labels), n_w)))
            r2.plotly_chart(charts.reliability_diagram(reliability(ev_m.probs, ev_m.labels)), key="eval_mnist_rel")
            r2.caption(_("MNIST test"))
    say_counts(len(ev.labels), n_w)
    st.markdown(_("**Whose handwriting does it read worst?**"))
    per_writer_table(ev.pred, ev.labels, writers, data.writer_names)
    st.caption(_("Each writer's accuracy stands on their own few digits: with ten digits, one mistake is 10 points."))


# --- Adapt (the Training page) -------------------------------------------------------------------------------

def _score_row(what: str, before, after) -> dict:
    def pct(s):
        return None if s.accuracy is None else s.accuracy
    return {_("tested on"): what, _("before"): pct(before), _("after"): pct(after),
            _("digits"): after.n, _("writers"): after.writers or None,  # MNIST: its writers are not recorded per digit
            _("± (95%)"): None if after.accuracy is None else f"±{after.interval:.1%}"}


def adapt_section():
    """Fine-tune any model on MNIST plus our digits; before and after on our held-out writers and MNIST test."""
    from mnist_core import adapt
    from ui.common import load_model, model_options, store
    st.subheader(_("Adapt a model to our handwriting"))
    st.caption(_("Fine-tunes a copy of a model on batches that are half MNIST, half our digits (the training "
                 "writers'), then tests it on writers it has not seen and on MNIST test: did it learn our hands, "
                 "and did it forget MNIST? The split is by writer, never by digit."))
    opts = model_options()
    labels = list(opts)
    a1, a2, a3 = st.columns([3, 1, 1])
    choice = a1.selectbox(_("Model to adapt"), labels, key="adapt_model")
    steps = a2.number_input(_("Steps"), 20, adapt.MAX_STEPS, 200, 20, key="adapt_steps")
    lr = a3.number_input(_("Learning rate"), 1e-5, 1e-2, 5e-4, format="%.5f", key="adapt_lr")
    if st.button(_("🖐️ Fine-tune on MNIST plus our digits"), key="adapt_go"):
        with friendly_errors(_("adapt")):
            data, ref = our_set(), mnist()
            if data is not None and ref is not None:
                run_id = opts[choice]
                spec, model = load_model(run_id)
                with st.spinner(_("Fine-tuning for {n} steps…").format(n=int(steps))):
                    res = adapt.adapt(spec, model, ref, data, steps=int(steps), lr=float(lr))
                adapted = _("{name} + our digits").format(name=spec.name)[:80]  # the run's name in this session's words
                run = store().save_edited(adapted, spec, res.model, res.note(), parent=run_id,
                                         actor=who())
                state.ADAPT_LAST.set({"run": run.path.name, "from": run_id, "result": res})
    last = state.ADAPT_LAST.get()
    if last is None:
        return
    res = last["result"]
    st.success(_("Saved as a new model: {run} (pick it in any model picker).").format(run=plain(last["run"], 80)))
    st.dataframe(_frame([_score_row(_("our held-out writers"), res.before_ours, res.after_ours),
                               _score_row(_("MNIST test"), res.before_mnist, res.after_mnist)]),
                 hide_index=True, key="adapt_scores",
                 column_config={_("before"): st.column_config.NumberColumn(format="percent"),
                                _("after"): st.column_config.NumberColumn(format="percent")})
    st.caption(_("It learned from {what}.").format(what=count_line(res.trained_on.n, res.trained_on.writers)))
    say_counts(res.after_ours.n, res.after_ours.writers)
