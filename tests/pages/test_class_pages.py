"""The Class page (joining, the live poll) and the teacher's Board, through AppTest; and how a session
becomes someone: the visitor cookie, ?teacher=KEY (dropped from the address), a refused token."""

from mnist_core.classroom import browser, classes, identity, polls
from tests.pages.conftest import no_exception, texts

KEY = "the-teachers-key"



def cookie_snippets(at):
    """The page's st.html elements that write cookies (the theme's style sheet is another st.html)."""
    return [h for h in at.get("html") if "cookie" in h.proto.body]

def _teacher():
    return identity.teacher_actor(identity.new_visitor()[0])


def _student(room, nickname):
    return classes.join(identity.Actor(identity.new_visitor()[0]), room.code, nickname)


def _join(at, code, nickname):
    at.text_input(key="cl_code").input(code)
    at.text_input(key="cl_nickname").input(nickname)
    next(b for b in at.button if b.label == "Join the class").click()
    return at.run()


def test_joining_good_wrong_code_and_bad_nickname(app, monkeypatch):
    room = classes.start_class(_teacher(), "Period 3")
    at = no_exception(app("classroom").run())
    assert "Join your teacher's class" in texts(at)
    _join(at, "ZZZZZZ" if room.code != "ZZZZZZ" else "YYYYYY", "Ana")
    assert [e.value for e in at.error] == ["no open class has this code; check it with your teacher"]
    _join(at, room.code, "<b>Ana</b>")
    assert len(at.error) == 1 and "only letters, digits" in at.error[0].value
    _join(at, room.code, "")
    assert [e.value for e in at.error] == ["a nickname is needed"]
    _join(at, room.code.lower(), "Ana")  # as typed off the projector
    no_exception(at)
    assert not at.error
    assert at.subheader[0].value == f"Period 3 · code {room.code}"
    assert "You are Ana in this class." in texts(at)
    assert "No question yet" in texts(at)
    assert [m.nickname for m in classes.members(_teacher(), room.id)] == ["Ana"]


def test_a_join_link_fills_the_code_and_a_taken_nickname_is_refused(app):
    room = classes.start_class(_teacher(), "")
    _student(room, "Bea")
    at = app("classroom")
    at.query_params["code"] = room.code
    at.run()
    assert at.text_input(key="cl_code").value == room.code
    at.text_input(key="cl_nickname").input("bea")
    next(b for b in at.button if b.label == "Join the class").click()
    at.run()
    assert [e.value for e in at.error] == ["this nickname is already taken in this class; choose another"]


def test_a_student_answers_the_live_poll_and_sees_the_reveal(app):
    teacher = _teacher()
    room = classes.start_class(teacher, "P3")
    at = app("classroom").run()
    _join(at, room.code, "Ana")
    poll = polls.open_poll(teacher, room.id, {"format": "mnist-lab-poll/1", "prompt": "Which digit?",
                                              "answer": "a **seven**", "choices": ["1", "7"], "lesson": "L",
                                              "index": 0, "count": 2, "view": None, "state": {}})
    at.run()
    assert "Which digit?" in texts(at) and "seven" not in texts(at)
    at.radio(key=f"cl_choice_{poll.id}").set_value("7").run()
    next(b for b in at.button if b.label == "Commit my guess").click()
    at.run()
    assert "Your guess: 7" in texts(at)
    assert polls.tally(teacher, poll.id).counts == {"7": 1}
    polls.reveal(teacher, poll.id)
    at.run()
    assert any("a **seven**" in s.value for s in at.success)
    assert [p.text for p in at.get("progress")] == ["7: 1"]  # the class's counts, from the shared read


def test_on_the_class_page_the_sidebar_does_not_look_at_the_poll_itself(app):
    teacher = _teacher()
    room = classes.start_class(teacher, "P3")
    at = app("classroom").run()
    _join(at, room.code, "Ana")
    polls.open_poll(teacher, room.id, "Which digit?")
    no_exception(at.run())
    assert "Which digit?" in texts(at)  # the page's live poll shows the question ...
    assert [c.value for c in at.sidebar.caption if c.value.startswith("Class:")] == ["Class: Ana"]
    assert not at.sidebar.info  # ... and the sidebar only names the class
    no_exception(at.switch_page("app_pages/glossary.py").run())
    assert [i.value for i in at.sidebar.info] == ["A question is open for the class."]


