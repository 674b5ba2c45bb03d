"""Our handwriting: storing, listing, deleting, the dataset built from the database, the writer split,
export and import (and the bad files import refuses)."""

import io
import zipfile

import numpy as np
import pytest

from mnist_core.classroom import ClassroomError, OwnershipError, classes, drawings, handwriting
from mnist_core.classroom.handwriting import ImportRefused, read_npz, split_by_writer
from tests.classroom.conftest import join, new_actor


def digit(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8)


def test_storing_listing_and_deleting_own_only_teacher_any(room, teacher):
    ana, bea = join(room, "Ana"), join(room, "Bea")
    a1 = drawings.add_drawing(ana, 4, digit(1))
    a2 = drawings.add_drawing(ana, 7, digit(2))
    b1 = drawings.add_drawing(bea, 1, digit(3))
    mine = drawings.my_drawings(ana)
    assert [(d.id, d.label, d.nickname) for d in mine] == [(a1, 4, "Ana"), (a2, 7, "Ana")]
    assert np.array_equal(mine[0].pixels, digit(1))
    assert [d.id for d in drawings.my_drawings(bea)] == [b1]
    assert [d.id for d in drawings.set_drawings(teacher.__class__(teacher.visitor_id, True, room.id))] == [a1, a2, b1]
    with pytest.raises(OwnershipError, match="only its owner or the teacher"):
        drawings.delete_drawing(bea, a1)
    drawings.delete_drawing(teacher, b1)  # the teacher drops a bad one
    assert drawings.delete_my_drawings(ana) == 2  # one button: all mine
    assert drawings.class_drawings(teacher, room.id) == []


def test_outside_a_class_a_visitors_digits_are_their_own_set(db_url):
    solo, other = new_actor(), new_actor()
    drawings.add_drawing(solo, 3, digit(1))
    drawings.add_drawing(other, 5, digit(2))
    assert [d.label for d in drawings.set_drawings(solo)] == [3]
    assert [d.label for d in drawings.set_drawings(other)] == [5]
    data = handwriting.our_dataset(solo)
    assert len(data.train_labels) == 1 and len(data.test_labels) == 0  # one writer: nobody to hold out
    assert data.writer_names == {solo.visitor_id: "you"}


def test_closing_a_class_deletes_its_digits(room, teacher):
    ana = join(room, "Ana")
    drawings.add_drawing(ana, 2, digit(1))
    classes.close_class(teacher, room.id)
    assert drawings.class_drawings(teacher, room.id) == []


def test_the_dataset_built_from_the_database_is_what_was_stored(room, teacher):
    stored = []
    for w, nick in enumerate(["Ana", "Bea", "Cy", "Dee"]):
        m = join(room, nick)
        for k in range(5):
            img, label = digit(10 * w + k), (w + k) % 10
            drawings.add_drawing(m, label, img)
            stored.append((m.visitor_id, label, img))
    data = handwriting.our_dataset(classes.member_actor(stored[0][0], room.id))
    images, labels, writers = handwriting.all_digits(data)
    got = sorted((w, int(y), x.numpy().tobytes()) for w, y, x in zip(writers, labels, images))
    assert got == sorted((w, y, x.tobytes()) for w, y, x in stored)
    assert images.dtype.is_floating_point is False and tuple(images.shape[1:]) == (28, 28)
    assert set(data.writer_names.values()) == {"Ana", "Bea", "Cy", "Dee"}
    assert set(data.train_writers).isdisjoint(data.test_writers) and data.test_writers
    assert data.name == "ours" and data.kind.startswith("ours-")
    before = data.kind
    drawings.add_drawing(classes.member_actor(stored[0][0], room.id), 0, digit(99))
    assert handwriting.our_dataset(teacher.__class__(teacher.visitor_id, True, room.id)).kind != before


@pytest.mark.parametrize("n_writers", [1, 2, 3, 7, 20])
def test_the_writer_split_never_puts_one_writer_in_both(n_writers):
    rng = np.random.default_rng(n_writers)
    writers = [f"v{int(i)}" for i in rng.integers(0, n_writers, 300)]
    for seed in range(5):
        tr, te = split_by_writer(writers, seed=seed)
        assert sorted(np.concatenate([tr, te]).tolist()) == list(range(len(writers)))
        train_w, test_w = {writers[i] for i in tr}, {writers[i] for i in te}
        assert train_w.isdisjoint(test_w)
        if len(set(writers)) >= 2:
            assert train_w and test_w  # someone to learn from and someone to test on
        else:
            assert not test_w


