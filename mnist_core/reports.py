"""A report a student hands in, and a model card for any run: one self-contained HTML file each.

Everything is inside the file: figures are SVG drawn by matplotlib (text kept as text, so the
reader's browser draws Chinese in its own fonts), drawn digits are PNG ``data:`` images, and a
Content-Security-Policy of ``default-src 'none'`` tells the browser to fetch nothing at all: the
file opens offline, on a school laptop or from a USB stick, and cannot call anywhere.
Every text that came from a person (run names, lesson answers, a nickname) is escaped.

The page gathers what is the student's (their runs, tags, lesson guesses, drawings) and calls
``student_report``; ``model_card`` describes one run for whoever reads it.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from dataclasses import dataclass, field

import numpy as np

from mnist_core.i18n import _, language, ngettext

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
CLASSES = 10


@dataclass
class RunReport:
    """One run as a report shows it."""
    run_id: str
    name: str
    summary: dict
    config: dict
    losses: list[tuple[int, float]] = field(default_factory=list)   # (step, training loss)
    test_acc: list[tuple[int, float]] = field(default_factory=list)  # (epoch, test accuracy)
    confusion: np.ndarray | None = None     # (10, 10) rows true, columns predicted, on the test set
    reliability: object | None = None       # calibration.Reliability on the test set
    dataset: str = "MNIST"
    tags: dict[str, str] = field(default_factory=dict)  # "mnist:1234" -> "ambiguous" | ...


@dataclass
class Answer:
    """A lesson step: what was asked, what the student guessed, what the answer was."""
    prompt: str
    guess: str | None
    answer: str


@dataclass
class Drawing:
    """A digit the student drew (28x28 uint8) with the model's verdict on it."""
    image: np.ndarray
    asked: int | None     # the digit asked for, when it was drawn to order
    predicted: int
    confidence: float
    reading: str          # the verdict in words ("sure", "not sure", ...)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


# --- figures -------------------------------------------------------------------------------------------

def _svg(fig) -> str:
    import matplotlib.pyplot as plt
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prologue and DOCTYPE: inline SVG in HTML


