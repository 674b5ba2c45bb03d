"""Dataset: the digits themselves, by class and split; balance, means, a 2-D map."""

import numpy as np
import streamlit as st

from mnist_core import charts
from mnist_core.explain import digits as ins
from mnist_core.i18n import N_, _, ngettext
from ui import state
from ui.common import dataset, describe, describe_data, friendly_errors, lazy_tabs, load_model, load_torch
from ui.ours import dataset_section, is_ours

# No torch here (ui.common.TORCH_FREE_PAGES): the first page of a fresh server shows before torch has loaded.
# The digits are read as NumPy arrays; only the model's map (its own tab) loads torch.

st.title("🗂️ " + _("Dataset"))
data = dataset()
if data is None:
    st.stop()
classes = data.classes
if is_ours(data):  # our digits: by writer, beside MNIST's (the sections below are for the big file sets)
    load_torch()
    st.caption(describe_data(data))
    dataset_section(data)
    st.stop()
st.caption(describe_data(data))
SPLITS = {"train": N_("train"), "test": N_("test")}


@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def tsne(key: tuple, _images):
    """``key``: (dataset name, kind, size, split, n), all that the picture depends on besides the images."""
    return ins.tsne_2d(_images, n=key[-1])


@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def split_summary(key: tuple, _images, _labels):
    """``key``: (dataset name, kind, size, split): the split's pixel histogram and mean digits, computed
    once per split for every visitor (they are the same for everyone and take seconds on 60,000 digits)."""
    return ins.pixel_histogram(_images), ins.mean_digits(_images, _labels)


# --- browse -------------------------------------------------------------------------------
c1, c2, c3, c4 = st.columns([1, 3, 1, 1])
split = c1.radio(_("Split"), list(SPLITS), horizontal=True, key="ds_split", format_func=lambda s: _(SPLITS[s]))
chosen = c2.multiselect(_("Classes"), list(range(10)), format_func=lambda i: classes[i], key="ds_classes",
                        placeholder=_("all classes"))
if c3.button("🔀 " + _("Shuffle"), key="ds_shuffle"):
    state.SHUFFLE_SEED.set(int(np.random.default_rng().integers(1 << 30)))
per_page = 40
images, labels = data.arrays(split)
idx = np.flatnonzero(np.isin(labels, chosen)) if chosen else np.arange(len(labels))
seed = state.SHUFFLE_SEED.get()
if seed is not None:
    idx = np.random.default_rng(seed).permutation(idx)
