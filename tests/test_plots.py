import numpy as np
from PIL import Image

from keras_adegan.plots import plot_patterns, plot_roc, plot_score_histograms


def test_patterns_are_drawn_one_row_per_pattern_from_model_range(tmp_path):
    """Row 0 white (+1), row 1 black (-1), grey and colour samples alike: the grid has one
    row per pattern and maps [-1, 1] to white..black."""
    for channels in (1, 3):
        samples = np.ones((2, 4, 8, 8, channels), np.float32)
        samples[1] = -1.0
        path = tmp_path / f"patterns{channels}.png"
        plot_patterns(samples, path)
        image = np.asarray(Image.open(path).convert("L"), np.float32)
        assert image.shape == (2 * 80, 4 * 80)  # 0.8 inch a cell at 100 dpi
        dark = image < 30  # the white row's cells have only their frames dark
        assert dark[:80].mean() < 0.1 and dark[80:].mean() > 0.2, channels


def test_roc_and_histograms_are_written_at_their_size(tmp_path):
    labels = np.r_[np.zeros(50), np.ones(50)]
    scores = np.random.default_rng(0).normal(size=100) + labels
    plot_roc({"features": scores, "paper": -scores}, labels, tmp_path / "roc.png", "class 0")
    plot_score_histograms({"features": (scores, 0.5), "paper": (-scores, 0.0)}, labels,
                          tmp_path / "hist.png")
    assert Image.open(tmp_path / "roc.png").size == (600, 600)
    assert Image.open(tmp_path / "hist.png").size == (2 * 720, 480)  # one panel per score
