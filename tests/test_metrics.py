import numpy as np
import pytest

from keras_adegan import ADeGANError
from keras_adegan.metrics import component_scores, decision_metrics, ranking_metrics


def test_component_scores_direction():
    out = {"paper_score": np.array([0.1, 5.0]), "feature_score": np.array([0.2, 0.9]),
           "recon_error": np.array([0.01, 0.5]),
           "recon_prob": np.array([0.9, 0.01]), "pattern_prob": np.array([0.99, 0.3])}
    scores = component_scores(out)
    for values in scores.values():
        assert values[1] > values[0]  # the second image is the more anomalous on every component
    assert scores["mean_prob"][0] == pytest.approx(1 - (0.9 + 0.99) / 2)
    assert set(scores) == {"features", "combined", "recon", "pattern", "mean_prob"}
    parts = component_scores({**out, "density_score": np.array([3.0, 1.0]),
                              "rotation_score": np.array([0.5, 2.0])})
    np.testing.assert_array_equal(parts["density"], [3.0, 1.0])  # each part as it is
    np.testing.assert_array_equal(parts["rotation"], [0.5, 2.0])


def test_validation_curve_logs_the_rotation_score_and_not_the_bankless_parts():
    from keras_adegan import ADeGAN, to_model_range
    from keras_adegan.metrics import ValidationAUROC
    from tests.conftest import random_images

    model = ADeGAN(image_shape=(16, 16, 1), n_patterns=4, noise_dim=4, width=4,
                   real_task="rotation", rotation_score_weight=1.0)
    model.compile()
    model.stage = 2
    images = random_images(24, seed=5)
    labels = np.arange(24) % 3 == 0
    callback = ValidationAUROC({"val": (images, labels)})
    callback.set_model(model)
    callback.on_epoch_end(0)
    row = callback.history[-1]
    expected = ranking_metrics({"r": model.rotation_scores(to_model_range(images))}, labels)
    assert row["val_auroc_rotation"] == pytest.approx(expected["auroc_r"])
    assert "val_auroc_density" not in row and "val_auroc_features" not in row
    with_bank = ValidationAUROC({"val": (images, labels)}, bank_images=random_images(20, seed=7))
    with_bank.set_model(model)
    with_bank.on_epoch_end(0)
    # the rotation scores of raw_outputs are reused: the same figure as computing them again
    from keras_adegan.metrics import sample_bank_feature_scores

    again = sample_bank_feature_scores(model, to_model_range(random_images(20, seed=7)),
                                       {"val": to_model_range(images)}, labels == 0)
    assert with_bank.history[-1]["val_auroc_features"] == pytest.approx(
        ranking_metrics({"f": again["val"]}, labels)["auroc_f"])


@pytest.mark.parametrize("score,leading", [("features", "val_auroc_features"),
                                           ("paper", "val_auroc_combined")])
def test_epoch_line_leads_with_the_deciding_score(score, leading):
    """With a bank of training normals, the feature score is logged after each stage-2
    epoch, and the score that decides comes first in the epoch's logs (the printed line)."""
    from keras_adegan import ADeGAN, to_model_range
    from keras_adegan.metrics import ValidationAUROC, sample_bank_feature_scores
    from tests.conftest import random_images

    model = ADeGAN(image_shape=(16, 16, 1), n_patterns=4, noise_dim=4, width=4, score=score,
                   bank_size=64)
    model.compile()
    model.stage = 2
    images, bank = random_images(24, seed=5), random_images(30, seed=6)
    labels = np.arange(24) % 3 == 0
    callback = ValidationAUROC({"val": (images, labels)}, bank_images=bank)
    callback.set_model(model)
    logs = {"loss": 1.0, "core_cluster_acc": 0.5}
    callback.on_epoch_end(0, logs)
    assert list(logs)[0] == leading and list(logs)[-2:] == ["loss", "core_cluster_acc"]
    assert all(k.startswith("val_auroc") for k in list(logs)[:-2])
    scores = sample_bank_feature_scores(model, to_model_range(bank),
                                        {"val": to_model_range(images)}, labels == 0)
    expected = ranking_metrics({"f": scores["val"]}, labels)["auroc_f"]
    assert logs["val_auroc_features"] == pytest.approx(expected)


def test_ranking_metrics_known_values():
    labels = np.array([0, 0, 1, 1])
    m = ranking_metrics({"perfect": np.array([0.1, 0.2, 0.8, 0.9]),
                         "reversed": np.array([0.9, 0.8, 0.2, 0.1])}, labels)
    assert m["auroc_perfect"] == 1.0 and m["auprc_perfect"] == 1.0
    assert m["auroc_reversed"] == 0.0
    with pytest.raises(ADeGANError, match="both normal and anomalous"):
        ranking_metrics({"x": np.array([1.0, 2.0])}, np.array([0, 0]))


def test_decision_metrics_known_values():
    labels = np.array([0, 0, 0, 0, 1, 1])
    flagged = np.array([1, 0, 0, 0, 1, 0])
    m = decision_metrics(flagged, labels)
    assert m == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "fpr": 0.25})