pages = max(1, -(-len(idx) // per_page))
page = c4.number_input(_("Page"), 1, pages, 1, key="ds_page")
show = idx[(page - 1) * per_page: page * per_page]
st.caption(ngettext("{n} digit matches · page {page} of {pages}", "{n} digits match · page {page} of {pages}",
                    len(idx)).format(n=f"{len(idx):,}", page=page, pages=pages))

# One section at a time: the page settles as soon as the open tab's figures are drawn.
grid_tab, stats_tab, one_tab, proj_tab, maps_tab = lazy_tabs(
    [_("Digits"), _("Statistics"), _("One digit"), _("In two dimensions"), _("Pixels vs features")],
    key="ds_tab", keep=("ds_index", "ds_method", "ds_proj_n"))

with grid_tab:
    if grid_tab.open:
        # a picture (nothing clicks it): the first page a visitor sees then needs no Plotly at all, neither its
        # figure nor the browser's Plotly library, which a cold start waited for
        st.container(key="ds_grid").image(
            charts.digits_svg(images[show], [f"{classes[int(labels[i])]}\n#{int(i)}" for i in show], cols=10,
                              scale=2),
            alt=_("a grid of {n} digits from this page of the dataset, each labelled with its class and index.")
            .format(n=len(show)))

# --- statistics ---------------------------------------------------------------------------
with stats_tab:
    if stats_tab.open:
        left, right = st.columns(2)
        describe(_("a bar chart of how many digits each class has in this split."), left)
        left.plotly_chart(charts.class_balance(ins.class_counts(labels), classes,
                                               _("Digits per class ({split})").format(split=_(SPLITS[split]))),
                          key="ds_balance")
        (counts, edges), means = split_summary((data.name, data.kind, len(images), split), images, labels)
        describe(_("a histogram of how often each pixel brightness occurs in this split."), right)
        right.plotly_chart(charts.pixel_histogram(counts, edges), key="ds_hist")
        describe(_("the average image of each class: one blurred digit per class."))
        st.plotly_chart(charts.mean_digits(means, classes), key="ds_means")

# --- one digit up close ---------------------------------------------------------------------
with one_tab:
    if one_tab.open:
        st.subheader(_("One digit, pixel by pixel"))
        i = st.number_input(_("Index in this split"), 0, len(images) - 1, int(show[0]) if len(show) else 0,
                            key="ds_index")
        describe(_("digit #{i}, a {digit}, as a 28 x 28 grid of pixel brightnesses.").format(
            i=i, digit=classes[int(labels[i])]))
        st.plotly_chart(charts.digit_heatmap(images[i], _("#{i}: {digit} (hover for values)").format(
            i=i, digit=classes[int(labels[i])])), key="ds_one")

# --- 2-D projection ----------------------------------------------------------------------------
with proj_tab:
    if proj_tab.open:
        st.subheader(_("The digits in two dimensions"))
        method = st.radio(_("Method"), ["PCA", "t-SNE"], horizontal=True, key="ds_method",
                          help=_("PCA is instant; t-SNE takes a few seconds on a sample and separates the classes "
                                 "better."))
        n = st.slider(_("Digits in the picture"), 300, 3000, 1500, 100, key="ds_proj_n")
        with friendly_errors(_("projection")):
            load_torch()  # PCA runs in torch
            if method == "PCA":
                xy, used = ins.pca_2d(images, n=n)
            else:
                key = (data.name, data.kind, len(images), split, n)
                if state.TSNE_ASKED.get() != key:
                    if st.button(_("Run t-SNE"), key="ds_run_tsne"):
                        state.TSNE_ASKED.set(key)
                    else:
                        st.info(_("t-SNE runs on request: press the button (about 10 s for 1,500 digits)."))
                xy, used = None, None
                if state.TSNE_ASKED.get() == key:
                    with st.spinner(_("Running t-SNE…")):
                        xy, used = tsne(key, images)
            if xy is not None:
                describe(
                    _("a scatter plot of {n} digits placed in two dimensions by {method}, coloured by class.")
                    .format(n=len(used), method=method))
                st.plotly_chart(charts.projection(xy, labels[used], classes, method,
                                                  hover=[f"#{int(j)}" for j in used]), key="ds_proj")

# --- pixels vs what a network sees -----------------------------------------------------------------
with maps_tab:
    if maps_tab.open:
        st.subheader(_("What the network learned to separate"))
        st.caption(_("The same 2,000 training digits twice: by their raw pixels, and by the features the active "
                     "model's last hidden layer gives them. Change the active model on a model page."))
        with friendly_errors(_("maps")):
            load_torch()
            from ui.explain import embedding_map
            active = state.active_model()
            spec, _model = load_model(active)
            left, right = st.columns(2)
            for space, col in (("pixels", left), ("features", right)):
                m = embedding_map(active, data, space)
                name = _("Raw pixels") if space == "pixels" else _("{model}'s features").format(model=spec.name)
                describe(
                    _("a scatter plot of 2,000 training digits by {name}, coloured by class; separation {value}.")
                    .format(name=name, value=f"{m.separation:.2f}"), col)
                col.plotly_chart(charts.embedding_map(m.coords, m.labels, classes,
                                                      _("{name} · separation {value}").format(
                                                          name=name, value=f"{m.separation:.2f}")),
                                 key=f"ds_map_{space}")
