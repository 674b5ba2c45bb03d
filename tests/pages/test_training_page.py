import time

from mnist_core.training import devices as T

from .conftest import no_exception, texts


def start_tiny_run(at, preset="seed001", epochs=1, batches=5):
    at.selectbox(key="tr_preset").set_value(preset).run()
    k = f"_{preset}"
    at.number_input(key="tr_epochs" + k).set_value(epochs)
    at.number_input(key="tr_mb" + k).set_value(batches)
    at.text_input(key="tr_name" + k).set_value("tiny test run")
    at.button[[b.label for b in at.button].index("▶️ Start training")].click().run()
    return at


def wait_done(at, timeout=120):
    t = time.time()
    while time.time() - t < timeout:
        job = at.session_state["job"]
        if not job.snapshot().active:
            return job
        time.sleep(0.2)
    raise AssertionError("the run did not finish")


def test_tiny_run_shows_metrics_and_lands_in_history(app):
    at = no_exception(app("training").run())
    assert any("No run yet" in i.value for i in at.info)
    start_tiny_run(at)
    no_exception(at)
    job = wait_done(at)
    assert job.snapshot().state == "finished"
    at.run()
    at.run()
    no_exception(at)
    assert any(m.label == "Loss" for m in at.metric)
    assert any("Test accuracy" in s.value for s in at.success)
    df = at.dataframe[0].value
    assert list(df["name"]) == ["tiny test run"] and list(df["status"]) == ["finished"]
    assert at.get_by_key("tr_overlay_chart") is not None


def test_form_starts_from_preset_settings(app):
    at = no_exception(app("training").run())
    at.selectbox(key="tr_preset").set_value("seed003").run()
    assert at.number_input(key="tr_lr_seed003").value == 0.01
    assert at.number_input(key="tr_bs_seed003").value == 64
    at.selectbox(key="tr_preset").set_value("seed001").run()
    assert at.number_input(key="tr_bs_seed001").value == 200


def test_stop_a_running_job(app):
    at = no_exception(app("training").run())
    start_tiny_run(at, epochs=30, batches=0)
    job = at.session_state["job"]
    t = time.time()
    while not job.snapshot().steps and time.time() - t < 60:
        time.sleep(0.1)
    at.run()
    no_exception(at)
    at.button(key="tr_stop").click().run()
    job.join(60)
    at.run()
    no_exception(at)
    assert job.snapshot().state == "stopped"
    assert "Stopped" in texts(at)


def test_rename_and_delete_from_history(app):
    at = no_exception(app("training").run())
    start_tiny_run(at, batches=2)
    wait_done(at)
    at.run()
    at.text_input(key="tr_new_name").set_value("renamed!").run()
    at.button(key="tr_rename").click().run()
    no_exception(at)
    assert list(at.dataframe[0].value["name"]) == ["renamed!"]
    at.checkbox(key="tr_sure").check().run()
    at.button(key="tr_delete").click().run()
    no_exception(at)
    assert any("Finished runs appear here" in c.value for c in at.caption)


def test_numpy_seed004_trains_from_here(app):
    at = no_exception(app("training").run())
    start_tiny_run(at, preset="seed004", batches=20)
    job = wait_done(at)
    assert job.snapshot().state == "finished" and job.snapshot().info.device == "CPU (NumPy)"


def test_sidebar_shows_a_live_run_on_other_pages(app, sample):
    # (AppTest drops the sidebar after switch_page, so the run is handed to a fresh app
    # on its default page, as session state would carry it there.)
    from mnist_core.jobs.local import SlotQueue, TrainingJob
    from mnist_core.presets import get
    from mnist_core.training.config import TrainConfig
    job = TrainingJob(get("seed001").spec(), TrainConfig(epochs=30), sample, name="sidebar run",
                      slots=SlotQueue(1)).start()
    try:
        at = app()
        at.session_state["job"] = job
        no_exception(at.run())
        assert at.title[0].value.endswith("Dataset")
        assert any("sidebar run" in w.value for w in at.sidebar.warning), [w.value for w in at.sidebar.warning]
    finally:
        job.stop()
        job.join(60)


def test_unavailable_device_is_a_one_line_error(app, monkeypatch):
    monkeypatch.setattr(T, "cuda_ok", lambda: False)
    at = no_exception(app("training").run())
    at.selectbox(key="tr_device_seed000").set_value("cuda")
    at.button[[b.label for b in at.button].index("▶️ Start training")].click().run()
    no_exception(at)
    assert any("CUDA was requested" in e.value for e in at.error)


def test_numpy_engine_greys_out_what_it_cannot_do(app):
    at = no_exception(app("training").run())
    at.selectbox(key="tr_preset").set_value("seed004").run()
    no_exception(at)
    assert at.selectbox(key="tr_opt_seed004").disabled and at.number_input(key="tr_wd_seed004").disabled
    assert at.checkbox(key="tr_aug_seed004").disabled
    assert not at.number_input(key="tr_lr_seed004").disabled
    assert any("NumPy" in i.value for i in at.info)


def test_sidebar_ticks_for_a_run_started_on_this_page(app):
    at = no_exception(app("training").run())
    start_tiny_run(at, epochs=3, batches=400)
    no_exception(at)
    try:
        assert any("tiny test run" in w.value for w in at.sidebar.warning), [w.value for w in at.sidebar.warning]
    finally:
        at.session_state["job"].stop()
        at.session_state["job"].join(60)


def test_another_visitors_delete_is_refused_in_one_line_and_the_run_survives(app, monkeypatch):
    import ui.common
    import ui.identity
    from mnist_core.classroom import browser, classes, identity
    from tests.pages.test_class_pages import _lay_run
    a, b = browser.arrive(), browser.arrive()
    room = classes.start_class(identity.teacher_actor(identity.new_visitor()[0]), "P3")
    ada = classes.join(a.actor, room.code, "Ada")
    classes.join(b.actor, room.code, "Bea")  # a classmate: sees Ada's run, may not change it
    run_id = "20260101-090000-ada-0001"
    _lay_run(ui.common.RUNS_DIR, run_id, ada)
    monkeypatch.setattr(ui.identity, "_cookies", lambda: {browser.VISITOR_COOKIE: b.token})
    at = no_exception(app("training").run())
    assert "Ada" in list(at.dataframe[0].value["owner"])
    at.selectbox(key="tr_edit_run").set_value(run_id)
    at.checkbox(key="tr_sure").check().run()
    at.button(key="tr_delete").click().run()
    no_exception(at)
    assert [e.value for e in at.error] == ["delete: only its owner or the teacher may delete this run"]
    assert (ui.common.RUNS_DIR / run_id).is_dir()
    at.text_input(key="tr_new_name").set_value("stolen").run()
    at.button(key="tr_rename").click().run()
    assert any("may rename this run" in e.value for e in at.error)
    monkeypatch.setattr(ui.identity, "_cookies", lambda: {browser.VISITOR_COOKIE: a.token})
    at = no_exception(app("training").run())  # the owner may
    at.selectbox(key="tr_edit_run").set_value(run_id)
    at.checkbox(key="tr_sure").check().run()
    at.button(key="tr_delete").click().run()
    no_exception(at)
    assert not (ui.common.RUNS_DIR / run_id).exists()
