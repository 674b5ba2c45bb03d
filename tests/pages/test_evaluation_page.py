from .conftest import no_exception


def test_evaluation_metrics_and_confusion_cell(app):
    at = no_exception(app("evaluation").run())
    acc = at.metric[0].value
    assert acc.endswith("%") and float(acc[:-1]) > 98
    at.selectbox(key="eval_true").set_value(4).run()
    at.selectbox(key="eval_pred").set_value(9).run()
    no_exception(at)
    line = next(m.value for m in at.markdown if "were read as" in m.value)
    n = int(line.split("**")[1])
    assert ("of class 4 were read as 9" in line)
    assert (at.get_by_key("eval_cell") is not None) == (n > 0)
    assert at.get_by_key("eval_worst") is not None
