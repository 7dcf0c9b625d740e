import numpy as np
import pytest

from keras_adegan import features


def clusters(seed=0, n=60, dim=6):
    """Three tight, well separated clusters."""
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[:3] * 10
    return np.concatenate([c + rng.normal(0, 0.1, (n, dim)) for c in centres]).astype(np.float32)


def test_a_smaller_bank_is_a_seeded_random_subset():
    x = clusters()
    picked = features.select_bank(x, 20, seed=3)
    assert len(set(picked)) == 20 and list(picked) == sorted(picked)
    assert list(features.select_bank(x, 20, seed=3)) == list(picked)  # the seed decides
    assert list(features.select_bank(x, 20, seed=4)) != list(picked)
    assert list(features.select_bank(x, 500, seed=3)) == list(range(len(x)))  # all fit


@pytest.mark.parametrize("distance", ["cosine", "euclidean"])
def test_a_kmeans_bank_holds_centroids_nearer_the_normals_than_a_random_subset(distance):
    x = clusters(seed=6)
    kmeans = features.fit_head(x, distance, bank_size=3, seed=1, fill="kmeans")
    random = features.fit_head(x, distance, bank_size=3, seed=1)
    assert kmeans["bank"].shape == (3, 6) and np.all(kmeans["bias"] < features.PADDING)
    again = features.fit_head(x, distance, bank_size=3, seed=1, fill="kmeans")
    np.testing.assert_array_equal(again["bank"], kmeans["bank"])  # the seed decides
    if distance == "cosine":  # unit rows, as a random cosine bank's
        np.testing.assert_allclose(np.linalg.norm(kmeans["bank"], axis=1), 1.0, rtol=1e-5)
    # three centroids for three clusters: every normal is near one; a random three seldom are
    near = features.head_scores(x, kmeans, k=1, distance=distance)
    assert near.max() < features.head_scores(x, random, k=1, distance=distance).max()


def test_a_kmeans_bank_of_more_rows_than_normals_holds_the_normals():
    x = clusters(seed=7)[:10]
    head = features.fit_head(x, "euclidean", bank_size=16, fill="kmeans")
    np.testing.assert_array_equal(head["bank"][:10], x)
    assert np.sum(head["bias"] >= features.PADDING) == 6


def test_an_unknown_fill_is_refused_by_name():
    with pytest.raises(ValueError, match="fill must be one of"):
        features.fit_head(clusters(), "cosine", bank_size=8, fill="coreset")


@pytest.mark.parametrize("distance", ["cosine", "euclidean"])
def test_knn_bank_members_score_zero_and_padding_is_never_a_neighbour(distance):
    x = clusters()
    head = features.fit_head(x[:10], distance, bank_size=16)
    assert head["bank"].shape == (16, 6) and np.sum(head["bias"] >= features.PADDING) == 6
    scores = features.head_scores(x[:10], head, k=1, distance=distance)
    # euclidean: sqrt of |f|^2 - 2<f, b> + |b|^2 cancels in float32 at |f|^2 ~ 100
    np.testing.assert_allclose(scores, 0.0, atol=2e-3 if distance == "cosine" else 1e-2)
    far = features.head_scores(x[-5:], head, k=10, distance=distance)  # k = every real row
    assert np.all(far < 100) and np.all(far > scores.max())


@pytest.mark.parametrize("distance,k", [("cosine", 3), ("euclidean", 1)])
def test_graph_and_numpy_scores_agree(distance, k):
    x = clusters(seed=2)
    head = features.fit_head(x, distance, bank_size=32)
    query = clusters(seed=3)[::7] + 0.5
    graph = features.graph_scores(query, head["bank"], head["bias"], head["projection"], k,
                                  distance).numpy()
    np.testing.assert_allclose(graph, features.head_scores(query, head, k, distance), rtol=1e-4,
                               atol=1e-4)


def test_standardised_sum_weighs_the_standardised_parts():
    stats = {"density_mean": 1.0, "density_std": 2.0, "rotation_mean": -1.0, "rotation_std": 0.5}
    got = features.standardised_sum(np.array([3.0]), np.array([0.0]), stats, 0.5)
    assert got[0] == pytest.approx((3 - 1) / 2 + 0.5 * (0 + 1) / 0.5)


def test_principal_directions_keep_features_that_lie_in_a_subspace():
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(8, 3)))[0]
    feats = rng.normal(size=(50, 3)) @ basis.T
    p = features.principal_directions(feats, 3)
    assert p.shape == (8, 3)
    # distances between projected points are the distances between the points
    a, b = feats[:1] @ p, feats[1:2] @ p
    assert np.linalg.norm(a - b) == pytest.approx(np.linalg.norm(feats[0] - feats[1]), rel=1e-5)


def test_a_projected_bank_scores_in_the_projected_space():
    x = clusters(seed=4, dim=6)
    head = features.fit_head(x, "euclidean", bank_size=len(x), projection=2)
    assert head["bank"].shape == (len(x), 2) and head["projection"].shape == (6, 2)
    np.testing.assert_allclose(head["bank"], x @ head["projection"], rtol=1e-5)
    query = clusters(seed=5, dim=6)[::9]
    graph = features.graph_scores(query, head["bank"], head["bias"], head["projection"], 3,
                                  "euclidean").numpy()
    np.testing.assert_allclose(graph, features.head_scores(query, head, 3, "euclidean"),
                               rtol=1e-4, atol=1e-3)
