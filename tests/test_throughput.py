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


@pytest.mark.slow
def test_benchmark_prints_every_figure(capsys, tmp_path):
    out = tmp_path / "t.jsonl"
    assert main(["--dataset", "digits", "--width", "4", "--batch-size", "16", "--warmup", "1",
                 "--steps", "2", "--real-task", "clusters", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "real task clusters" in text  # its k-means fitted before training, as train does
    for word in ("stage1:", "stage2:", "MFLOP/image", "GFLOP/s", "scoring:", "bottleneck:"):
        assert word in text
    assert out.read_text().count("\n") == 1


def test_real_tasks_add_their_extractor_passes_to_training_and_scoring_flops():
    from benchmarks.throughput import training_flops
    from keras_adegan.config import ADeGANConfig
    from keras_adegan.factory import build_model

    counts, models = {}, {}
    for task in ("none", "rotation", "clusters"):
        config = ADeGANConfig.preset("digits", width=4, real_task=task)
        models[task] = build_model(config, (16, 16, 1), 64)
        counts[task] = training_flops(models[task])
    e = layer_flops(models["none"].extractor)
    assert counts["rotation"]["stage2"] - counts["none"]["stage2"] == pytest.approx(3 * 4 * e)
    assert counts["rotation"]["stage1"] == counts["none"]["stage1"]
    assert counts["clusters"]["stage2"] - counts["none"]["stage2"] == pytest.approx(3 * e)
    # the option's preset scores the rotation task too
    assert models["rotation"].head.rotation_score_weight > 0
    assert counts["rotation"]["score"] - counts["none"]["score"] == pytest.approx(4 * e)
    paper = build_model(ADeGANConfig.preset("digits", width=4, stage2_adversarial_weight=0.0),
                        (16, 16, 1), 64)  # the paper's stage 2, D frozen (the default keeps it)
    d = layer_flops(models["none"].discriminator)
    assert counts["none"]["stage2"] - training_flops(paper)["stage2"] == pytest.approx(9 * d)


def test_the_default_measures_each_dataset_preset_and_a_flag_overrides_its_task():
    from benchmarks.throughput import benchmark_config, parse_args
    from keras_adegan.config import ADeGANConfig

    for dataset in ("mnist", "fashion_mnist", "cifar10"):
        config = benchmark_config(parse_args(["--dataset", dataset]))
        assert config.real_task == ADeGANConfig.preset(dataset).real_task
        assert config.width == ADeGANConfig.preset(dataset).width
    assert benchmark_config(parse_args(["--dataset", "mnist"])).real_task == "clusters"
    assert benchmark_config(parse_args(["--dataset", "mnist", "--real-task", "none"])).real_task \
        == "none"


def test_unknown_real_task_is_one_error_line(capsys, tmp_path):
    out = tmp_path / "t.jsonl"
    with pytest.raises(SystemExit) as stop:
        main(["--real-task", "jigsaw", "--json", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(err) == 1 and err[0].startswith("error:")
    assert "jigsaw" in err[0] and not out.exists()



def test_the_threads_flag_takes_a_count_and_refuses_a_negative_one(capsys):
    from benchmarks.throughput import parse_args

    assert parse_args(["--threads", "1"]).threads == 1 and parse_args([]).threads == 0
    with pytest.raises(SystemExit):
        parse_args(["--threads", "-2"])
    assert "--threads must be 0" in capsys.readouterr().err
