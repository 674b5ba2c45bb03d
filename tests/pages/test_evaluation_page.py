from .conftest import has, no_exception


def test_evaluation_metrics_and_confusion_cell(app):
    at = no_exception(app("evaluation").run())
    acc = at.metric[0].value
    assert acc.endswith("%") and float(acc[:-1]) > 98
    assert has(at, "eval_per_class") and not has(at, "eval_cm") and not has(at, "eval_worst")  # one tab runs
    at.session_state["eval_tab"] = "Confusion matrix"
    no_exception(at.run())
    at.selectbox(key="eval_true").set_value(4).run()
    at.selectbox(key="eval_pred").set_value(9).run()
    no_exception(at)
    line = next(m.value for m in at.markdown if " read as " in m.value)
    n = int(line.split("**")[1])
    assert f"of class 4 {'was' if n == 1 else 'were'} read as 9" in line  # one digit, or several
    assert has(at, "eval_cell") == (n > 0)  # no element with that key: nothing to show
    at.session_state["eval_tab"] = "The most confident mistakes"
    no_exception(at.run())
    assert at.get_by_key("eval_worst") is not None
    at.session_state["eval_tab"] = "Confusion matrix"  # the chosen cell outlives a look at another tab
    no_exception(at.run())
    assert (at.selectbox(key="eval_true").value, at.selectbox(key="eval_pred").value) == (4, 9)


def test_reliability_diagram_and_no_false_dataset_warning(app):
    at = no_exception(app("evaluation").run())
    assert at.get_by_key("eval_reliability") is not None
    assert "temperature" in "\n".join(c.value for c in at.caption)
    assert not any("answers are guesses" in w.value for w in at.warning)  # the demo was trained on MNIST


def test_a_model_of_another_dataset_is_warned_about(app, tmp_path, sample):
    import ui.common
    from mnist_core import presets
    from mnist_core.runs import RunStore
    from mnist_core.training.config import TrainConfig
    from mnist_core.training.loop import fit
    p = presets.get("fast")
    cfg = TrainConfig.from_dict({**p.train, "max_batches": 2})
    res = fit(p.spec(), cfg, sample)
    run = RunStore(ui.common.RUNS_DIR).save_result("fashion model", p.spec(), cfg, res,
                                                   "Fashion-MNIST (full): 60,000 train", dataset="fashion")
    at = app("evaluation")
    at.session_state["active_model"] = run.run_id
    no_exception(at.run())
    assert any("trained on Fashion-MNIST; on MNIST" in w.value for w in at.warning), [w.value for w in at.warning]


def test_a_confusion_cell_explains_its_mistakes_and_tags_persist(app, monkeypatch):
    import ui.common
    from mnist_core.mistakes import load_tags
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", "k" * 24)
    visitor = app("evaluation")
    visitor.session_state["eval_tab"] = "Confusion matrix"
    visitor = no_exception(visitor.run(timeout=120))  # a visitor may not tag the demo's mistakes
    box = next(s for s in visitor.selectbox if s.key and s.key.startswith("eval_tag_demo_"))
    box.set_value("mislabelled").run(timeout=120)
    no_exception(visitor)
    assert any("nobody can change its tags" in e.value for e in visitor.error)
    assert load_tags(ui.common.store().root / ".demo") == {}
    at = app("evaluation")
    at.query_params["teacher"] = "k" * 24  # the teacher's tags, kept with the demo
    at.session_state["eval_tab"] = "Confusion matrix"
    at = no_exception(at.run(timeout=120))
    assert at.get_by_key("eval_mistakes") is not None
    tag_boxes = [s for s in at.selectbox if s.key and s.key.startswith("eval_tag_demo_")]
    assert tag_boxes
    tag_boxes[0].set_value("mislabelled").run(timeout=120)
    no_exception(at)
    index = int(tag_boxes[0].key.rsplit("_", 1)[1])
    tags = load_tags(ui.common.store().root / ".demo")
    assert tags[f"mnist:{index}"] == "mislabelled"
    assert any("1 mislabelled" in c.value for c in at.caption)
    at2 = app("evaluation")
    at2.session_state["eval_tab"] = "Confusion matrix"
    at2 = no_exception(at2.run(timeout=120))  # a new session reads the tag back
    assert any("1 mislabelled" in c.value for c in at2.caption)


def test_a_cells_mistakes_are_explained_once_per_model_and_digit(app, monkeypatch):
    import ui.explain
    calls = []

    def counted(*args, **kwargs):
        calls.append((args[3], args[4]))  # the method and the class
        return attribute(*args, **kwargs)

    attribute = ui.explain.attribute
    monkeypatch.setattr(ui.explain, "attribute", counted)
    ui.explain._attribution.clear()
    at = app("evaluation")
    at.session_state["eval_tab"] = "Confusion matrix"
    at = no_exception(at.run(timeout=120))
    shown = len(calls)
    assert 0 < shown <= 6 and {m for m, _target in calls} == {"integrated gradients"}
    assert len({target for _m, target in calls}) == 1  # towards the wrong class the cell names
    no_exception(at.run(timeout=120))  # a rerun (a tag, a tab and back, another visitor): no new map
    assert len(calls) == shown
    at.session_state["eval_tab"] = "How good"
    no_exception(at.run(timeout=120))
    at.session_state["eval_tab"] = "Confusion matrix"
    no_exception(at.run(timeout=120))
    assert len(calls) == shown and at.get_by_key("eval_mistakes") is not None