def test_the_board_is_the_teachers_only(app, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import ROOT
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", KEY)
    at = no_exception(app("board").run())  # not in a visitor's navigation: the address opens the first page
    assert at.title[0].value != "📋 Board" and "Start a class" not in [b.label for b in at.button]
    page = no_exception(AppTest.from_file(str(ROOT / "app_pages" / "board.py"), default_timeout=60).run())
    assert [e.value for e in page.error] == [  # and the page itself refuses, whatever runs it
        "Only the teacher sees the board. The teacher opens it with the link printed in the terminal where the "
        "server started."]
    assert not page.button
    wrong = app("board")
    wrong.query_params["teacher"] = "not-the-key"
    no_exception(wrong.run())
    assert [w.value for w in wrong.warning] == [browser.WRONG_KEY]
    assert "Start a class" not in [b.label for b in wrong.button]
    assert "teacher" not in wrong.query_params  # dropped from the address even when wrong


def test_the_teacher_starts_a_class_and_sees_guesses_arrive(app, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", KEY)
    at = app("board")
    at.query_params["teacher"] = KEY
    no_exception(at.run())
    assert "teacher" not in at.query_params  # the key is not left in the address bar
    assert not at.error
    at.text_input(key="bd_title").input("Period 3")
    next(b for b in at.button if b.label == "Start a class").click()
    no_exception(at.run())
    room = next(r for r in classes.open_classes(_teacher()) if r.title == "Period 3")
    assert room.code in at.code[0].value and at.code[0].value.endswith(f"/classroom?code={room.code}&lang=en")
    assert len(at.get("image")) >= 1  # the QR code
    ana, bea, cid = (_student(room, n) for n in ("Ana", "Bea", "Cid"))
    at.radio(key="bd_source").set_value("own")
    at.run()
    at.text_input(key="bd_prompt").input("What will the network answer?")
    at.text_input(key="bd_choices").input("1, 7")
    at.text_input(key="bd_answer").input("7")
    at.run()
    next(b for b in at.button if b.label == "Ask the class").click()
    no_exception(at.run())
    poll = polls.current_poll(ana, room.id)
    assert poll is not None and poll.state == "open"
    polls.commit_answer(ana, poll.id, "7")
    polls.commit_answer(bea, poll.id, "7")
    polls.commit_answer(cid, poll.id, "1")
    no_exception(at.run())
    board = next(d.value for d in at.dataframe if "students" in d.value.columns)
    assert dict(zip(board["answer"], board["students"], strict=True)) == {"7": 2, "1": 1}
    assert "3 of 3 answered." in texts(at)
    assert "Students: 3 in the class, 3 online" in [s.value for s in at.subheader]
    next(b for b in at.button if b.label == "Reveal").click()
    no_exception(at.run())
    assert polls.current_poll(ana, room.id).state == "revealed"
    m = {x.nickname: x.id for x in classes.members(_teacher(), room.id)}
    at.selectbox(key="bd_student").set_value(m["Cid"])
    next(b for b in at.button if b.label == "Remove from the class").click()
    no_exception(at.run())
    assert [x.nickname for x in classes.members(_teacher(), room.id) if x.removed] == ["Cid"]
    next(b for b in at.button if b.label == "Close the class").click()
    no_exception(at.run())
    assert classes.class_info(_teacher(), room.id).closed is not None


def test_a_session_keeps_the_browsers_visitor_and_a_refused_token_is_one_line(app, monkeypatch):
    import ui.identity
    v = browser.arrive()
    monkeypatch.setattr(ui.identity, "_cookies", lambda: {browser.VISITOR_COOKIE: v.token})
    at = no_exception(app("classroom").run())
    assert at.session_state["actor"].visitor_id == v.actor.visitor_id  # the cookie's visitor, not a new one
    assert "cookies_pending" not in at.session_state  # nothing to write: the browser already keeps it
    assert not cookie_snippets(at)
    monkeypatch.setattr(ui.identity, "_cookies", lambda: {browser.VISITOR_COOKIE: "forged" * 7 + "x"})
    at = no_exception(app("classroom").run())
    assert at.session_state["actor"].visitor_id != v.actor.visitor_id
    assert len(at.warning) == 1 and "was not accepted" in at.warning[0].value
    html = cookie_snippets(at)
    assert len(html) == 1  # the snippet that writes the new token into the cookie
    body = html[0].proto.body
    assert at.session_state["visitor_token"] in body and "forged" not in body and "Max-Age" in body


def test_the_teacher_stays_the_teacher_on_a_reload_without_the_key(app, monkeypatch):
    import ui.identity
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", KEY)
    at = app("board")
    at.query_params["teacher"] = KEY
    at.run()
    token, proof = at.session_state["visitor_token"], at.session_state["teacher_proof"]
    assert proof and KEY not in cookie_snippets(at)[0].proto.body  # the cookie holds a proof, not the key
    monkeypatch.setattr(ui.identity, "_cookies", lambda: {browser.VISITOR_COOKIE: token,
                                                         browser.TEACHER_COOKIE: proof})
    again = no_exception(app("board").run())  # a new tab, no key in its address
    assert not again.error and again.session_state["actor"].is_teacher
    assert again.session_state["actor"].visitor_id == at.session_state["actor"].visitor_id


def test_the_class_page_and_its_refusals_speak_chinese(app):
    room = classes.start_class(_teacher(), "P3")
    at = app("classroom")
    at.query_params["lang"] = "zh"
    no_exception(at.run())
    assert at.title[0].value == "🏫 课堂"
    assert [b.label for b in at.button if b.label == "加入课堂"]
    at.text_input(key="cl_code").input(room.code)
    at.text_input(key="cl_nickname").input("")
    next(b for b in at.button if b.label == "加入课堂").click()
    at.run()
    assert [e.value for e in at.error] == ["需要一个昵称"]
    at.text_input(key="cl_nickname").input("小" * 30)  # a refusal with values: its sentence in Chinese too
    next(b for b in at.button if b.label == "加入课堂").click()
    at.run()
    assert [e.value for e in at.error] == ["昵称最多 24 个字符，这个有 30 个"]


def _lay_run(runs, run_id, owner, preset="seed004", acc=0.95):
    """A finished run on disk as the run store lays it out, recorded as ``owner``'s."""
    import time

    from mnist_core.classroom import ownership
    from mnist_core.presets import PRESETS
    from mnist_core.runs import atomic_json
    from tests.pages.conftest import ROOT
    path = runs / run_id
    path.mkdir(parents=True)
    atomic_json(path / "spec.json", PRESETS[preset].spec().to_dict())
    (path / "config.json").write_text((ROOT / "tests" / "fixtures" / "wave2_run" / "config.json").read_text())
    atomic_json(path / "summary.json", {"name": f"{run_id} name", "status": "finished", "created": time.time(),
                                        "finished": time.time(), "dataset": "mnist", "test_accuracy": acc,
                                        "train_seconds": 3.0})
    (path / "metrics.jsonl").touch()
    ownership.record_run(run_id, owner)


def test_the_board_lists_each_students_runs_and_clears_one_students(app, monkeypatch):
    import ui.common
    from mnist_core.classroom import ownership
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", KEY)
    teacher = _teacher()
    room = classes.start_class(teacher, "P3")
    ana, bea = _student(room, "Ana"), _student(room, "Bea")
    runs = ui.common.RUNS_DIR
    _lay_run(runs, "20260101-090000-a1-0001", ana, "seed004", 0.96)
    _lay_run(runs, "20260101-090001-a2-0002", ana, "lenet5", 0.98)
    _lay_run(runs, "20260101-090002-b1-0003", bea, "seed000", 0.90)
    at = app("board")
    at.query_params["teacher"] = KEY
    no_exception(at.run())
    table = next(d.value for d in at.dataframe if "multiply-adds" in d.value.columns and "state" in d.value.columns)
    assert sorted(zip(table["student"], table["test accuracy"], strict=True)) == [
        ("Ana", 96.0), ("Ana", 98.0), ("Bea", 90.0)]
    assert (table["multiply-adds"] > 0).all() and (table["parameters"] > 0).all()
    assert "Ana: 20260101-090000-a1-0001 name" in texts(at) and "Ana: 20260101-090001-a2-0002 name" in texts(at)
    m = {x.nickname: x.id for x in classes.members(teacher, room.id)}
    at.selectbox(key="bd_student").set_value(m["Ana"])
    next(b for b in at.button if b.label == "Clear their runs").click()
    no_exception(at.run())
    assert "2 run(s) of Ana deleted." in [s.value for s in at.success]
    assert sorted(p.name for p in runs.iterdir()) == ["20260101-090002-b1-0003"]  # Bea's run is untouched
    assert ownership.runs_of(class_id=room.id) == ["20260101-090002-b1-0003"]


def test_the_board_polls_a_lessons_steps_and_next_moves_the_class(app, monkeypatch):
    from mnist_core.experiments.lessons import Lesson, Step
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", KEY)
    room = classes.start_class(_teacher(), "P3")
    ana = _student(room, "Ana")
    at = app("board")
    at.query_params["teacher"] = KEY
    at.session_state["lesson"] = Lesson("Kernels", [Step("experiments", {}, "Which digit?", "7"),
                                                    Step("experiments", {}, "And now?", "1")])
    no_exception(at.run())
    at.text_input(key="bd_lesson_choices").input("1, 7")
    next(b for b in at.button if b.label == "Ask the class").click()
    no_exception(at.run())
    shown = polls.current_poll(ana, room.id)
    assert (shown.step["prompt"], shown.step["index"], shown.step["choices"]) == ("Which digit?", 0, ["1", "7"])
    next(b for b in at.button if b.label == "Next step").click()
    no_exception(at.run())
    now = polls.current_poll(ana, room.id)
    assert now.id != shown.id and (now.step["prompt"], now.step["index"], now.state) == ("And now?", 1, "open")
    assert next(b for b in at.button if b.label == "Next step").disabled  # the last step


def test_the_banner_is_printed_once_per_process(monkeypatch, capsys):
    import ui.identity
    monkeypatch.setattr(ui.identity, "_banner_printed", False)
    monkeypatch.delenv("MNIST_LAB_TEACHER_KEY", raising=False)
    ui.identity.print_banner()
    ui.identity.print_banner()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("Teacher: open http://localhost:")
    assert f"?teacher={identity.teacher_key()}" in out[0]


def test_a_token_in_the_address_is_dropped_and_never_an_identity(app):
    v = browser.arrive()
    at = app("classroom")
    at.query_params["visitor"] = v.token  # someone pasted a link that carries a token
    no_exception(at.run())
    assert "visitor" not in at.query_params
    assert at.session_state["actor"].visitor_id != v.actor.visitor_id  # a link never carries who you are


def test_the_teachers_class_page_links_to_the_board(app, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", KEY)
    at = app("classroom")
    at.query_params["teacher"] = KEY
    no_exception(at.run())
    assert [p.label for p in at.get("page_link")] == ["Open the Board"]


def test_the_board_runs_a_shipped_lesson_for_the_class_with_its_own_choices(app, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", KEY)
    room = classes.start_class(_teacher(), "P4")
    ana = _student(room, "Ana")
    at = app("board")
    at.query_params["teacher"] = KEY
    no_exception(at.run())
    at.radio(key="bd_source").set_value("shipped").run()
    at.selectbox(key="bd_shipped").set_value("learning-rate-collapse").run()
    no_exception(at)
    assert "bd_lesson_choices" not in [t.key for t in at.text_input]  # the step brings its choices
    next(b for b in at.button if b.label == "Ask the class").click()
    no_exception(at.run())
    shown = polls.current_poll(ana, room.id)
    assert shown.step["index"] == 0 and shown.step["view"] == "training"
    assert "guessing evenly among 10 digits" in shown.step["choices"] and len(shown.step["choices"]) == 3
    assert shown.step["answer"].startswith("guessing evenly among 10 digits — 2.30 is ln(10)")
    next(b for b in at.button if b.label == "Next step").click()
    no_exception(at.run())
    now = polls.current_poll(ana, room.id)
    assert now.step["index"] == 1 and "a 10 times smaller learning rate" in now.step["choices"]


def test_the_join_link_carries_the_boards_language(app, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", KEY)
    room = classes.start_class(_teacher(), "三班")
    at = app("board")
    at.query_params["teacher"] = KEY
    at.query_params["lang"] = "zh"
    no_exception(at.run())
    link = at.code[0].value
    assert link.endswith(f"/classroom?code={room.code}&lang=zh"), link  # students open the class in Chinese
