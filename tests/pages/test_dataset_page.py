from .conftest import has, no_exception, texts


def test_dataset_page_filters_and_pages(app):
    at = no_exception(app("dataset").run())
    assert app.train_count in texts(at) or "digits match" in texts(at)
    at.radio(key="ds_split").set_value("test").run()
    at.multiselect(key="ds_classes").set_value([3]).run()
    no_exception(at)
    import ui.common
    threes = int((ui.common.dataset().test_labels == 3).sum())  # 1,010 in MNIST; fewer in the sample
    assert any(f"{threes:,} digits match" in c.value for c in at.caption)
    at.number_input(key="ds_page").set_value(3).run()
    at.button(key="ds_shuffle").click().run()
    no_exception(at)
    assert at.get_by_key("ds_grid") is not None


def test_only_the_open_tab_is_has(app):
    at = no_exception(app("dataset").run())
    assert has(at, "ds_grid")  # the first tab: the digits
    for key in ("ds_balance", "ds_means", "ds_one", "ds_proj", "ds_map_pixels", "ds_map_features"):
        assert not has(at, key), key  # hidden tabs run nothing: no figure made, sent or drawn
    at.session_state["ds_tab"] = "Statistics"
    no_exception(at.run())
    assert has(at, "ds_balance") and has(at, "ds_means") and not has(at, "ds_grid")


def test_a_tab_keeps_its_widgets_values_when_another_is_open(app):
    at = app("dataset")
    at.session_state["ds_tab"] = "In two dimensions"
    no_exception(at.run())
    at.slider(key="ds_proj_n").set_value(600).run()
    at.session_state["ds_tab"] = "Digits"
    no_exception(at.run())
    at.session_state["ds_tab"] = "In two dimensions"
    no_exception(at.run())
    assert at.slider(key="ds_proj_n").value == 600


def test_projection_pca_and_tsne_on_request(app):
    at = app("dataset")
    at.session_state["ds_tab"] = "In two dimensions"
    no_exception(at.run())
    at.slider(key="ds_proj_n").set_value(300).run()
    at.radio(key="ds_method").set_value("t-SNE").run()
    no_exception(at)
    assert any("t-SNE runs on request" in i.value for i in at.info)
    at.button(key="ds_run_tsne").click().run()
    no_exception(at)
    assert not any("t-SNE runs on request" in i.value for i in at.info)


def test_pixels_vs_features_maps(app):
    at = app("dataset")
    at.session_state["ds_tab"] = "Pixels vs features"
    no_exception(at.run(timeout=120))
    assert at.get_by_key("ds_map_pixels") is not None and at.get_by_key("ds_map_features") is not None
    assert "What the network learned to separate" in [s.value for s in at.subheader]
