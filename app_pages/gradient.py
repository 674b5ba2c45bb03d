"""Trace a gradient: backpropagation as arithmetic, for one digit and one weight of the model; then the
optimizer's step for that weight and the loss on the same digit after it. All the computation is in
``mnist_core.explain.backprop``; this page picks the digit, the weight and the optimizer and shows the numbers."""

import numpy as np
import pandas as pd
import streamlit as st
import torch

from mnist_core import MnistLabError, charts
from mnist_core import inference as ins
from mnist_core.explain import backprop as bp
from mnist_core.i18n import _
from mnist_core.runs import DEMO_DIR
from mnist_core.safe_text import plain
from ui import state
from ui.common import describe, friendly_errors, lazy_tabs, model_and_data, small_table, store
from ui.explain import clamp, pick_input
from ui.links import read_link, write_link

st.title("📉 " + _("Trace a gradient"))
st.caption(_("Backpropagation with real numbers: for one digit and one weight, the loss, its gradient with respect "
             "to the network's scores, that gradient carried back layer by layer to the weight, then the optimizer's "
             "step and the loss after it. Every number is computed by the rule written beside it and checked against "
             "PyTorch's autograd."))

read_link("gradient", {"cls": "grad_class", "k": "grad_k", "weight": "grad_param", "o": "grad_out", "i": "grad_in",
                       "r": "grad_row", "c": "grad_col"})
run_id, spec, model, data = model_and_data("grad_model")
x, image, label = pick_input(data, "grad")


def _config(run: str) -> dict:
    try:
        return store().info(DEMO_DIR if run == "demo" else run).config or {}
    except MnistLabError:
        return {}


cfg = _config(run_id)
engine = cfg.get("engine") if isinstance(cfg.get("engine"), str) else None
probs_now = ins.predict(spec, model, x)
pred = int(probs_now.argmax())
t1, t2 = st.columns([1, 2])
target = t1.selectbox(
    _("The class the loss asks for"), list(range(spec.num_classes)), index=pred if label is None else int(label),
    format_func=lambda i: _("{c} (the label)").format(c=data.classes[i]) if i == label else data.classes[i],
    key=f"grad_target_{label}")  # another digit of another class starts on its own label
said = _("The network says **{pred}** ({p:.0%}).").format(pred=data.classes[pred], p=float(probs_now.max()))
if label is not None and target != label:
    said += " " + _("The loss asks for {t}: the gradient that would teach it this {c} is a {t}.").format(
        t=data.classes[target], c=data.classes[int(label)])
elif label is None:
    said += " " + _("A drawing has no label: the loss asks for the class chosen here.")
elif pred == label and probs_now.max() > 0.99:
    said += " " + _("It is right and sure, so the gradients are tiny: ask for another class to see a big one.")
t2.markdown(said)

# --- which weight -------------------------------------------------------------------------------------------
params = bp.learnable(spec, model)
if not params:
    st.info(_("This network has no weights to learn."))
    st.stop()


def _param_words(kind: str, param: str) -> str:
    if kind.startswith("BatchNorm"):
        return _("scale (gamma)") if param == "weight" else _("shift (beta)")
    return _("weight") if param == "weight" else _("bias")


names = [f"{p[0]}.{p[1]}" for p in params]  # the link's "weight": 4.weight, 11.bias
if st.session_state.get("grad_param") not in names:  # another model, or a link's weight this one lacks
    asked = st.session_state.pop("grad_param", None)
    if asked is not None and state.LINKED.get().pop("grad_param", None):
        st.info(_("The link's weight {w} is not in this network: showing {first} instead.").format(
            w=plain(str(asked)), first=names[0]))
choice = names.index(st.selectbox(
    _("Layer and weight"), names, key="grad_param",
    format_func=lambda n: _("Layer {n}: {label} · {what} {shape}").format(
        n=params[names.index(n)][0], label=params[names.index(n)][2],
        what=_param_words(spec.layers[params[names.index(n)][0] - 1].kind, params[names.index(n)][1]),
        shape="x".join(map(str, params[names.index(n)][3])))))
layer, param, lab, shape = params[choice]
kind = spec.layers[layer - 1].kind
mod = model[layer - 1]
c1, c2, c3, c4 = st.columns(4)