def test_the_split_is_stable_as_writers_join():
    writers = [f"w{i}" for i in range(10) for _ in range(3)]
    _, te = split_by_writer(writers)
    held = {writers[i] for i in te}
    more = writers + ["w10"] * 3
    _, te2 = split_by_writer(more)
    assert held <= {more[i] for i in te2} or len(held ^ {more[i] for i in te2}) <= 2


def test_prompts_are_balanced_over_the_ten():
    labels: list[int] = []
    rng = np.random.default_rng(0)
    for _ in range(30):
        labels.append(handwriting.next_prompt(labels, rng))
    assert np.bincount(labels, minlength=10).tolist() == [3] * 10


def test_export_import_round_trip_into_another_class(room, teacher):
    for nick, label in (("Ana", 1), ("Bea", 2)):
        m = join(room, nick)
        for k in range(3):
            drawings.add_drawing(m, label, digit(label * 10 + k))
    in_room = teacher.__class__(teacher.visitor_id, True, room.id)
    ana = drawings.class_drawings(teacher, room.id)[0]
    with pytest.raises(ClassroomError, match="only the teacher"):
        handwriting.export_npz(classes.member_actor(ana.visitor_id, room.id))
    plain = handwriting.export_npz(in_room)
    with np.load(io.BytesIO(plain), allow_pickle=False) as z:
        assert sorted(z.files) == ["images", "labels", "writers"]  # no nicknames unless chosen
        assert z["images"].dtype == np.uint8 and z["images"].shape == (6, 28, 28)
        assert z["writers"].tolist() == [0, 0, 0, 1, 1, 1]
    raw = handwriting.export_npz(in_room, nicknames=True)
    other = classes.start_class(teacher, "Period 4")
    there = teacher.__class__(teacher.visitor_id, True, other.id)
    with pytest.raises(ClassroomError, match="only the teacher"):
        handwriting.import_npz(join(other, "Eve"), raw)
    assert handwriting.import_npz(there, raw) == 6
    a, b = handwriting.our_dataset(in_room), handwriting.our_dataset(there)
    ia, la, wa = handwriting.all_digits(a)
    ib, lb, wb = handwriting.all_digits(b)
    assert sorted(x.numpy().tobytes() + bytes([int(y)]) for x, y in zip(ia, la)) == \
        sorted(x.numpy().tobytes() + bytes([int(y)]) for x, y in zip(ib, lb))
    assert sorted(b.writer_names.values()) == ["Ana", "Bea"] and len(set(wb)) == 2
    assert handwriting.import_npz(there, plain) == 6  # the same file twice: two more writers, not the same two
    assert len(set(handwriting.all_digits(handwriting.our_dataset(there))[2])) == 4


def npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


GOOD = dict(images=np.zeros((4, 28, 28), np.uint8), labels=np.array([0, 1, 2, 3]), writers=np.array([0, 0, 1, 1]))


def test_a_good_file_is_read():
    f = read_npz(npz(**GOOD))
    assert f.images.shape == (4, 28, 28) and f.n_writers == 2 and f.nicknames is None


def _huge_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("images.npy", b"\0" * (handwriting.MAX_UNPACKED + 1))
    return buf.getvalue()


def _lying_header() -> bytes:
    """images.npy whose header claims a billion digits, with four digits' data behind it."""
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "|u1", "fortran_order": False,
                                                "shape": (10**9, 28, 28)})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("images.npy", head.getvalue() + bytes(4 * 784))  # the header writer writes the magic too
        for k in ("labels", "writers"):
            inner = io.BytesIO()
            np.save(inner, GOOD[k])
            z.writestr(f"{k}.npy", inner.getvalue())
    return buf.getvalue()


