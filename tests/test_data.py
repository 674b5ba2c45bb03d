import gzip
import struct

import pytest
import torch

from mnist_core import data
from mnist_core.data import DataError, load_dataset, read_idx


def write_idx(path, arr, magic=None, gz=False, count=None):
    arr = torch.as_tensor(arr, dtype=torch.uint8)
    dims = list(arr.shape)
    if count is not None:
        dims[0] = count
    header = struct.pack(">HBB", 0, 8, arr.dim()) + struct.pack(">" + "I" * arr.dim(), *dims)
    if magic is not None:
        header = magic + header[4:]
    raw = header + arr.numpy().tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def make_dir(tmp_path, n=20, gz=True):
    g = torch.Generator().manual_seed(0)
    imgs = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
    labs = torch.arange(n) % 10
    sfx = ".gz" if gz else ""
    write_idx(tmp_path / f"train-images-idx3-ubyte{sfx}", imgs, gz=gz)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{sfx}", labs, gz=gz)
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{sfx}", imgs[:5], gz=gz)
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{sfx}", labs[:5], gz=gz)
    return imgs, labs


@pytest.mark.parametrize("gz", [True, False])
def test_reads_gz_and_raw_idx(tmp_path, gz):
    imgs, labs = make_dir(tmp_path, gz=gz)
    ds = data.load_idx_dir(tmp_path)
    assert ds.train_images.dtype == torch.uint8 and ds.train_images.shape == (20, 28, 28)
    assert torch.equal(ds.train_images, imgs)
    assert ds.train_labels.dtype == torch.int64 and torch.equal(ds.train_labels, labs)
    assert ds.test_images.shape == (5, 28, 28)
    assert str(tmp_path) in ds.source and ds.kind == "full"


def test_finds_torchvision_layout(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    make_dir(raw)
    ds = load_dataset(data_dir=tmp_path)
    assert len(ds.train_labels) == 20


def test_bad_magic_number_is_named(tmp_path):
    p = write_idx(tmp_path / "x-idx3-ubyte", torch.zeros(2, 28, 28), magic=b"\x00\x00\x09\x03")
    with pytest.raises(DataError, match=r"x-idx3-ubyte: bad magic number"):
        read_idx(p)


def test_count_mismatch(tmp_path):
    p = write_idx(tmp_path / "imgs", torch.zeros(3, 28, 28), count=5)
    with pytest.raises(DataError, match="count mismatch"):
        read_idx(p)


def test_truncated_gzip(tmp_path):
    p = write_idx(tmp_path / "imgs.gz", torch.zeros(30, 28, 28), gz=True)
    p.write_bytes(p.read_bytes()[:40])
    with pytest.raises(DataError, match="imgs.gz: corrupt or truncated gzip"):
        read_idx(p)


def test_not_gzip_although_named_gz(tmp_path):
    p = tmp_path / "labels.gz"
    p.write_bytes(b"hello world, not gzip")
    with pytest.raises(DataError, match="not gzip"):
        read_idx(p)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_idx(tmp_path / "nope")
    with pytest.raises(DataError, match="no such folder"):
        load_dataset(data_dir=tmp_path / "nowhere")
    with pytest.raises(DataError, match="missing train-images"):
        load_dataset(data_dir=tmp_path)


def test_label_image_count_disagreement(tmp_path):
    make_dir(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", torch.zeros(7), gz=True)
    with pytest.raises(DataError, match="20 images but 7 labels"):
        data.load_idx_dir(tmp_path)


def test_embedded_sample_is_real_and_deterministic(sample):
    assert sample.kind == "sample"
    assert len(sample.train_labels) == 4000 and len(sample.test_labels) == 1000
    assert sample.train_images.dtype == torch.uint8
    assert set(sample.train_labels.tolist()) == set(range(10))
    # real digits: mostly black background with some bright ink
    frac_ink = (sample.train_images > 128).float().mean().item()
    assert 0.05 < frac_ink < 0.3
    again = data.load_sample()
    assert torch.equal(again.test_labels, sample.test_labels)


def test_fallback_to_sample_when_nothing_found(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(data, "DEFAULT_CACHE", tmp_path / "cache")
    ds = load_dataset()
    assert ds.kind == "sample"
    with pytest.raises(DataError, match="KMNIST not found"):
        load_dataset("kmnist")


def test_env_dir_is_used(tmp_path, monkeypatch):
    make_dir(tmp_path)
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path))
    assert load_dataset().kind == "full"


def test_full_mnist(full):
    assert full.train_images.shape == (60000, 28, 28)
    assert full.test_images.shape == (10000, 28, 28)
    assert full.train_labels[:5].tolist() == [5, 0, 4, 1, 9]


def test_download_fails_fast_offline(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "_online", lambda *a, **k: False)
    with pytest.raises(DataError, match="offline"):
        data.download("mnist", tmp_path)


def test_unknown_dataset():
    with pytest.raises(DataError, match="unknown dataset"):
        load_dataset("cifar")


def test_other_datasets_never_take_mnist_files(tmp_path, monkeypatch):
    make_dir(tmp_path)
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data, "DEFAULT_CACHE", tmp_path / "cache")
    monkeypatch.chdir(tmp_path)
    assert data.find_idx_dir(tmp_path, "kmnist") is None
    with pytest.raises(DataError, match="KMNIST not found"):
        load_dataset("kmnist")
    k = tmp_path / "KMNIST" / "raw"
    k.mkdir(parents=True)
    make_dir(k)
    ds = load_dataset("kmnist")
    assert ds.name == "kmnist" and ds.classes[1] == "ki"


