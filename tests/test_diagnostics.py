import numpy as np
import pytest

from keras_adegan.diagnostics import (CoreMonitor, CoreProbe, cluster_accuracy, core_caption,
                                      core_metrics, mean_pairwise_distance)

SHAPE = (8, 8, 1)


def test_cluster_accuracy_is_the_best_one_to_one_matching():
    assert cluster_accuracy([2, 2, 0, 0, 1], [0, 0, 1, 1, 2]) == 1.0  # names do not matter
    assert cluster_accuracy([0, 0, 1, 1, 1], [1, 1, 0, 0, 1]) == pytest.approx(0.8)
    # more clusters than classes: an unmatched cluster counts as wrong
    assert cluster_accuracy([0, 1, 2, 3], [0, 0, 1, 1]) == pytest.approx(0.5)
    assert cluster_accuracy([0, 0, 0, 0], [0, 1, 2, 3]) == pytest.approx(0.25)  # collapsed


def test_mean_pairwise_distance_by_hand():
    points = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
    assert mean_pairwise_distance(points) == pytest.approx((5 + 5 + 0) / 3)


def class_images(k, n, rng):
    """Images of class k: a bright band at rows 2k, 2k + 1, a little noise elsewhere (uint8)."""
    x = rng.integers(0, 40, (n,) + SHAPE).astype(np.uint8)
    x[:, 2 * k:2 * k + 2] = 255
    return x


class Oracle:
    """A stand-in for a trained ADe-GAN: E names an image's class by its bright band (its
    patterns are the classes, shifted by one), and G draws, for pattern p, one fixed image of
    class `drawn[p]`: the diagnostics must then report what was built in."""

    n_patterns = 3

    def __init__(self, drawn):
        self.drawn = drawn
        self.image = {k: class_images(k, 1, np.random.default_rng(9))[0] for k in range(3)}

    def extract_features(self, images):
        band = np.array([[x[2 * k:2 * k + 2].mean() for k in range(3)] for x in images])
        return {"probs": np.eye(3)[(np.argmax(band, axis=1) + 1) % 3]}

    def generate(self, n_per_pattern, seed=0):
        one = np.stack([self.image[k] for k in self.drawn]).astype(np.float32) / 127.5 - 1
        return np.repeat(one[:, None], n_per_pattern, axis=1)


@pytest.fixture(scope="module")
def probe():
    rng = np.random.default_rng(0)
    train = [class_images(k, 40, rng) for k in range(3)]
    val = [class_images(k, 10, rng) for k in range(3)]
    classes = np.repeat(np.arange(3), 40), np.repeat(np.arange(3), 10)
    return CoreProbe(np.concatenate(train), classes[0], np.concatenate(val), classes[1])


def test_core_metrics_report_what_the_stand_in_was_built_with(probe):
    core = core_metrics(Oracle(drawn=[0, 0, 2]), probe)
    assert probe.accuracy == 1.0
    assert core["cluster_acc"] == 1.0 and core["cluster_nmi"] == pytest.approx(1.0)
    # E names an image of class k pattern k + 1 (mod 3): pattern 0 draws class 0 (named 1),
    # pattern 1 draws class 0 (named 1: right), pattern 2 draws class 2 (named 0)
    assert core["sample_acc"] == pytest.approx(1 / 3)
    assert core["shortcut_gap"] == pytest.approx(1 / 3 - 1)
    assert core["diversity_ratio"] == 0.0  # every draw of a pattern is the same image
    assert (core["classes_covered"], core["normal_classes"]) == (2, 3)
    assert core["purity"] == 1.0 and core["confident"] == 1.0
    text = core_caption(core)
    assert "accuracy 1.00" in text and "2 of the 3 normal classes" in text


def test_the_frechet_distance_is_measured_against_real_images_when_a_classifier_is_given():
    from keras_adegan.frechet import FrechetClassifier, build_classifier

    rng = np.random.default_rng(0)
    train = np.concatenate([class_images(k, 60, rng) for k in range(3)])
    val = np.concatenate([class_images(k, 20, rng) for k in range(3)])
    classifier = FrechetClassifier(build_classifier(SHAPE, 3), {})
    probe = CoreProbe(train, np.repeat(np.arange(3), 60), val, np.repeat(np.arange(3), 20),
                      frechet_classifier=classifier)
    collapsed = core_metrics(Oracle(drawn=[0, 0, 0]), probe)  # one image drawn 150 times
    varied = core_metrics(Oracle(drawn=[0, 1, 2]), probe)
    assert collapsed["frechet_floor"] == varied["frechet_floor"] >= 0
    assert collapsed["frechet"] > varied["frechet"] > 0
    assert "Frechet distance to the real normals" in core_caption(varied)
    monitor = CoreMonitor(probe)
    monitor.set_model(Oracle(drawn=[0, 1, 2]))
    logs = {}
    monitor.on_epoch_end(0, logs)
    assert "core_frechet" in logs and "core_frechet_floor" not in logs


def test_the_monitor_adds_prefixed_figures_to_the_epoch_logs(probe):
    monitor = CoreMonitor(probe)
    monitor.set_model(Oracle(drawn=[0, 1, 2]))
    logs = {"loss": 1.0}
    monitor.on_epoch_end(0, logs)
    assert logs["core_classes_covered"] == 3 and logs["core_cluster_acc"] == 1.0
    assert "core_probe_accuracy" not in logs and logs["loss"] == 1.0


def test_one_normal_class_has_no_probe_but_still_clusters():
    rng = np.random.default_rng(1)
    x = class_images(0, 20, rng)
    probe = CoreProbe(x, np.zeros(20, int), x[:10], np.zeros(10, int))
    core = core_metrics(Oracle(drawn=[0, 0, 0]), probe)
    assert probe.classifier is None and "classes_covered" not in core
    assert core["cluster_acc"] == 1.0 and "pixel classifier" not in core_caption(core)


def test_a_training_run_records_the_core_figures(trained_run):
    out, metrics = trained_run
    core = metrics["core"]
    assert 0 <= core["cluster_acc"] <= 1 and 0 <= core["sample_acc"] <= 1
    assert core["normal_classes"] == 9 and 1 <= core["classes_covered"] <= 9
    assert core["probe_accuracy"] > 0.8  # digits' pixels separate the digits
    last = metrics["history"][-1]
    assert last["core_cluster_acc"] == pytest.approx(core["cluster_acc"])
    assert "core_cluster_nmi" in metrics["history"][0]  # stage 1 is measured too
