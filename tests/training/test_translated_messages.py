"""The collapse and divergence explanations are made in English in the loop and shown in the page's language,
also after the trip a stored event makes through JSON."""

import json

from mnist_core import i18n
from mnist_core.training.callbacks import collapse_message, divergence_message
from mnist_core.training.events import Message, from_dict


def in_chinese(text) -> str:
    i18n.set_language("zh")
    try:
        return i18n.tr(text)
    finally:
        i18n.set_language("en")


def test_the_collapse_explanation_reads_in_chinese_live_and_after_json():
    m = Message.of("warning", collapse_message(200, 0.01))
    assert m.text.startswith("The loss has sat at 2.30 (= ln 10, the loss of pure guessing) for 200 steps")
    assert "try 0.001" in m.text
    back = from_dict(json.loads(json.dumps(m.to_dict())))
    assert isinstance(back, Message) and back.text == m.text
    for shown in (in_chinese(m.words()), in_chinese(back.words())):
        assert shown.startswith("损失已经在 2.30") and "200 步" in shown and "0.001" in shown and "0.01 " in shown


def test_the_divergence_explanation_and_an_old_plain_message():
    m = Message.of("error", divergence_message(37, 0.5))
    assert in_chinese(m.words()).startswith("第 37 步时损失变成了无穷大或 NaN") and "0.5" in in_chinese(m.words())
    old = from_dict({"type": "message", "level": "info", "text": "cancelled while waiting"})  # a log from before
    assert old.words() == "cancelled while waiting" and old.template == "" and old.params is None
    damaged = Message("info", "paused at step 3", "paused at step {step}", {"other": 1})
    assert damaged.words() == "paused at step 3"  # a template that does not fit its values: the English
