"""Time travel: replay how a run's kernels, feature maps, answers and clusters formed."""

import re

import streamlit as st

from mnist_core import charts
from mnist_core.experiments.surgery import fixed_subset
from mnist_core.experiments.timetravel import EmbeddingBasis, frame, load_snapshot, snapshot_bytes, snapshots
from mnist_core.i18n import _
from mnist_core.runs import DEMO_DIR
from ui import state
from ui.common import dataset, describe, friendly_errors, lazy_tabs, load_model, model_options, store
from ui.explain import pick_input
from ui.fragment import fragment
from ui.links import clamp_linked, read_link, write_link

st.title("⏪ " + _("Time travel"))
read_link("timetravel", {"moment": "tt_index", "cls": "tt_class", "k": "tt_k"})
data = dataset()
if data is None:
    st.stop()


def moment_words(label: str) -> str:
    """A snapshot's label ("the random start", "step 20", "end of epoch 2") in this session's language."""
    if label == "the random start":
        return _("the random start")
    if m := re.fullmatch(r"step (\d+)", label):
        return _("step {n}").format(n=m.group(1))
    if m := re.fullmatch(r"end of epoch (\d+)", label):
        return _("end of epoch {n}").format(n=m.group(1))
    return label


def run_dir(run_id: str):
    return DEMO_DIR if run_id == "demo" else store().info(run_id).path


opts = {label: rid for label, rid in model_options().items() if snapshots(run_dir(rid))}
if not opts:
    st.info(_("No run with snapshots yet: train one on the Training page (every new run keeps them)."))
    st.stop()
labels = list(opts)
current = state.active_model()
choice = st.selectbox(_("Run"), labels, key="tt_model",
                      index=next((i for i, l in enumerate(labels) if opts[l] == current), 0))
run_id = opts[choice]
spec, final = load_model(run_id)
snaps = snapshots(run_dir(run_id))
x, image, label = pick_input(data, "tt")
subset = fixed_subset(data.test_labels, 1000)
st.caption(_("{n} snapshots ({mb} MB): log-spaced steps of the first epoch, then each epoch's end. Accuracy and "
             "confusion on a fixed 1,000 test digits.").format(n=len(snaps),
                                                               mb=f"{snapshot_bytes(run_dir(run_id)) / 1e6:.1f}"))


@st.cache_data(max_entries=512, ttl=3600, show_spinner=False)
def cached_frame(path: str, x_bytes: bytes, data_key: tuple, _spec, _snap, _x, _data):
    model = load_snapshot(_spec, _snap)
    return frame(_spec, model, _x, _data.test_images[subset], _data.test_labels[subset], _snap.label)


@st.cache_resource(max_entries=4, show_spinner=False)
def cached_basis(path: str, data_key: tuple, _spec, _final, _data):
    return EmbeddingBasis(_spec, _final, _data.train_images, _data.train_labels)


@st.cache_data(max_entries=512, ttl=3600, show_spinner=False)
def cached_coords(path: str, data_key: tuple, basis_key: str, _basis, _spec, _snap):
    return _basis.coords(load_snapshot(_spec, _snap))


data_key = (data.name, data.kind, len(data.test_labels))
if st.session_state.get("tt_index", -1) == -1:  # the link's default: the end
    st.session_state["tt_index"] = len(snaps) - 1
clamp_linked("tt_index", 0, len(snaps) - 1, "moment")  # stale, or a link's moment past this run's last
play = state.REPLAY_PLAYING.get()
b1, b2 = st.columns([1, 5])
if b1.button("⏸️ " + _("Pause") if play else "▶️ " + _("Play"), key="tt_play"):
    state.REPLAY_PLAYING.set(not play)
    if not play:
        st.session_state["tt_index"] = 0
    st.rerun()


