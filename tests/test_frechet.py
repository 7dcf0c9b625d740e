import numpy as np
import pytest

from keras_adegan.frechet import (FrechetClassifier, build_classifier, frechet_distance, gaussian,
                                  load_classifier)

SHAPE = (8, 8, 1)


def test_the_distance_of_a_set_to_itself_is_zero():
    a = np.random.default_rng(0).normal(size=(300, 4))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_gaussians_of_equal_covariance_differ_by_their_means_squared_distance():
    a = np.random.default_rng(0).normal(size=(500, 3))
    assert frechet_distance(a, a + [3.0, 4.0, 0.0]) == pytest.approx(25.0, rel=1e-6)


def test_the_covariance_term_by_hand():
    # 1-d: (mu_a - mu_b)^2 + (s_a - s_b)^2 with standard deviations s
    a = (np.zeros(1), np.eye(1) * 4.0)
    b = (np.ones(1), np.eye(1) * 1.0)
    assert frechet_distance(a, b) == pytest.approx(1.0 + (2.0 - 1.0) ** 2)
    assert gaussian([[0.0], [2.0]])[1].tolist() == [[2.0]]  # unbiased covariance


def test_a_singular_covariance_still_gives_a_finite_distance():
    a = np.zeros((50, 4))
    a[:, 0] = np.arange(50)  # rank 1
    assert np.isfinite(frechet_distance(a, a + 1.0))


def test_save_and_load_round_trip(tmp_path):
    model = build_classifier(SHAPE, 3)
    classifier = FrechetClassifier(model, {"image_shape": list(SHAPE), "n_classes": 3,
                                           "test_accuracy": 0.5})
    classifier.save("toy", tmp_path)
    images = np.random.default_rng(0).integers(0, 256, (5,) + SHAPE).astype(np.uint8)
    loaded = load_classifier("toy", SHAPE, tmp_path)
    assert loaded.card["test_accuracy"] == 0.5
    np.testing.assert_allclose(loaded.features(images), classifier.features(images), atol=1e-6)
    assert loaded.features(images).shape == (5, 64)


def test_no_classifier_for_an_unknown_dataset_or_another_shape(tmp_path):
    FrechetClassifier(build_classifier(SHAPE, 3), {"image_shape": list(SHAPE),
                                                   "n_classes": 3}).save("toy", tmp_path)
    assert load_classifier("folder", SHAPE, tmp_path) is None
    assert load_classifier("toy", (16, 16, 1), tmp_path) is None


@pytest.mark.parametrize("dataset, shape", [("mnist", (28, 28, 1)),
                                            ("fashion_mnist", (28, 28, 1)),
                                            ("cifar10", (32, 32, 3))])
def test_every_named_dataset_ships_a_classifier_with_its_card(dataset, shape):
    classifier = load_classifier(dataset, shape)
    assert classifier is not None, f"run python -m benchmarks.frechet_classifiers --datasets {dataset}"
    for key in ("command", "seed", "epochs", "versions", "train_seconds", "test_accuracy"):
        assert key in classifier.card
    assert classifier.card["test_accuracy"] > (0.5 if dataset == "cifar10" else 0.85)