BAD = {
    "wrong dtype": (npz(**{**GOOD, "images": GOOD["images"].astype(np.float32)}), "not uint8"),
    "wrong shape": (npz(**{**GOOD, "images": np.zeros((4, 32, 32), np.uint8)}), "not N x 28 x 28"),
    "flat images": (npz(**{**GOOD, "images": np.zeros((4, 784), np.uint8)}), "not N x 28 x 28"),
    "labels out of range": (npz(**{**GOOD, "labels": np.array([0, 1, 2, 10])}), "0 to 9"),
    "negative labels": (npz(**{**GOOD, "labels": np.array([0, -1, 2, 3])}), "0 to 9"),
    "float labels": (npz(**{**GOOD, "labels": np.array([0.0, 1, 2, 3])}), "not whole numbers"),
    "short labels": (npz(**{**GOOD, "labels": np.array([0, 1, 2])}), "not \\(4,\\)"),
    "no writers": (npz(images=GOOD["images"], labels=GOOD["labels"]), "no 'writers' array"),
    "pickle": (npz(**{**GOOD, "writers": np.array([{"a": 1}] * 4, dtype=object)}), "pickle"),
    "an extra field": (npz(**GOOD, evil=np.zeros(1)), "unexpected field"),
    "huge": (b"PK" + b"\0" * (handwriting.MAX_FILE_BYTES + 1), "MB is more than"),
    "unpacks huge": (_huge_zip(), "unpacks to"),
    "truncated": (npz(**GOOD)[:-200], "truncated"),
    "a header that lies": (_lying_header(), "declares 1000000000x28x28 values but holds fewer"),
    "not a zip": (b"\x93NUMPY not really", "not a complete .npz"),
    "empty": (npz(images=np.zeros((0, 28, 28), np.uint8), labels=np.zeros(0, int), writers=np.zeros(0, int)),
              "holds no digits"),
    "bad nickname": (npz(**GOOD, nicknames=np.array(["Ana", "<b>x</b>"])), "nickname"),
    "too few nicknames": (npz(**GOOD, nicknames=np.array(["Ana"])), "1 nicknames"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_are_refused_in_one_line(case):
    raw, match = BAD[case]
    with pytest.raises(ImportRefused, match=match) as exc:
        read_npz(raw, "x.npz")
    assert "\n" not in str(exc.value) and str(exc.value).startswith("x.npz: ")


def test_a_refused_import_stores_nothing(room, teacher):
    there = teacher.__class__(teacher.visitor_id, True, room.id)
    with pytest.raises(ImportRefused):
        handwriting.import_npz(there, BAD["labels out of range"][0])
    assert drawings.class_drawings(teacher, room.id) == []


def test_imports_do_not_count_against_the_drawing_cap_but_the_set_has_one(room, teacher, monkeypatch):
    there = teacher.__class__(teacher.visitor_id, True, room.id)
    monkeypatch.setattr(drawings, "MAX_PER_SET", 5)
    handwriting.import_npz(there, npz(**GOOD))
    with pytest.raises(ClassroomError, match="at most 5 digits"):
        handwriting.import_npz(there, npz(**GOOD))
    drawings.add_drawing(there, 3, digit(0))  # the teacher may still draw


def test_the_cli_exports_and_imports_and_refuses_a_bad_file_in_one_line(room, teacher, tmp_path, capsys):
    import json

    from mnist_core.__main__ import main
    for nick in ("Ana", "Bea"):
        m = join(room, nick)
        for k in range(3):
            drawings.add_drawing(m, k, digit(k))
    out = tmp_path / "ours.npz"
    assert main(["dataset", "export", str(out), "--class", room.code.lower(), "--nicknames"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (res["exported"], res["writers"], res["nicknames"]) == (6, 2, True)
    other = classes.start_class(teacher, "Period 4")
    assert main(["dataset", "import", str(out), "--class", other.code]) == 0
    assert json.loads(capsys.readouterr().out)["imported"] == 6
    assert sorted({d.nickname for d in drawings.class_drawings(teacher, other.id)}) == ["Ana", "Bea"]
    bad = tmp_path / "bad.npz"
    bad.write_bytes(BAD["pickle"][0])
    assert main(["dataset", "import", str(bad), "--class", other.code]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: bad.npz: holds Python objects") and err.count("\n") == 1
    assert main(["dataset", "import", str(bad), "--class", "ZZZZZZ"]) == 2
    assert "no class has the code ZZZZZZ" in capsys.readouterr().err
    assert len(drawings.class_drawings(teacher, other.id)) == 6
