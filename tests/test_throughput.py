import keras
import pytest

from benchmarks.throughput import layer_flops, main


def test_layer_flops_counts_convolutions_and_dense_layers_by_hand():
    x = keras.Input((8, 8, 2))
    y = keras.layers.Conv2D(4, 3, strides=2, padding="same")(x)        # 4x4x4 outputs
    y = keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same")(y)  # 4x4 inputs, 4 channels
    y = keras.layers.Dense(5)(keras.layers.Flatten()(y))                 # 64 -> 5
    model = keras.Model(x, y)
    conv = 2 * 3 * 3 * 2 * 4 * 4 * 4
    transpose = 2 * 4 * 4 * 4 * 1 * 4 * 4
    dense = 2 * 64 * 5
    assert layer_flops(model) == pytest.approx(conv + transpose + dense)


def test_benchmark_prints_every_figure(capsys, tmp_path):
    out = tmp_path / "t.jsonl"
    assert main(["--dataset", "digits", "--width", "4", "--batch-size", "16", "--warmup", "1",
                 "--steps", "2", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    for word in ("stage1:", "stage2:", "MFLOP/image", "GFLOP/s", "scoring:", "bottleneck:"):
        assert word in text
    assert out.read_text().count("\n") == 1