def _num(where, label: str, hi: int, default: int, key: str) -> int:
    """A whole-number widget from 0 to ``hi``; its default only when nothing (a link, a click) set it."""
    value = {} if key in st.session_state else {"value": default}
    return int(where.number_input(label, min_value=0, max_value=hi, key=key, **value))


if kind == "Conv2d" and param == "weight":
    o_n, i_n, k = shape[0], shape[1], shape[2]
    for key, hi in (("grad_out", o_n - 1), ("grad_in", i_n - 1), ("grad_row", k - 1), ("grad_col", k - 1)):
        clamp(key, hi)
    sel = (st.session_state.get("grad_kernel") or {}).get("selection", {}).get("points", [])
    if sel:  # a click on the kernel below picks its cell; only a new click moves it
        pt = (int(round(sel[0].get("y", -1))), int(round(sel[0].get("x", -1))))
        if pt != state.GRADIENT_CLICK.get() and 0 <= pt[0] < k and 0 <= pt[1] < k:
            state.GRADIENT_CLICK.set(pt)
            st.session_state["grad_row"], st.session_state["grad_col"] = pt
    out_c = _num(c1, _("Filter (of {n})").format(n=o_n), o_n - 1, 0, "grad_out")
    in_c = _num(c2, _("Input channel (of {n})").format(n=i_n), i_n - 1, 0, "grad_in")
    row = _num(c3, _("Kernel row"), k - 1, k // 2, "grad_row")
    col = _num(c4, _("Kernel column"), k - 1, k // 2, "grad_col")
    index = (out_c, in_c, row, col)
    kcol, _rest = st.columns([1, 2])
    describe(_("the kernel's weights as a grid of numbers; a click on one traces its gradient."), kcol)
    kcol.plotly_chart(charts.gradient_grid(mod.weight.detach()[index[0], index[1]].numpy(),
                                         _("Filter {o}, input channel {i}: click a weight").format(o=index[0],
                                                                                                    i=index[1]),
                                         mark=(index[2], index[3]), clickable=True),
                    key="grad_kernel", on_select="rerun", selection_mode="points")
elif param == "weight" and kind == "Linear":
    clamp("grad_out", shape[0] - 1)
    clamp("grad_in", shape[1] - 1)
    index = (_num(c1, _("Output unit (of {n})").format(n=shape[0]), shape[0] - 1, 0, "grad_out"),
             _num(c2, _("Input unit (of {n})").format(n=shape[1]), shape[1] - 1, 0, "grad_in"))
else:
    clamp("grad_out", shape[0] - 1)
    index = (_num(c1, _("Channel or unit (of {n})").format(n=shape[0]), shape[0] - 1, 0, "grad_out"),)

full = {"o": index[0], "i": index[1] if len(index) > 1 else 0, "r": index[2] if len(index) > 2 else 2,
        "c": index[3] if len(index) > 3 else 2}
write_link("gradient", {"model": run_id, "cls": st.session_state.get("grad_class", 0),
                        "k": st.session_state.get("grad_k", 0), "weight": names[choice], **full})

# --- which optimizer ---------------------------------------------------------------------------------------------
st.subheader(_("The optimizer"))
o1, o2, o3, o4 = st.columns(4)
default_opt = cfg.get("optimizer") if cfg.get("optimizer") in bp.OPTIMIZERS else "sgd"
opt = o1.selectbox(_("Optimizer"), bp.OPTIMIZERS, index=bp.OPTIMIZERS.index(default_opt), key=f"grad_opt_{run_id}")
default_lr = float(cfg["lr"]) if isinstance(cfg.get("lr"), (int, float)) and 0 < cfg["lr"] <= 10 else 0.01
lr = o2.number_input(_("Learning rate"), 1e-6, 10.0, default_lr, format="%.4g", key=f"grad_lr_{run_id}")
betas = tuple(cfg.get("betas") or (0.9, 0.999))
hyper: dict = {}
if opt in ("adam", "adamw"):
    b1 = o3.number_input("beta1", 0.0, 0.9999, float(betas[0]), format="%.4g", key=f"grad_b1_{run_id}")
    b2 = o4.number_input("beta2", 0.0, 0.99999, float(betas[1]), format="%.5g", key=f"grad_b2_{run_id}")
    hyper["betas"] = (float(b1), float(b2))
elif opt in ("momentum", "nesterov", "rmsprop"):
    hyper["momentum"] = float(o3.number_input(_("Momentum"), 0.0, 0.999, float(cfg.get("momentum", 0.9)),
                                              key=f"grad_mom_{run_id}"))
wd = cfg.get("weight_decay", 0.0)
hyper["weight_decay"] = float(wd) if isinstance(wd, (int, float)) and 0 <= wd < 1 else 0.0
ls = cfg.get("label_smoothing", 0.0)
smoothing = float(ls) if isinstance(ls, (int, float)) and 0 <= ls < 1 else 0.0
given: dict = {}
if opt != "sgd":
    start = st.radio(_("The optimizer's state"), [_("From zero: the first step"), _("From a state I type")],
                     horizontal=True, key="grad_state")
    if start == _("From a state I type"):
        s1, s2, s3 = st.columns(3)
        if opt in ("adam", "adamw"):
            given["step"] = s1.number_input(_("Steps taken so far"), 0, 10_000_000, 10, key="grad_st_t")
            given["exp_avg"] = s2.number_input("m", -1e6, 1e6, 0.0, format="%.6g", key="grad_st_m")
            given["exp_avg_sq"] = s3.number_input("v", 0.0, 1e12, 1e-6, format="%.6g", key="grad_st_v")
        elif opt in ("momentum", "nesterov"):
            given["momentum_buffer"] = s1.number_input(_("Velocity"), -1e6, 1e6, 0.0, format="%.6g", key="grad_st_b")
        else:
            given["square_avg"] = s1.number_input("v", 0.0, 1e12, 1e-6, format="%.6g", key="grad_st_v")
            given["momentum_buffer"] = s2.number_input(_("Velocity"), -1e6, 1e6, 0.0, format="%.6g",
                                                       key="grad_st_b")
if hyper["weight_decay"] or smoothing:
    st.caption(_("As this model was trained: weight decay {wd:g}, label smoothing {ls:g}.").format(
        wd=hyper["weight_decay"], ls=smoothing))


@st.cache_data(max_entries=64, show_spinner=False)
def _trace(run: str, xb: bytes, target: int, layer: int, param: str, index: tuple, opt: str, lr: float,
           given: tuple, smoothing: float, engine: str | None, hyper: tuple, _spec, _model):
    xt = torch.from_numpy(np.frombuffer(xb, dtype=np.float32).reshape(1, 1, 28, 28).copy())
    return bp.gradient(_spec, _model, xt, target, bp.WeightRef(layer, param, index), optimizer=opt, lr=lr,
                       state=dict(given), label_smoothing=smoothing, engine=engine, **dict(hyper))


def _lines(lines, key: str):
    small_table(pd.DataFrame([(ln.text, float(ln.value)) for ln in lines], columns=[_("the arithmetic"), _("value")]),
                key)


def _grad_map(where, m: np.ndarray, title: str, mark, key: str):
    """A layer's gradient map beside its arithmetic: a table of its numbers, coloured, when small enough to
    write them, else a picture (a page traced through seven layers drew seven figures: 1.5 s)."""
    m = np.atleast_2d(m)
    if max(m.shape) <= 10:
        table, title = charts.gradient_table(m, title, mark)
        box = where.container(key=key)
        box.caption(title + " · " + _("red above zero, blue below, the traced cell outlined"))
        box.html(table)  # rows and columns numbered from 0, as the arithmetic names cells
        return
    png, lim = charts.gradient_grid_png(m, mark)
    scale = _("blue {low} · white 0 · red {high}").format(low=f"{-lim:.2g}", high=f"+{lim:.2g}")
    where.container(key=key).image(
        png, caption=f"{title} · {scale}",  # its own size (at most 360 px), narrower where the column is
        alt=_("{title}, as colours: red above zero, blue below, the traced cell outlined in yellow.").format(
            title=title))


def _map_of(values: np.ndarray, cell: tuple):
    """The channel of a map that ``cell`` is in, and where in it (None for vectors)."""
    if values.ndim == 3 and len(cell) == 3:
        return values[cell[0]], (cell[1], cell[2])
    return None, None


def _numpy_shaped() -> bool:
    """A network of seed004's shape (two linear layers): its own NumPy backprop can redo the arithmetic."""
    from mnist_core.training.numpy_engine import check_spec
    try:
        check_spec(spec)
        return True
    except MnistLabError:
        return False


def loss_section(tr):
    st.subheader(_("1. The loss, and its gradient with respect to the scores"))
    if spec.ends_with_softmax() and not bp.probs_are_output(spec, engine):
        st.info(_("This network ends with a Softmax and the loss (cross-entropy) applies its own: the scores the "
                  "loss sees are already probabilities, and the gradient must pass back through the extra Softmax, "
                  "which shrinks it. That is seed000's bug, shown in numbers below."))
    df = pd.DataFrame({_("class"): data.classes[:len(tr.probs)], _("score (logit)"): tr.logits,
                       _("p = softmax"): tr.probs, _("target"): tr.target, _("dL/dscore = p - target"): tr.dlogits})
    small_table(df, "grad_loss_table", "{:.5g}")
    if smoothing:
        st.markdown(_("loss = - sum over classes of target x log p = **{loss:.5f}** (label smoothing {ls:g})")
                    .format(loss=tr.loss, ls=smoothing))
    else:
        st.markdown(_("loss = - log p[{c}] = - log {p:.5g} = **{loss:.5f}**").format(
            c=data.classes[target], p=float(tr.probs[target]), loss=tr.loss))


def chain_section(tr):
    st.subheader(_("2. Carried back, layer by layer"))
    if not tr.chain:
        st.caption(_("The weight is in the last layer: its output is the scores themselves."))
    for s in tr.chain:
        st.markdown(_("**Layer {n}: {label}**: {rule}").format(n=s.layer, label=plain(s.label), rule=_(s.rule)))
        left, right = st.columns([3, 2])
        with left:
            _lines(s.lines, f"grad_chain_{s.layer}")
            if s.terms:
                small_table(pd.DataFrame([(t.where, float(t.a), float(t.b), float(t.product)) for t in s.terms],
                                         columns=[_("from"), _("dL/d(output)"), _("weight"), _("product")]),
                            f"grad_terms_{s.layer}")
                st.caption(_("the {k} biggest of {n} products").format(k=len(s.terms), n=s.n_terms))
        m, where = _map_of(s.grad_in, s.cell)
        if m is not None:
            _grad_map(right, m, _("dL/d(input), channel {c}").format(c=s.cell[0]), where, f"grad_map_{s.layer}")
        ok = abs(s.value - s.autograd) <= bp.TOLERANCE and s.max_diff <= bp.TOLERANCE
        st.caption(("✅ " if ok else "⚠️ ") + _("cell ({cell}): {v:.6g} by hand, {a:.6g} by autograd; the largest "
                                               "difference over the whole layer is {d:.1e}").format(
            cell=", ".join(map(str, s.cell)), v=s.value, a=s.autograd, d=s.max_diff))


def weight_section(tr):
    st.subheader(_("3. At the weight"))
    st.markdown(_("Layer {n} ({label}), {what} {index}: its value is {w:.6g}").format(
        n=layer, label=plain(lab), what=_param_words(kind, param), index=tuple(index), w=tr.weight))
    _lines(tr.lines, "grad_weight_lines")
    if tr.grids:
        titles = {"upstream": _("dL/d(output) at each position"), "input": _("the input it met there"),
                  "products": _("products: their sum is dL/dw")}
        cols = st.columns(len(tr.grids))
        mark = tr.upstream_cell[1:] if len(tr.upstream_cell) == 3 else None
        for col, (name, grid) in zip(cols, tr.grids.items()):
            _grad_map(col, np.asarray(grid), titles[name], mark, f"grad_grid_{name}")


def step_section(tr):
    st.subheader(_("4. The optimizer's step, and the loss after it"))
    _lines(tr.step.lines, "grad_step_lines")
    a, b, c = st.columns(3)
    a.metric(_("Loss on this digit"), f"{tr.loss:.6f}")
    b.metric(_("After moving this weight alone"), f"{tr.loss_after:.6f}", f"{tr.loss_after - tr.loss:+.2e}",
             delta_color="inverse")
    if tr.loss_after_all is not None:
        c.metric(_("After one step of every weight"), f"{tr.loss_after_all:.6f}",
                 f"{tr.loss_after_all - tr.loss:+.2e}", delta_color="inverse")
    st.caption(_("First-order prediction for this weight alone: dL = g x dw = {g:.4g} x {dw:.4g} = {p:.3g}; the real "
                 "change is {r:.3g}. Every weight moving at once (one training step on this digit alone, from a zero "
                 "optimizer state) changes the loss far more.").format(
        g=tr.grad, dw=tr.step.delta, p=tr.predicted_change, r=tr.loss_after - tr.loss))


def seed004_section():
    """seed004's own NumPy backprop for the same weight (a network of its shape: two linear layers)."""
    st.subheader(_("5. The same through seed004's hand-written NumPy backprop"))
    st.caption(_("seed004 wrote its backward pass by hand in NumPy (dy = y - t, then W2's and W1's gradients by "
                 "matrix products) and checked it against a numerical gradient: nudge the weight by h either way and "
                 "see how the loss moves. Its network reads pixels from 0 to 1; the app's module folds the "
                 "normalisation into layer 2, so W1's numbers differ from layer 2's weights (W2 and b2 are the same)."))
    with friendly_errors(_("seed004")):
        key = ("W1" if param == "weight" else "b1") if layer == 2 else ("W2" if param == "weight" else "b2")
        nidx = (index[1], index[0]) if param == "weight" else index
        net = bp.numpy_net(spec, model)
        r = bp.numpy_gradient(net, np.asarray(image, dtype=np.float64).reshape(-1), target, key, nidx)
        _lines(r.lines, "grad_numpy_lines")
        rows = [(_("by the lines above"), r.grad),
                (_("numpy_engine's gradient() (the hand-written backprop)"), r.engine),
                (_("numerical: (L(w + h) - L(w - h)) / 2h, h = {h:g}").format(h=r.h), r.numerical),
                (_("autograd"), r.autograd), (_("|backprop - numerical|"), r.diff),
                (_("relative error"), r.relative_error),
                (_("SGD: w - {lr:g} x g").format(lr=r.lr), r.new_w), (_("loss before"), r.loss),
                (_("loss after the step"), r.loss_after)]
        small_table(pd.DataFrame([(w, float(v)) for w, v in rows], columns=[_("what"), _("value")]),
                    "grad_numpy_check")
        st.caption(("✅ " if r.diff <= bp.TOLERANCE else "⚠️ ") + _(
            "seed004 {key}{index}: backprop {g:.6g}, numerical {n:.6g}, difference {d:.1e}").format(
            key=key, index=list(nidx), g=r.engine, n=r.numerical, d=r.diff))


with friendly_errors(_("gradient")):
    tr = _trace(run_id, x.numpy().astype(np.float32).tobytes(), target, layer, param, index, opt, float(lr),
                tuple(sorted((k, float(v)) for k, v in given.items())), smoothing, engine,
                tuple(sorted((k, v) for k, v in hyper.items())), spec, model)
    # The answer first; how it was reached, one step a tab: the seven layers of arithmetic at once were
    # 170 elements, and the page took 0.6-0.7 s to settle.
    ok = tr.diff <= bp.TOLERANCE and tr.ok
    st.markdown(("✅ " if ok else "⚠️ ") + _("By hand: dL/dw = **{g:.6g}**; autograd: **{a:.6g}**; difference {d:.1e}"
                                            " (the check: under 1e-5).").format(g=tr.grad, a=tr.autograd, d=tr.diff))
    st.caption(_("gradient: layer {n} {param} {index} = {g:.6g}").format(n=layer, param=_param_words(kind, param),
                                                                          index=tuple(index), g=tr.grad))
    sections = [(_("1. The loss"), lambda: loss_section(tr)),
                (_("2. Carried back, layer by layer"), lambda: chain_section(tr)),
                (_("3. At the weight"), lambda: weight_section(tr)),
                (_("4. The optimizer's step"), lambda: step_section(tr))]
    if kind == "Linear" and _numpy_shaped():
        sections.append((_("5. seed004's NumPy"), seed004_section))
    for tab, (_label, draw) in zip(lazy_tabs([label for label, _draw in sections], key="grad_tab"), sections):
        with tab:
            if tab.open:
                draw()
