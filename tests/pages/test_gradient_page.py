import numpy as np

from .conftest import has, no_exception, texts


def gradient_line(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("gradient: layer"))


def test_the_gradient_page_traces_a_weight_and_checks_it_against_autograd(app):
    at = no_exception(app("gradient").run())
    shown = texts(at)
    assert "By hand: dL/dw" in shown and "difference" in shown
    assert any(m.value.startswith("✅ By hand") for m in at.markdown)  # the check passed
    assert gradient_line(at).startswith("gradient: layer 1 weight (0, 0, 2, 2) =")  # the demo's first conv
    assert at.get_by_key("grad_kernel") is not None
    assert not has(at, "grad_grid_products") and not has(at, "grad_chain_4")  # hidden steps are not run
    loss_table = at.table[0].value
    assert list(loss_table.iloc[:, 0]) == [str(i) for i in range(10)]  # one row per class
    shown = loss_table.iloc[:, 1:].astype(float)  # written with 5 significant digits
    np.testing.assert_allclose(shown.iloc[:, 3], shown.iloc[:, 1] - shown.iloc[:, 2], atol=1e-5)
    at.session_state["grad_tab"] = "2. Carried back, layer by layer"
    no_exception(at.run())
    assert has(at, "grad_chain_4") and not has(at, "grad_loss_table")  # the layers between the loss and the weight
    at.session_state["grad_tab"] = "3. At the weight"
    no_exception(at.run())
    assert has(at, "grad_grid_products")  # the products whose sum is the gradient
    at.session_state["grad_tab"] = "1. The loss"
    # another layer: the last dense layer's bias, then a batch norm's scale
    at.selectbox(key="grad_param").set_value("11.bias").run()  # the last dense layer's bias
    no_exception(at)
    assert gradient_line(at).startswith("gradient: layer 11 bias (0,) =")
    assert any(m.value.startswith("✅ By hand") for m in at.markdown)
    at.selectbox(key="grad_param").set_value("2.weight").run()  # the first batch norm's scale
    no_exception(at)
    assert "scale (gamma)" in texts(at)
    # another class than the label: a big gradient
    at.selectbox(key="grad_target_7").set_value(3).run()
    no_exception(at)
    assert "The loss asks for 3" in texts(at) and "loss = - log p[3]" in texts(at)
    assert at.table[0].value.iloc[3, 3] == "1"  # the target column: one-hot on 3
    # Adam from a typed state
    at.session_state["grad_tab"] = "4. The optimizer's step"
    at.selectbox(key="grad_opt_demo").set_value("adam").run()
    at.radio(key="grad_state").set_value("From a state I type").run()
    no_exception(at)
    assert "bias correction" in "\n".join(str(v) for df in at.table for v in df.value.iloc[:, 0])


def test_the_kernel_cell_is_picked_with_its_widgets_and_the_digit_can_be_a_drawing(app):
    at = no_exception(app("gradient").run())
    at.number_input(key="grad_out").set_value(3)
    at.number_input(key="grad_row").set_value(0)
    at.number_input(key="grad_col").set_value(4).run()
    no_exception(at)
    assert gradient_line(at).startswith("gradient: layer 1 weight (3, 0, 0, 4) =")
    img = np.zeros((28, 28), dtype=np.uint8)
    img[4:24, 13:15] = 255
    at.session_state["last_drawing"] = img
    at.run()
    at.radio(key="grad_source").set_value("My last drawing").run()
    no_exception(at)
    at.selectbox(key="grad_target_None").set_value(7).run()
    no_exception(at)
    assert "loss = - log p[7]" in texts(at)


def test_the_gradient_page_speaks_chinese(app):
    at = app("gradient")
    at.query_params["lang"] = "zh"
    at.session_state["grad_tab"] = "2. 逐层传回"  # the tab's label in the session's language
    at.run()
    no_exception(at)
    shown = texts(at)
    assert "追踪一个梯度" in at.title[0].value and "手算：∂L/∂w" in shown and "梯度：第 1 层 权重" in shown
    arithmetic = "\n".join(str(v) for df in at.table for v in df.value.iloc[:, 0])
    assert has(at, "grad_chain_4")  # the tab asked for is the one drawn
    assert "全连接层" in shown or "求和" in arithmetic  # the rules and the lines from mnist_core, translated
    assert "Backpropagation with real numbers" not in shown


def test_a_shared_link_opens_the_same_weight_and_a_bad_one_says_so(app):
    at = app("gradient")
    for k, v in {"cls": "3", "k": "2", "weight": "4.weight", "o": "5", "i": "7", "r": "0", "c": "1"}.items():
        at.query_params[k] = v
    at.run()
    no_exception(at)
    assert gradient_line(at).startswith("gradient: layer 4 weight (5, 7, 0, 1) =")
    assert at.selectbox(key="grad_target_3").value == 3  # the link's digit: a 3
    assert at.query_params["weight"] == ["4.weight"] or at.query_params["weight"] == "4.weight"
    bad = app("gradient")
    for k, v in {"weight": "3.weight", "o": "500"}.items():  # layer 3 of the demo is a ReLU
        bad.query_params[k] = v
    bad.run()
    no_exception(bad)
    assert "is not in this network: showing 1.weight instead" in texts(bad)
    assert "The link's o=500 is past the last" in texts(bad)
    assert gradient_line(bad).startswith("gradient: layer 1 weight (15, 0,")  # o clamped to the last filter


def test_a_seed004_model_shows_its_numpy_backprop_beside_the_numerical_gradient(app):
    import ui.common
    from mnist_core import presets
    from mnist_core.runs import model_for
    from mnist_core.training.numpy_engine import NumpyMLP
    spec = presets.get("seed004").spec()
    net = NumpyMLP(784, 50, 10, seed=0)
    run = ui.common.store().save_edited("seed004 by hand", spec, model_for(spec, net.state_dict()), "a test")
    at = app("gradient")
    at.session_state["active_model"] = run.path.name
    at.run()
    no_exception(at)
    assert gradient_line(at).startswith("gradient: layer 2 weight (0, 0) =")
    at.selectbox(key="grad_param").set_value("4.weight").run()
    at.number_input(key="grad_out").set_value(7).run()  # W2[3, 7]: hidden unit 3 to class 7, the label
    at.number_input(key="grad_in").set_value(3).run()
    no_exception(at)
    assert any("Softmax" in i.value for i in at.info)  # without the NumPy engine's config: a torch run's loss
    at.session_state["grad_tab"] = "5. seed004's NumPy"
    no_exception(at.run())
    line = next(c.value for c in at.caption if c.value.startswith("✅ seed004 W2[3, 7]"))
    assert "numerical" in line and "difference" in line
