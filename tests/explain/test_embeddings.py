import numpy as np
import pytest

from mnist_core import presets
from mnist_core.explain.embeddings import EmbeddingError, build_map, feature_layer, features, vector_of
from mnist_core.runs import load_demo


@pytest.fixture(scope="module")
def demo():
    return load_demo()


def test_feature_layer_is_the_input_of_the_last_linear():
    assert feature_layer(presets.get("fast").spec()) == 10  # 10 layers, then Linear(10)
    assert feature_layer(presets.get("seed004").spec()) == 3


def test_a_training_digit_lands_where_its_own_embedding_does_and_is_its_own_nearest(demo, sample):
    spec, model = demo
    m = build_map(sample, "features", spec, model, n=500)
    assert m.coords.shape == (500, 2) and m.vectors.shape[0] == 500
    i = m.indices[17]
    v = vector_of("features", sample.train_images[i].numpy(), spec, model)
    np.testing.assert_allclose(m.place(v[None])[0], m.coords[17], atol=1e-3)
    idx, dist = m.neighbours(v, k=5)
    assert idx[0] == i and dist[0] == pytest.approx(0, abs=1e-3) and np.all(np.diff(dist) >= 0)


def test_features_separate_the_classes_better_than_pixels(demo, sample):
    spec, model = demo
    px = build_map(sample, "pixels", n=800)
    ft = build_map(sample, "features", spec, model, n=800)
    assert ft.separation > px.separation + 0.1
    i = px.indices[3]
    idx, _ = px.neighbours(vector_of("pixels", sample.train_images[i].numpy()), k=3)
    assert idx[0] == i


def test_features_and_errors(demo, sample):
    spec, model = demo
    assert features(spec, model, sample.test_images[:7]).shape == (7, 128)
    with pytest.raises(EmbeddingError):
        build_map(sample, "features")
    with pytest.raises(EmbeddingError):
        build_map(sample, "colours", spec, model)