def _figure(w: float = 4.2, h: float = 2.8, cols: int = 1):
    """A matplotlib figure for SVG (Agg, text kept as text): (figure, axes), one axes per column."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    plt.rcParams["svg.fonttype"] = "none"  # text stays text: the browser's fonts draw 中文
    plt.rcParams["font.family"] = ["DejaVu Sans", "Noto Sans CJK SC", "sans-serif"]
    return plt.subplots(1, cols, figsize=(w, h), dpi=100)


def curve_svg(run: RunReport) -> str:
    """Training loss by step (left) and test accuracy by epoch (right)."""
    fig, (ax, ax2) = _figure(7.0, 2.6, cols=2)
    if run.losses:
        steps, losses = zip(*run.losses, strict=True)
        ax.plot(steps, losses, color="#0072B2", lw=1.2)
    ax.set_xlabel(_("step"))
    ax.set_ylabel(_("training loss"))
    if run.test_acc:
        epochs, acc = zip(*run.test_acc, strict=True)
        ax2.plot(epochs, acc, "o-", color="#D55E00", lw=1.2)
    ax2.set_xlabel(_("epoch"))
    ax2.set_ylabel(_("test accuracy"))
    fig.suptitle(_("Learning curve"))
    return _svg(fig)


def confusion_svg(confusion: np.ndarray) -> str:
    fig, ax = _figure(4.2, 3.8)
    ax.imshow(confusion, cmap="Blues")
    for i in range(CLASSES):
        for j in range(CLASSES):
            v = int(confusion[i, j])
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=6,
                        color="white" if v > confusion.max() / 2 else "black")
    ax.set_xticks(range(CLASSES))
    ax.set_yticks(range(CLASSES))
    ax.set_xlabel(_("predicted"))
    ax.set_ylabel(_("true digit"))
    ax.set_title(_("Confusion matrix"))
    return _svg(fig)


def reliability_svg(rel) -> str:
    fig, ax = _figure(3.4, 3.0)
    mids = (rel.edges[:-1] + rel.edges[1:]) / 2
    ok = rel.counts > 0
    ax.bar(mids[ok], rel.accuracy[ok], width=0.09, color="#009E73", label=_("accuracy in the bin"))
    ax.plot([0, 1], [0, 1], "--", color="#555555", lw=1, label=_("perfectly calibrated"))
    ax.set_xlabel(_("confidence"))
    ax.set_ylabel(_("accuracy"))
    ax.set_title(_("Reliability (ECE {ece:.3f})").format(ece=rel.ece))
    ax.legend(fontsize=7, loc="upper left")
    return _svg(fig)


def png_data(image: np.ndarray, scale: int = 3) -> str:
    from PIL import Image
    im = Image.fromarray(np.asarray(image, np.uint8)).resize((28 * scale, 28 * scale), Image.NEAREST)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# --- sections ------------------------------------------------------------------------------------------

def _pct(v) -> str:
    return f"{v:.2%}" if isinstance(v, (int, float)) else "–"


SETTINGS = ("optimizer", "lr", "batch_size", "epochs", "schedule", "augment", "augment_style", "weight_decay",
            "label_smoothing", "seed")


def _table(rows) -> str:
    return "<table>" + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows) + "</table>"


def _figure_html(svg: str, caption: str = "") -> str:
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>" if caption else f"<figure>{svg}</figure>"


def run_section(run: RunReport) -> str:
    s = run.summary
    seconds = s.get("train_seconds")
    facts = [(_("status"), s.get("status", "")), (_("test accuracy"), _pct(s.get("test_accuracy"))),
             (_("training seconds"), f"{seconds:.1f}" if isinstance(seconds, (int, float)) else "–"),
             (_("device"), s.get("device", "")), (_("preset"), s.get("preset") or "–")]
    facts += [(k, run.config[k]) for k in SETTINGS if k in run.config]
    parts = [f"<section class='run'><h3>{esc(run.name)} <small>({esc(run.run_id)})</small></h3>", _table(facts)]
    if run.losses or run.test_acc:
        parts.append(_figure_html(curve_svg(run), _("Training loss by step and test accuracy by epoch.")))
    else:
        parts.append("<p>" + esc(_("This run logged no curve (it was saved in one go, without its steps).")) + "</p>")
    if run.confusion is not None:
        per_class = np.diag(run.confusion) / np.maximum(run.confusion.sum(1), 1)
        heading = _("Accuracy per digit")
        parts.append(f"<h4>{esc(heading)}</h4><table class='per-class'><tr>" +
                     "".join(f"<th>{d}</th>" for d in range(CLASSES)) + "</tr><tr>" +
                     "".join(f"<td>{a:.1%}</td>" for a in per_class) + "</tr></table>")
        caption = _("Rows: the true digit; columns: what the model said.")
        parts.append(_figure_html(confusion_svg(run.confusion), caption))
        worst = confused_pairs(run.confusion, 3)
        if worst:
            pairs = ", ".join(_("{t} read as {p} ({n})").format(t=t, p=p, n=n) for t, p, n in worst)
            parts.append("<p>" + esc(_("It confuses most: {pairs}.").format(pairs=pairs)) + "</p>")
    if run.reliability is not None:
        caption = _("When the model says 90% sure, is it right 9 times in 10? Bars on the diagonal: yes.")
        parts.append(_figure_html(reliability_svg(run.reliability), caption))
    if run.tags:
        counts = {t: list(run.tags.values()).count(t) for t in sorted(set(run.tags.values()))}
        heading = _("Mistakes I tagged")
        parts.append(f"<h4>{esc(heading)}</h4><ul>" +
                     "".join(f"<li>{esc(TAG_NAMES.get(t, t)())}: {n}</li>" for t, n in counts.items()) + "</ul>")
    parts.append("</section>")
    return "".join(parts)


TAG_NAMES = {"ambiguous": lambda: _("ambiguous"), "mislabelled": lambda: _("mislabelled"),
             "model error": lambda: _("model error")}


def confused_pairs(confusion: np.ndarray, k: int = 3) -> list[tuple[int, int, int]]:
    """The ``k`` commonest mistakes: (true digit, predicted, count), most first; never a correct cell."""
    off = np.array(confusion, dtype=np.int64)
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None)[:k]
    return [(int(i // CLASSES), int(i % CLASSES), int(off.flat[i])) for i in order if off.flat[i] > 0]


def answers_section(answers: list[Answer]) -> str:
    if not answers:
        return ""
    no_guess = "<em>" + esc(_("no guess")) + "</em>"
    rows = "".join(f"<tr><td>{esc(a.prompt)}</td><td>{esc(a.guess) if a.guess else no_guess}</td>"
                   f"<td>{esc(a.answer)}</td></tr>" for a in answers)
    heads = "".join(f"<th>{esc(h)}</th>" for h in (_("question"), _("my guess"), _("the answer")))
    heading = _("My lesson answers")
    return f"<section><h2>{esc(heading)}</h2><table class='answers'><tr>{heads}</tr>{rows}</table></section>"


def drawings_section(drawings: list[Drawing]) -> str:
    if not drawings:
        return ""
    right = sum(d.asked is not None and d.asked == d.predicted for d in drawings)
    asked = sum(d.asked is not None for d in drawings)
    alt = esc(_("a drawn digit"))
    cells = []
    for d in drawings:
        said = _("read as {p} ({c:.0%}), {reading}").format(p=d.predicted, c=d.confidence, reading=d.reading)
        if d.asked is not None:
            said += " · " + _("asked for {a}").format(a=d.asked)
        cells.append(f"<figure class='digit'><img alt='{alt}' src='{png_data(d.image)}'>"
                     f"<figcaption>{esc(said)}</figcaption></figure>")
    summary = _("{right} of {asked} read as the digit asked for.").format(right=right, asked=asked) if asked else ""
    heading = _("Digits I drew")
    return (f"<section><h2>{esc(heading)}</h2><p>{esc(summary)}</p><div class='digits'>{''.join(cells)}</div>"
            "</section>")


STYLE = """body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:980px;
margin:2em auto;padding:0 1em;color:#111;line-height:1.45}table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;font-size:.9em}figure{display:inline-block;margin:.5em}
figcaption{font-size:.8em;color:#444;max-width:420px}.digits{display:flex;flex-wrap:wrap}
.digit img{image-rendering:pixelated;border:1px solid #999}section.run{border-top:2px solid #0072B2;margin-top:1.5em}
small{color:#555;font-weight:normal}@media print{section{page-break-inside:avoid}}"""


def _page(title: str, body: str) -> str:
    lang = "zh-CN" if language() == "zh" else "en"
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


def student_report(student: str, runs: list[RunReport], answers: list[Answer], drawings: list[Drawing],
                   when: dt.datetime | None = None) -> str:
    """The whole report as one HTML text."""
    when = when or dt.datetime.now()
    title = _("MNIST Lab report: {student}").format(student=student)
    made = _("Made on {date} with MNIST Lab.").format(date=when.strftime("%Y-%m-%d %H:%M"))
    counts = ", ".join([ngettext("{n} run", "{n} runs", len(runs)).format(n=len(runs)),
                        ngettext("{n} lesson answer", "{n} lesson answers", len(answers)).format(n=len(answers)),
                        ngettext("{n} drawn digit", "{n} drawn digits", len(drawings)).format(n=len(drawings))])
    head = f"<h1>{esc(title)}</h1><p>{esc(made)} {esc(counts)}.</p>"
    mine, none_yet = _("My runs"), _("No runs of mine yet.")
    runs_html = (f"<section><h2>{esc(mine)}</h2>" + "".join(run_section(r) for r in runs) + "</section>"
                 if runs else f"<p>{esc(none_yet)}</p>")
    return _page(title, head + runs_html + answers_section(answers) + drawings_section(drawings))


def model_card(run: RunReport) -> str:
    """What a run is, what it was trained and tested on, how well and how it fails: one HTML page."""
    s, c = run.summary, run.config
    title = _("Model card: {name}").format(name=run.name)
    data = s.get("data_source") or run.dataset
    not_tested = _("Not tested on: digits written by other people than MNIST's writers (a class's own digits, "
                   "other scanners), letters or drawings that are not digits, photos, or anything not 28x28 grey. "
                   "Accuracy there can be much lower; use the Evaluation page on \"Our class\" to see.")
    rows = [(_("run"), run.run_id), (_("trained on"), data), (_("preset"), s.get("preset") or "–"),
            (_("test accuracy"), _pct(s.get("test_accuracy"))),
            (_("calibration error (ECE)"), f"{s['test_ece']:.4f}" if isinstance(s.get("test_ece"), (int, float))
             else "–"),
            (_("temperature"), f"{s['temperature']:.3f}" if isinstance(s.get("temperature"), (int, float)) else "–"),
            (_("training"), _("{epochs} epochs, {steps} steps, {seconds} s on {device}").format(
                epochs=s.get("epochs", "–"), steps=s.get("steps", "–"),
                seconds=f"{s['train_seconds']:.0f}" if isinstance(s.get("train_seconds"), (int, float)) else "–",
                device=s.get("device", "–")))]
    rows += [(k, c[k]) for k in SETTINGS if k in c]
    body = [f"<h1>{esc(title)}</h1>", _table(rows)]
    if run.confusion is not None:
        pairs = confused_pairs(run.confusion, 5)
        heading = _("The digits it confuses")
        times = [ngettext("{t} read as {p}: {n} time", "{t} read as {p}: {n} times", n).format(t=t, p=p, n=n)
                 for t, p, n in pairs]
        body.append(f"<h2>{esc(heading)}</h2><ul>" + "".join(f"<li>{esc(line)}</li>" for line in times) + "</ul>")
        body.append(_figure_html(confusion_svg(run.confusion)))
    if run.reliability is not None:
        body.append(_figure_html(reliability_svg(run.reliability)))
    heading = _("What it was not tested on")
    body.append(f"<h2>{esc(heading)}</h2><p>{esc(not_tested)}</p>")
    return _page(title, "".join(body))


def run_report(store, run_id: str, data, max_points: int = 400) -> RunReport:
    """A run as the report shows it: its curves, and a fresh evaluation on ``data``'s test set
    (confusion, calibration), with the mistakes tagged on it. Refuses a damaged run in one line."""
    from mnist_core.calibration import reliability
    from mnist_core.inference import evaluate_model
    from mnist_core.mistakes import load_tags
    from mnist_core.training.events import Epoch, Step

    info = store.healthy(run_id)
    spec, model = store.load(run_id)
    events = store.metrics(run_id)
    losses = [(e.step, e.loss) for e in events if isinstance(e, Step) and np.isfinite(e.loss)]
    if len(losses) > max_points:  # a long run: every k-th point keeps the shape, not 20,000 SVG points
        losses = losses[:: len(losses) // max_points + 1] + [losses[-1]]
    test_acc = [(e.epoch, e.test_acc) for e in events if isinstance(e, Epoch) and e.test_acc is not None]
    ev = evaluate_model(spec, model, data.test_images, data.test_labels)
    return RunReport(info.run_id, info.display_name, info.summary, info.config, losses, test_acc, ev.confusion,
                     reliability(ev.probs, ev.labels), getattr(data, "title", "MNIST"), load_tags(info.path))
