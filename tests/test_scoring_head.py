import inspect

import keras
import numpy as np
import pytest

from keras_adegan import ADeGANError
from keras_adegan.scoring_head import ScoringHead


def features(n, seed):
    return np.random.default_rng(seed).normal(size=(n, 4)).astype(np.float32)


def outputs(head, n, seed):
    """The head's outputs on `n` images, as `ADeGAN` gives them (numpy)."""
    rng = np.random.default_rng(seed + 100)
    probs = rng.dirichlet(np.ones(3), n).astype(np.float32)
    inputs = {"probs": probs, "features": features(n, seed),
              "recon_error": rng.gamma(2.0, 0.1, n).astype(np.float32)}
    if head.needs_rotation:
        inputs["rotation"] = rng.normal(size=n).astype(np.float32)
    return {k: keras.ops.convert_to_numpy(v) for k, v in head(inputs).items()}, inputs


def fitted_head(**kwargs):
    head = ScoringHead(feature_dim=4, n_patterns=3, bank_size=16, feature_k=2, **kwargs)
    head.fit(features(40, seed=0))
    head.calibrate(outputs(head, 200, seed=1)[0])
    return head


def test_every_constructor_argument_is_in_get_config_and_a_fitted_head_round_trips():
    head = fitted_head(feature_distance="euclidean", feature_projection=2,
                       rotation_score_weight=0.5, score="paper", seed=3, bank_fill="kmeans")
    arguments = set(inspect.signature(ScoringHead.__init__).parameters) - {"self", "kwargs"}
    assert arguments <= set(head.get_config())
    copy = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(head))
    assert copy.get_config() == head.get_config() and not copy.is_fitted
    copy.set_weights(head.get_weights())
    assert copy.is_fitted and copy.is_calibrated
    out, inputs = outputs(head, 20, seed=2)
    again = {k: keras.ops.convert_to_numpy(v) for k, v in copy(inputs).items()}
    assert set(again) == set(out)
    for name in out:
        np.testing.assert_array_equal(again[name], out[name])


@pytest.mark.parametrize("kwargs,message", [
    ({"score": "both"}, "score must be one of"),
    ({"feature_distance": "manhattan"}, "feature_distance must be one of"),
    ({"bank_fill": "coreset"}, "bank_fill must be one of random, kmeans"),
    ({"feature_k": 17}, r"feature_k must be between 1 and bank_size \(16\)"),
])
def test_a_bad_argument_is_refused_by_name(kwargs, message):
    with pytest.raises(ADeGANError, match=message):
        ScoringHead(feature_dim=4, n_patterns=3, bank_size=16, **kwargs)
