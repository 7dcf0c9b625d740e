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
