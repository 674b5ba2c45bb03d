import pytest

from mnist_core.mistakes import TagError, load_tags, set_tag, summary, tag_of


def test_tags_persist_and_summarise(tmp_path):
    set_tag(tmp_path, "mnist", 12, "ambiguous")
    set_tag(tmp_path, "mnist", 40, "mislabelled")
    set_tag(tmp_path, "mnist", 41, "mislabelled")
    set_tag(tmp_path, "fashion", 12, "model error")
    tags = load_tags(tmp_path)  # read back from disk
    assert tag_of(tags, "mnist", 12) == "ambiguous" and tag_of(tags, "fashion", 12) == "model error"
    assert summary(tags, "mnist") == {"ambiguous": 1, "mislabelled": 2, "model error": 0}
    set_tag(tmp_path, "mnist", 40, None)
    assert summary(load_tags(tmp_path), "mnist")["mislabelled"] == 1


def test_bad_tags_and_broken_files(tmp_path):
    with pytest.raises(TagError):
        set_tag(tmp_path, "mnist", 1, "boring")
    (tmp_path / "mistake_tags.json").write_text("{not json")
    assert load_tags(tmp_path) == {}
    (tmp_path / "mistake_tags.json").write_text('{"mnist:3": "weird", "mnist:4": "ambiguous"}')
    assert load_tags(tmp_path) == {"mnist:4": "ambiguous"}
