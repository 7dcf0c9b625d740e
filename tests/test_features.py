import numpy as np

from keras_adegan.features import extractor_features, feature_knn_scores
from keras_adegan.score import load_detector


def test_features_are_unit_vectors_of_the_heads_input(trained_run, digits_splits):
    model = load_detector(trained_run[0] / "model.keras")
    features = extractor_features(model, digits_splits.test_x[:10])
    assert features.shape == (10, model.extractor.get_layer("pattern_logits").input.shape[-1])
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, rtol=1e-5)


def test_training_images_are_at_distance_zero_from_themselves(trained_run, digits_splits):
    model = load_detector(trained_run[0] / "model.keras")
    train = digits_splits.train_x[:50]
    scores = feature_knn_scores(model, train, np.concatenate([train[:5], digits_splits.test_x[:5]]), k=1)
    np.testing.assert_allclose(scores[:5], 0.0, atol=1e-5)
    assert np.all(scores >= -1e-6) and np.all(scores <= 2.0)
