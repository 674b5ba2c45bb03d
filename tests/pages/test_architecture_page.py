from .conftest import no_exception


def test_choose_preset_and_see_table(app):
    at = no_exception(app("architecture").run())
    at.selectbox(key="arch_preset_choice").set_value("seed002").run()
    at.button(key="arch_load").click().run()
    no_exception(at)
    df = at.table[0].value
    assert "1600" in set(df["input"]) and list(df["output"])[-1] == "10"
    assert at.metric[0].value == "121,930"


def test_break_the_spec_and_see_the_message(app):
    at = no_exception(app("architecture").run())  # seed001 by default
    # remove the Flatten layer (layer 7): the Linear now gets a map
    flatten = next(sb for sb in at.selectbox if sb.value == "Flatten")
    uid = flatten.key[1:].split("_")[0]
    at.button(key=f"del{uid}").click().run()
    no_exception(at)
    errs = [e.value for e in at.error]
    assert any("Linear 10" in e and "add a Flatten layer before it" in e for e in errs), errs
    assert at.button(key="arch_train").disabled


def test_add_layer_and_edit_settings(app):
    at = no_exception(app("architecture").run())
    at.button(key="arch_scratch").click().run()
    for kind in ("Conv2d", "Flatten", "Linear"):
        at.selectbox(key="arch_new_kind").set_value(kind).run()
        at.button(key="arch_add").click().run()
    no_exception(at)
    assert not at.error
    conv = next(sb for sb in at.selectbox if sb.value == "Conv2d" and sb.key.startswith("L"))
    uid = conv.key[1:].split("_")[0]
    at.number_input(key=f"L{uid}_kernel_size").set_value(5).run()
    no_exception(at)
    df = at.table[0].value
    assert list(df["output"])[:2] == ["8x24x24", "4608"]


def test_train_this_hands_over_to_training(app):
    at = no_exception(app("architecture").run())
    at.button(key="arch_train").click().run()
    no_exception(at)
    assert at.session_state["train_spec"].spec_dict["layers"][0]["type"] == "Conv2d"
    assert at.title[0].value.endswith("Training")
    assert at.radio(key="tr_source").value == "The network from the Architecture page"


def test_upload_bad_json_says_so(app):
    at = no_exception(app("architecture").run())
    at.file_uploader(key="arch_upload").upload("bad.json", b'{"layers": [{"type": "Conv9d"}]}', "application/json")
    at.run()
    no_exception(at)
    assert any("unknown layer type 'Conv9d'" in e.value for e in at.error)


def test_seed000_softmax_is_flagged(app):
    at = no_exception(app("architecture").run())
    at.selectbox(key="arch_preset_choice").set_value("seed000").run()
    at.button(key="arch_load").click().run()
    assert any("applies its own softmax" in w.value for w in at.warning)
    assert "Train this" in [b.label for b in at.button if b.key == "arch_train"][0]


def test_uploaded_spec_beyond_the_caps_is_explained_not_crashed(app):
    at = no_exception(app("architecture").run())
    spec = ('{"layers": [{"type": "Conv2d", "out_channels": 4000, "kernel_size": 3}, {"type": "Dropout", "p": 3.0},'
            ' {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}')
    at.file_uploader(key="arch_upload").upload("big.json", spec.encode(), "application/json")
    at.run()
    no_exception(at)
    errs = [e.value for e in at.error]
    assert any("layer 1" in e and "between 1 and 512 output channels" in e for e in errs), errs
