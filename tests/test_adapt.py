"""Fine-tuning on MNIST plus our digits: it learns our hands (held-out writers), keeps MNIST, refuses honestly."""

import numpy as np
import pytest
import torch

from mnist_core import adapt
from mnist_core.classroom.handwriting import split_by_writer, too_few
from mnist_core.data import Dataset, load_sample
from mnist_core.runs import load_demo


def ours_from(images: torch.Tensor, labels: torch.Tensor, writers: list[str]) -> Dataset:
    tr, te = split_by_writer(writers)
    return Dataset(name="ours", train_images=images[tr], train_labels=labels[tr], test_images=images[te],
                   test_labels=labels[te], source="test", kind="ours-test",
                   train_writers=[writers[i] for i in tr], test_writers=[writers[i] for i in te],
                   writer_names={w: w for w in writers})


@pytest.fixture(scope="module")
def mnist():
    return load_sample()


@pytest.fixture(autouse=True)
def one_thread():
    """Small batches: one thread is faster than two fighting a busy machine (10 s instead of 100 s here)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_fine_tuning_learns_our_hands_and_keeps_mnist(mnist):
    spec, model = load_demo()
    # "Our" handwriting: mirrored digits, which an MNIST model reads badly; 12 writers of 40 digits each
    images = torch.flip(mnist.train_images[:480], dims=[2]).contiguous()
    labels = mnist.train_labels[:480]
    writers = [f"w{i // 40}" for i in range(480)]
    ours = ours_from(images, labels, writers)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    res = adapt.adapt(spec, model, mnist, ours, steps=100, batch_size=32, lr=1e-3, seed=0)
    assert res.before_ours.writers == 4 and res.after_ours.n == len(ours.test_labels) == 160
    assert res.trained_on.writers == 8 and res.trained_on.n == 320
    assert res.after_ours.accuracy > res.before_ours.accuracy + 0.2  # it learned the mirrored hands
    assert res.after_mnist.accuracy > 0.95  # and did not forget MNIST (the sample's 1,000 test digits)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # the original is untouched
    assert "held-out writers (160 digits, 4 writers)" in res.note()
    assert 0 < res.after_ours.interval < 0.1


def test_without_two_writers_there_is_no_honest_test(mnist):
    spec, model = load_demo()
    one = ours_from(mnist.train_images[:30], mnist.train_labels[:30], ["me"] * 30)
    with pytest.raises(adapt.AdaptError, match="at least two writers"):
        adapt.adapt(spec, model, mnist, one)
    with pytest.raises(adapt.AdaptError, match="steps must be"):
        adapt.finetune(spec, model, mnist, mnist.train_images[:5], mnist.train_labels[:5], steps=0)


def test_too_few_to_conclude_and_per_writer():
    assert too_few(12, 2) is not None and "12 digits by 2 writers" in too_few(12, 2)
    assert too_few(500, 6) is None
    rows = adapt.per_writer(np.array([1, 1, 2, 0]), np.array([1, 0, 2, 0]), ["a", "a", "b", "b"])
    assert rows == [("a", 0.5, 2), ("b", 1.0, 2)]
