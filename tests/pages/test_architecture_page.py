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
    assert at.radio(key="arch_edit").options[6] == "7 · Flatten"
    at.radio(key="arch_edit").set_value(6).run()
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
    assert at.radio(key="arch_edit").value == 2  # the layer just added is the one shown
    at.radio(key="arch_edit").set_value(0).run()
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


def layer_shown(at) -> tuple[int, str, list[str]]:
    """The edited layer's position, type and settings' keys: the editor shows one layer at a time."""
    types = [sb for sb in at.selectbox if sb.key and sb.key.startswith("L") and sb.key.endswith("_type")]
    assert len(types) == 1, [sb.key for sb in types]
    return at.radio(key="arch_edit").value, types[0].value, [n.key for n in at.number_input]


def test_one_layer_is_edited_at_a_time_and_stays_picked(app):
    at = no_exception(app("architecture").run())  # seed001: Conv2d ReLU MaxPool2d Conv2d ReLU MaxPool2d Flatten Linear
    assert layer_shown(at)[:2] == (0, "Conv2d")
    at.radio(key="arch_edit").set_value(2).run()
    pos, kind, keys = layer_shown(at)
    assert (pos, kind) == (2, "MaxPool2d") and all(k.endswith(("kernel_size", "stride", "padding")) for k in keys)
    type_key = next(sb.key for sb in at.selectbox if sb.key.endswith("_type") and sb.key.startswith("L"))
    at.selectbox(key=type_key).set_value("Conv2d").run()  # a new type renames the picker's option: still layer 3
    assert layer_shown(at)[:2] == (2, "Conv2d")
    assert at.radio(key="arch_edit").options[2] == "3 · Conv2d"
    up = next(b.key for b in at.button if b.key and b.key.startswith("up"))
    at.button(key=up).click().run()  # moved one place earlier: the same layer, now second, is still shown
    assert layer_shown(at)[:2] == (1, "Conv2d")
    assert [o.split(" · ")[1] for o in at.radio(key="arch_edit").options][:3] == ["Conv2d", "Conv2d", "ReLU"]
    at.radio(key="arch_edit").set_value(7).run()
    assert [b.disabled for b in at.button if b.key and b.key.startswith("down")] == [True]  # the last goes no later
    gone = next(b.key for b in at.button if b.key and b.key.startswith("del"))
    at.button(key=gone).click().run()  # the last layer removed: the new last one is shown
    no_exception(at)
    assert layer_shown(at)[:2] == (6, "Flatten") and len(at.radio(key="arch_edit").options) == 7
    at.selectbox(key="arch_preset_choice").set_value("seed002").run()
    at.button(key="arch_load").click().run()  # another network opens on its first layer
    assert layer_shown(at)[0] == 0


def test_an_empty_network_shows_only_how_to_add(app):
    at = no_exception(app("architecture").run())
    at.button(key="arch_scratch").click().run()
    no_exception(at)  # it used to fail here: no rows for the table
    assert [e.value for e in at.error] == ["the network has no layers: start from a preset or add a layer"]
    assert not [r for r in at.radio if r.key == "arch_edit"]
    assert not [sb for sb in at.selectbox if sb.key and sb.key.endswith("_type")]
    at.selectbox(key="arch_new_kind").set_value("Flatten").run()
    at.button(key="arch_add").click().run()
    assert layer_shown(no_exception(at)) == (0, "Flatten", [])
