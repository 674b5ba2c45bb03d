
from .conftest import grid_numbers, grids, has, no_exception, texts


def small_run(sample):
    import ui.common
    from mnist_core import presets
    from mnist_core.jobs.local import SlotQueue, TrainingJob
    from mnist_core.training.config import TrainConfig
    p = presets.get("fast")
    job = TrainingJob(p.spec(), TrainConfig.from_dict({**p.train, "max_batches": 25}), sample,
                      store=ui.common.store(), name="tt run", slots=SlotQueue(1)).start()
    job.join(120)
    assert job.snapshot().state == "finished"
    return job.snapshot().run_id


def test_scrub_a_run_from_its_random_start(app, sample):
    import ui.common
    from mnist_core.experiments.timetravel import snapshots
    run_id = small_run(sample)
    snaps = snapshots(ui.common.store().info(run_id).path)
    assert [s.label for s in snaps] == ["the random start", "step 1", "step 2", "step 5", "step 10",  # 16 steps
                                        "end of epoch 1"]
    at = app("timetravel")
    at.session_state["active_model"] = run_id
    no_exception(at.run(timeout=120))
    assert "time travel: end of epoch 1" in texts(at)
    trained = float(at.metric[0].value.rstrip("%"))
    at.select_slider(key="tt_index").set_value(0).run(timeout=120)
    no_exception(at)
    assert "time travel: the random start" in texts(at)
    assert float(at.metric[0].value.rstrip("%")) < trained - 30  # it had learned nothing yet
    # its answer, a picture of bars, and its confusion, a table of counts (nothing reads a click on either)
    assert has(at, "tt_answer") and has(at, "tt_confusion")
    (cells,) = grids(at)
    assert cells[0][1:] == [str(c) for c in range(10)]  # predicted across, true down, by their names
    confusion = grid_numbers(cells)
    assert confusion.shape == (10, 10) and confusion.sum() == 1000  # the fixed 1,000 test digits
    # the kernels and their maps are pictures (nothing clicks them; playing redraws them each second)
    captions = [img.caption for el in at.get("image") for img in el.proto.imgs]
    assert any(c.startswith("First-layer kernels at the random start · blue -") for c in captions), captions
    assert "What they make of the input" in captions
    assert not has(at, "tt_embedding")  # in a tab not open: not computed, not sent
    at.session_state["tt_tab"] = "The digits in its last layer"
    no_exception(at.run(timeout=120))
    assert has(at, "tt_embedding") and not has(at, "tt_answer") and not at.get("image")
    assert "time travel: the random start" in texts(at)  # the moment stays
    at.button(key="tt_play").click().run(timeout=120)
    assert at.session_state["timetravel_playing"] and at.session_state["tt_index"] in (0, 1)


def test_demo_replays_at_once(app):
    at = no_exception(app("timetravel").run(timeout=120))
    assert "time travel: end of epoch" in texts(at)


def test_a_link_opens_a_moment_and_bad_values_fall_back(app):
    at = app("timetravel")
    at.query_params.update({"moment": "0", "cls": "2"})
    no_exception(at.run(timeout=120))
    assert "time travel: the random start" in texts(at)
    bad = app("timetravel")
    bad.query_params.update({"moment": "soon", "model": "gone"})
    no_exception(bad.run(timeout=120))
    assert "time travel: end of epoch" in texts(bad)
    assert any("moment='soon'" in i.value for i in bad.info) and any("'gone'" in i.value for i in bad.info)