def test_the_shipped_sample_is_mlxtends_digits_exactly():
    """The sample is read from a compressed uint8 copy (a fast cold start); it must be the same digits."""
    import numpy as np

    from mnist_core.data import sample_arrays
    fast, slow = sample_arrays(prefer_npz=True), sample_arrays(prefer_npz=False)
    assert fast[0].dtype == np.uint8 and fast[0].shape == (5000, 28, 28)
    assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])


def test_the_shipped_sample_order_is_torchs_shuffle():
    """The sample's train/test split reads a shipped shuffle (no torch at load time); it must be the
    one every run and model has used since the first, torch.randperm with seed 0."""
    import numpy as np

    from mnist_core.data import sample_order
    want = torch.randperm(5000, generator=torch.Generator().manual_seed(0)).numpy()
    assert np.array_equal(sample_order(5000), want)
    assert np.array_equal(sample_order(7), torch.randperm(7, generator=torch.Generator().manual_seed(0)).numpy())


def test_a_dataset_keeps_numpy_arrays_and_shows_tensors_over_the_same_memory():
    import dataclasses

    import numpy as np
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    labels = np.array([3, 7], dtype=np.int64)
    ds = data.Dataset(name="mnist", train_images=images, train_labels=labels, test_images=images[:1],
                      test_labels=labels[:1], source="test")
    arr, lab = ds.arrays("train")
    assert arr is images and lab is labels and ds.sizes() == (2, 1)
    t = ds.train_images
    assert isinstance(t, torch.Tensor) and t.dtype == torch.uint8 and ds.train_images is t
    t[0, 0, 0] = 99  # one memory: what a training step reads is what the page shows
    assert images[0, 0, 0] == 99
    ro = labels.copy()
    ro.flags.writeable = False  # Ray's object store hands out read-only arrays: torch cannot share those
    ds.test_labels = ro
    assert ds.test_labels.tolist() == [3, 7] and ds.arrays("test")[1] is not ro
    same = dataclasses.replace(ds, kind="x")  # a tensor given back in: kept as its array
    assert same.kind == "x" and torch.equal(same.train_images, t) and same.arrays("train")[0].base is not None
    from_tensors = data.Dataset(name="mnist", train_images=t, train_labels=torch.tensor([1, 2]),
                                test_images=t[:1], test_labels=torch.tensor([1]), source="test")
    assert isinstance(from_tensors.arrays("train")[0], np.ndarray) and from_tensors.train_labels.tolist() == [1, 2]
    with pytest.raises(TypeError):
        data.Dataset(name="mnist", source="no arrays")  # the four arrays are required
    with pytest.raises(DataError):
        ds.arrays("validation")
