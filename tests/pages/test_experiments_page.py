import base64

from .conftest import has, no_exception, texts


def perturbed_line(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("perturbed:"))


def test_perturb_a_digit_and_the_url_follows(app):
    at = no_exception(app("experiments").run(timeout=120))
    assert perturbed_line(at).startswith("perturbed: rotate 30")
    at.selectbox(key="ex_kind").set_value("noise").run(timeout=120)
    at.slider(key="ex_strength").set_value(40).run(timeout=120)
    no_exception(at)
    assert perturbed_line(at).startswith("perturbed: noise 40")
    assert at.query_params["kind"] in ("noise", ["noise"]) and at.query_params["strength"] in ("40", ["40"])
    at.slider(key="ex_strength").set_value(0).run(timeout=120)
    assert "Original: **7** (" in texts(at) and "→ perturbed: **7**" in texts(at)  # strength 0: the same digit
    # the original's and the perturbed one's bars, and the two digits: pictures, named in their legend and captions
    (bars,) = [img.url for el in at.get("image") for img in el.proto.imgs if "What the network thinks" in img.caption]
    svg = base64.b64decode(bars.split(",", 1)[1]).decode()
    assert ">original<" in svg and ">noise 0<" in svg
    assert has(at, "ex_pair") and has(at, "ex_probs")
    at.button(key="ex_flip").click().run(timeout=120)
    no_exception(at)
    assert "pixels that mattered most" in texts(at) or "still says" in texts(at)


def test_a_shared_link_opens_the_same_view_and_bad_values_fall_back(app):
    at = app("experiments")
    at.query_params.update({"kind": "shift", "strength": "5", "cls": "3", "k": "2"})
    no_exception(at.run(timeout=120))
    assert perturbed_line(at).startswith("perturbed: shift 5")
    assert at.selectbox(key="ex_class").value == 3 and at.number_input(key="ex_k").value == 2
    bad = app("experiments")
    bad.query_params.update({"kind": "melt", "strength": "lots", "cls": "12", "model": "no-such-run", "k": "99999"})
    no_exception(bad.run(timeout=120))
    notes = " ".join(i.value for i in bad.info)
    assert "kind='melt'" in notes and "strength='lots'" in notes and "cls='12'" in notes and "no-such-run" in notes
    assert perturbed_line(bad).startswith("perturbed: rotate 30")


def test_robustness_curves_and_surgery(app):
    import ui.common
    at = no_exception(app("experiments").run(timeout=120))
    assert not has(at, "ex_curves") and not has(at, "sx_off")  # the perturbation's tab is open; the others do not run
    at.session_state["ex_tab"] = "Robustness curves"
    no_exception(at.run(timeout=180))
    assert at.get_by_key("ex_curves") is not None and not has(at, "ex_pair")
    at.session_state["ex_tab"] = "CNN surgery"
    no_exception(at.run(timeout=120))
    at.multiselect(key="sx_off").set_value(list(range(16))).run(timeout=120)
    at.button(key="sx_apply").click().run(timeout=180)
    no_exception(at)
    assert any("Operated copy" in i.value for i in at.info)
    assert not at.error, [e.value for e in at.error]  # its feature maps and reading drawn, not a NameError
    assert any(c.value.startswith("The digit above now reads") for c in at.caption)
    acc = next(m for m in at.metric if m.label.startswith("Test accuracy"))
    assert float(acc.value.rstrip("%")) < 30  # every first-layer filter off: near chance
    assert at.get_by_key("sx_bars") is not None
    at.button(key="sx_save").click().run(timeout=120)
    assert "filters 0, 1" in ui.common.store().list()[0].summary["note"]
    at.button(key="sx_reset").click().run(timeout=120)
    assert not any("Operated copy" in i.value for i in at.info)
    at.button(key="sx_sweep").click().run(timeout=180)
    no_exception(at)
    assert "Each filter switched off alone" in texts(at) and len(at.dataframe) >= 1


def test_switching_to_a_smaller_model_keeps_working(app, sample):
    """Filters chosen on a wide model must not break the page for a narrower one."""
    import ui.common
    from mnist_core import presets
    from mnist_core.training.config import TrainConfig
    from mnist_core.training.loop import fit
    p = presets.get("seed000")  # 4 first-layer filters
    cfg = TrainConfig.from_dict({**p.train, "epochs": 1, "max_batches": 2})
    run = ui.common.store().save_result("tiny", p.spec(), cfg, fit(p.spec(), cfg, sample), "sample")
    at = no_exception(app("experiments").run(timeout=120))
    at.session_state["ex_tab"] = "CNN surgery"
    no_exception(at.run(timeout=120))
    at.multiselect(key="sx_off").set_value([10, 12]).run(timeout=120)
    at.session_state["active_model"] = run.run_id
    labels = at.selectbox(key="ex_model").options
    at.selectbox(key="ex_model").set_value(next(l for l in labels if run.run_id in l)).run(timeout=120)
    no_exception(at)
    assert at.multiselect(key="sx_off").value == []
