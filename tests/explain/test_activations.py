import numpy as np
import torch

from mnist_core import inference, presets
from mnist_core.explain import activations, digits
from mnist_core.spec import ArchSpec, Flatten, Linear, Softmax


def test_kernels_and_layer_outputs_follow_the_spec():
    spec = presets.get("seed000").spec()
    model = spec.build()
    ks = activations.kernels(spec, model)
    assert [k[0] for k in ks] == [1, 4, 7] and ks[1][2].shape == (8, 4, 3, 3)
    outs = activations.layer_outputs(spec, model, torch.randn(1, 1, 28, 28))
    assert len(outs) == len(spec.layers)
    assert [o.shape for o in outs] == [li.out_shape for li in spec.analyze().layers]


def test_probabilities_never_double_softmax():
    spec = ArchSpec(layers=[Flatten(), Linear(10), Softmax()])
    model = spec.build()
    p = inference.predict(spec, model, torch.randn(1, 1, 28, 28))
    direct = model(torch.randn(1, 1, 28, 28))
    assert p.sum() == np.float32(p.sum()) and abs(p.sum() - 1) < 1e-5
    assert not np.allclose(p, np.full(10, 0.1), atol=1e-3) or np.allclose(direct.detach().numpy(), 0.1, atol=1e-3)


def test_saliency_shape_and_target():
    spec = presets.get("seed001").spec()
    sal, target = activations.saliency(spec, spec.build(), torch.randn(1, 1, 28, 28))
    assert sal.shape == (28, 28) and 0 <= target < 10 and np.abs(sal).sum() > 0


def test_evaluation_confusion_and_mistakes(sample):
    from mnist_core.training.config import TrainConfig
    from mnist_core.training.loop import fit
    spec = presets.get("seed001").spec()
    res = fit(spec, TrainConfig(epochs=1, max_batches=20), sample)
    ev = inference.evaluate_model(spec, res.model, sample.test_images, sample.test_labels)
    assert ev.confusion.sum() == len(sample.test_labels)
    assert ev.accuracy == np.trace(ev.confusion) / ev.confusion.sum()
    np.testing.assert_allclose(ev.per_class, np.diag(ev.confusion) / ev.confusion.sum(1))
    idx = ev.cell(3, 5)
    assert all(ev.labels[i] == 3 and ev.pred[i] == 5 for i in idx)
    worst = ev.worst_mistakes(10)
    conf = ev.probs[worst, ev.pred[worst]]
    assert (np.diff(conf) <= 1e-7).all() and all(ev.pred[i] != ev.labels[i] for i in worst)


def test_dataset_views(sample):
    counts = digits.class_counts(sample.train_labels)
    assert counts.sum() == 4000 and len(counts) == 10
    means = digits.mean_digits(sample.train_images, sample.train_labels)
    assert means.shape == (10, 28, 28) and means[1].sum() < means[0].sum()  # a 1 has less ink than a 0
    h, edges = digits.pixel_histogram(sample.train_images)
    assert h.sum() == sample.train_images.numel() and len(edges) == len(h) + 1
    xy, idx = digits.pca_2d(sample.train_images, n=500)
    assert xy.shape == (500, 2) and len(idx) == 500
    emb, idx2 = digits.tsne_2d(sample.train_images, n=150)
    assert emb.shape == (150, 2)
    x, label = inference.digit_input(sample, "test", 10**9)  # clipped, not an IndexError
    assert x.shape == (1, 1, 28, 28) and label == int(sample.test_labels[-1])
