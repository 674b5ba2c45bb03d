"""The pages of the second half of the translation (Draw, Inside, Why, Experiments, Lesson,
Evaluation) run in Chinese with ``?lang=zh``: no exception, and their own Chinese texts shown
(the headline, a section, a chart's title), not the English ones."""

import json
import unicodedata

import numpy as np
import pytest
from PIL import Image, ImageDraw

from .conftest import no_exception, texts


@pytest.fixture(autouse=True)
def test_thread_reads_chinese():
    """AppTest calls a select's ``format_func`` in the test's own thread (to map a value to its
    label): that thread reads Chinese too, as the script's does."""
    from mnist_core import i18n
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


def zh(app, page: str, timeout: float = 120):
    """The page opened with ``?lang=zh``; then the session keeps Chinese as the sidebar's choice
    does (a page that writes its view into the address replaces the query)."""
    at = app(page, timeout=timeout)
    at.query_params["lang"] = "zh"
    no_exception(at.run())
    at.session_state["language"] = "zh"
    return at


def plain_width(text: str) -> str:
    """The catalog writes Chinese punctuation full-width (，：（）); the asserts below compare it as ASCII."""
    return unicodedata.normalize("NFKC", text)


def shown(at) -> str:
    """Every text a person reads on the page, charts' titles and axes included (punctuation as ASCII)."""
    parts = [texts(at)] + [t.value for t in at.title] + [s.value for s in at.subheader]
    for kind in ("radio", "selectbox", "multiselect", "slider", "number_input", "text_input", "checkbox", "button"):
        parts += [str(getattr(w, "label", "")) for w in getattr(at, kind)]
    for el in at.get("plotly_chart"):
        parts.append(json.dumps(json.loads(el.proto.spec), ensure_ascii=False))
    return plain_width("\n".join(parts))


@pytest.fixture
def canvas(monkeypatch):
    import ui.canvas
    box = {"image": None}
    monkeypatch.setattr(ui.canvas, "draw_canvas", lambda key, stroke_width=18, size=280: box["image"])
    return box


def one(width: int = 20) -> np.ndarray:
    im = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(im).line([(140, 40), (140, 240)], fill=(255, 255, 255, 255), width=width)
    return np.asarray(im)


def test_draw_in_chinese(app, canvas):
    at = zh(app, "draw")
    text = shown(at)
    assert "写一个数字" in text and "在黑色方框里写一个数字" in text and "Draw a digit" not in text
    canvas["image"] = one()
    at.run()
    no_exception(at)
    text = shown(at)
    assert "预测:1" in text, text[:2000]
    assert "网络的判断" in text and "概率" in text  # the probabilities chart's title and axis
    assert "裁剪到笔迹" in text  # the preprocessing steps' titles
    assert "What the network thinks" not in text and "Margin over" not in text


def test_draw_unsure_and_upload_errors_in_chinese(app, canvas):
    at = zh(app, "draw")
    canvas["image"] = np.zeros((280, 280, 4), np.uint8)
    at.run()
    assert any("还没有写任何东西" in i.value for i in at.info)
    at.radio(key="draw_mode").set_value("Upload").run()
    no_exception(at)
    assert "上传" in shown(at)


def test_inside_and_its_trace_in_chinese(app):
    at = zh(app, "inside")
    text = shown(at)
    assert "CNN 内部" in text and "卷积核" in text and "特征图,逐层查看" in text
    assert "网络认为是" in text and "追踪一个数值" in text
    assert "追踪:第 1 层" in text  # the default cell's trace line
    assert "输入图像块" in text and "卷积核权重" in text  # the trace's grids
    assert "Kernels" not in text and "Trace one value" not in text and "The network says" not in text
    at.session_state["inside_tab"] = "卷积核"
    no_exception(at.run())
    assert "每个小方块是一个卷积核的权重" in shown(at)
    at.session_state["inside_tab"] = "如果……会怎样？"
    no_exception(at.run())
    assert "如果换一个卷积核会怎样?" in shown(at)
    hand = at.selectbox(key="wi_hand")
    hand.select_index(hand.options.index("模糊"))  # the options are shown in Chinese
    at.button(key="wi_apply").click().run()
    no_exception(at)
    assert any("修改后的副本(仅本次会话):" in plain_width(i.value) and "模糊" in i.value for i in at.info)


