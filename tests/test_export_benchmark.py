"""benchmarks.export's parity figures and table (the timed measurement itself is a benchmark,
not a test)."""

import numpy as np

from benchmarks.export import feature_differences, markdown


def test_feature_differences_separate_a_shift_from_noise():
    keras = np.array([0.1, 0.2, 0.3, 0.4])
    shifted = feature_differences(keras + 0.01, keras)
    assert np.isclose(shifted["feature_diff_mean"], 0.01) and shifted["feature_diff_std"] < 1e-9
    noisy = feature_differences(keras + np.array([0.01, -0.01, 0.01, -0.01]), keras)
    assert abs(noisy["feature_diff_mean"]) < 1e-9 and np.isclose(noisy["feature_diff_std"], 0.01)
    assert np.isclose(noisy["max_abs_feature_diff"], 0.01)


def test_the_table_has_a_row_per_file_with_its_parity_figures():
    rows = [{"format": "Keras model (tf.function, TF)", "graph": "full", "bytes": 2048,
             "latency_ms": 1.0, "images_per_s": 100.0, "auroc_features": 0.95,
             "auroc_paper": 0.9},
            {"format": "TFLite int8w", "graph": "features", "bytes": 1024, "latency_ms": 0.1,
             "auroc_features": 0.9496, "decision_flips": 24, "validation_flips": 7,
             **feature_differences(np.array([0.101, 0.199]), np.array([0.1, 0.2]))}]
    header = dict(model="m.keras", dataset="mnist", anomaly_class=0, test_images=2, repeats=10,
                  batch=4, command="python -m benchmarks.export", cpu="cpu", versions={},
                  validation_images=3,
                  date="today", seconds=1.0)
    table = markdown(rows, header)
    assert "| TFLite int8w | features | 1 KiB | 0.100 ms | n/a | 0.9496 | -0.0004 | n/a | " \
           "+0, 0.001 | 0.001 | 24 | 7 |" in table
    assert "validation split (3 images)" in table
    assert table.count("\n|") == 4  # header, rule, two rows