def what_it_sees(f, moment: str):
    """The first layer's kernels and what they make of the input, its answer, its confusion."""
    left, right = st.columns(2)
    if f.kernels is not None:  # pictures, not figures: nothing clicks them, and playing redraws them each second
        svg, lim = charts.kernel_grid_svg(f.kernels)
        scale = _("blue {low} · white 0 · red {high}").format(low=f"{-lim:.2f}", high=f"+{lim:.2f}")
        left.container(key="tt_kernels").image(
            svg, caption=_("First-layer kernels at {moment}").format(moment=moment) + " · " + scale,
            alt=_("the first-layer kernels at {moment}, one small square of weights each.").format(moment=moment))
        right.container(key="tt_maps").image(
            charts.feature_maps_svg(f.maps[:16]), caption=_("What they make of the input"),
            alt=_("the feature maps these kernels make of the input at {moment}.").format(moment=moment))
    else:
        left.info(_("This network has no conv layer: no kernels to watch."))
    # a picture and a table (nothing reads a click here): playing redraws them each second, and as one
    # figure of two panels they were the last thing the page waited for
    answer, confusion = st.columns(2)
    answer.container(key="tt_answer").image(
        charts.probabilities_svg(f.probs, data.classes), caption=_("What the network thinks"),
        alt=_("a bar chart of its probability for each class at {moment}: {answer} is the highest.").format(
            moment=moment, answer=data.classes[int(f.probs.argmax())]))
    box = confusion.container(key="tt_confusion")
    box.caption(_("Confusion matrix on 1,000 test digits (colour: log count): true class down, predicted across"))
    box.html(charts.confusion_table(f.confusion, data.classes))


def digits_map(snap, moment: str):
    """1,000 training digits in the last hidden layer, on the final moment's axes."""
    with st.spinner(_("Fixing one map for every moment…")):
        basis = cached_basis(str(run_dir(run_id)), data_key, spec, final, data)
    xy = cached_coords(str(snap.path), data_key, str(run_dir(run_id)), basis, spec, snap)
    end = cached_coords(str(snaps[-1].path), data_key, str(run_dir(run_id)), basis, spec, snaps[-1])
    title = _("1,000 training digits in its last hidden layer,\non fixed axes, at {moment}").format(moment=moment)
    fig = charts.embedding_map(xy, basis.labels, data.classes, title)
    pad = 0.1 * (end.max(0) - end.min(0))  # the final picture's frame for every moment: clusters move, axes don't
    fig.update_xaxes(range=[end[:, 0].min() - pad[0], end[:, 0].max() + pad[0]])
    fig.update_yaxes(range=[end[:, 1].min() - pad[1], end[:, 1].max() + pad[1]])
    describe(
        _("a scatter plot of 1,000 training digits in its last hidden layer at {moment}, coloured by class.")
        .format(moment=moment))
    st.plotly_chart(fig, key="tt_embedding")


def replay():
    if state.REPLAY_PLAYING.get():  # step forward once a second
        nxt = st.session_state["tt_index"] + 1
        if nxt >= len(snaps):
            state.REPLAY_PLAYING.set(False)
            st.rerun(scope="app")
        st.session_state["tt_index"] = nxt
    i = st.select_slider(_("Moment in training"), options=list(range(len(snaps))), key="tt_index",
                         format_func=lambda j: moment_words(snaps[j].label))
    snap = snaps[i]
    write_link("timetravel", {"model": run_id, "moment": i, "cls": st.session_state.get("tt_class", 0),
                              "k": st.session_state.get("tt_k", 0)})
    moment = moment_words(snap.label)
    with friendly_errors(_("replay")):
        f = cached_frame(str(snap.path), x.numpy().tobytes(), data_key, spec, snap, x, data)
        m1, m2, m3 = st.columns(3)
        m1.metric(_("Test accuracy (1,000 digits)"), f"{f.accuracy:.1%}")
        m2.metric(_("Its answer"), f"{int(f.probs.argmax())} ({f.probs.max():.0%})")
        m3.metric(_("Moment"), moment)
        st.caption(_("time travel: {moment}").format(moment=moment))
        # One section at a time (the map of 1,000 digits is the slowest figure to draw): playing redraws
        # only the open one each second.
        seen_tab, map_tab = lazy_tabs([_("Kernels, answer and mistakes"), _("The digits in its last layer")],
                                      key="tt_tab")
        with seen_tab:
            if seen_tab.open:
                what_it_sees(f, moment)
        with map_tab:
            if map_tab.open:
                digits_map(snap, moment)


fragment(replay, run_every=1.0 if play else None)()