def test_why_in_chinese(app):
    at = zh(app, "why", timeout=180)
    text = shown(at)
    assert "它为什么这样判断" in text and "是哪些像素让它做出判断的?" in text
    assert "积分梯度" in text and "Grad-CAM" in text  # the methods' names in the maps' titles
    at.session_state["why_tab"] = "你在这里"  # a tab's state is its label, in the session's language
    no_exception(at.run(timeout=180))
    assert "你在这里:在训练数字之中" in shown(at) and "特征空间:最近的 8 个大多是" in shown(at)
    at.session_state["why_tab"] = "合理性检验"
    no_exception(at.run(timeout=180))
    at.button(key="why_sanity_run").click().run(timeout=180)
    no_exception(at)
    assert "排序相似度" in shown(at) and "训练好的模型" in shown(at)
    assert "Which pixels" not in shown(at) and "rank similarity" not in shown(at)


def test_experiments_in_chinese(app):
    at = zh(app, "experiments", timeout=180)
    text = shown(at)
    assert "🧪 实验" in text and "扰动方式" in text and "强度" in text
    assert "扰动后:旋转 30" in text  # the perturbed line names the kind in Chinese
    assert "分享这个视图" in text and "Perturbation" not in text and "Share this view" not in text
    at.session_state["ex_tab"] = "鲁棒性曲线"  # a tab's state is its label, in the session's language
    no_exception(at.run(timeout=180))
    assert "对平移的鲁棒性" in shown(at)  # the robustness chart's title (shift: the first kind)
    at.session_state["ex_tab"] = "CNN 手术"
    no_exception(at.run(timeout=180))
    at.multiselect(key="sx_off").set_value([0, 1]).run(timeout=180)
    at.button(key="sx_apply").click().run(timeout=180)
    no_exception(at)
    assert any("手术后的副本" in i.value and "已关闭" in i.value for i in at.info)
    assert any(plain_width(m.label) == "测试准确率(500 个数字)" for m in at.metric)
    assert "每个类别的准确率" in shown(at)  # the per-class comparison chart


def test_lesson_in_chinese(app):
    from mnist_core.experiments.lessons import Lesson, Step
    from mnist_core.experiments.views import from_query
    at = zh(app, "lesson")
    assert any("打开一个课程文件" in i.value for i in at.info)
    assert "🎓 课程" in shown(at) and "给全班的问题" in shown(at)
    at.session_state["lesson"] = Lesson("转动的数字", [
        Step("experiments", from_query("experiments", {"kind": "rotate"})[0], "它还能认出 7 吗?", "不能。")])
    at.run()
    no_exception(at)
    assert "第 1 步,共 1 步。" in shown(at) and "打开这个视图" in shown(at)
    at.text_input(key="ls_guess_0").set_value("能").run()
    at.button(key="ls_commit_0").click().run()
    no_exception(at)
    assert "答案:不能。" in [plain_width(s.value) for s in at.success]
    assert "Step 1" not in shown(at) and "Answer:" not in shown(at)


def test_a_bad_lesson_file_is_one_chinese_line():
    from mnist_core.experiments.lessons import Lesson, LessonError
    with pytest.raises(LessonError, match="一节课至少需要一个步骤"):
        Lesson.from_json(b'{"format": "mnist-lab-lesson/1", "steps": []}')


def test_evaluation_in_chinese(app):
    at = zh(app, "evaluation", timeout=180)
    text = shown(at)
    assert "🎯 模型评估" in text and "它的置信度有多可信" in text and "可靠性图:期望校准误差" in text
    assert any(m.label == "测试准确率" for m in at.metric) and any(m.label == "最难的类别" for m in at.metric)
    assert "How far to trust" not in text
    at.session_state["eval_tab"] = "混淆矩阵"  # a tab's state is its label, in the session's language
    no_exception(at.run(timeout=180))
    text = shown(at)
    assert "被认成了" in text  # the chosen confusion cell's line
    assert "混淆矩阵(颜色:数量的对数)" in text  # the chart's title
    assert "预测值" in text and "真实类别" in text  # the confusion matrix's axes
    assert "为什么这些" in text  # the mistakes explained
    assert "Confusion matrix" not in text
    at.session_state["eval_tab"] = "最自信的错误"
    no_exception(at.run(timeout=180))
    assert "每个数字下方:真实类别 → 预测类别" in shown(at)
