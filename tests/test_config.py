import re

import pytest

from keras_adegan import ADeGANConfig, ADeGANError


def test_overrides_apply_and_none_is_ignored():
    cfg = ADeGANConfig.preset("mnist", anomaly_class=3, gamma=None, n_patterns=6)
    assert (cfg.anomaly_class, cfg.gamma, cfg.n_patterns, cfg.dataset) == (3, 10.0, 6, "mnist")


def test_json_round_trip(tmp_path):
    cfg = ADeGANConfig.preset("folder", image_size=(64, 64), color_mode="rgb", seed=7)
    cfg.save(tmp_path / "c.json")
    assert ADeGANConfig.load(tmp_path / "c.json") == cfg


@pytest.mark.parametrize("field,value", [
    ("n_patterns", 1), ("noise_std", 0.0), ("gamma", -1.0), ("batch_size", 1),
    ("val_fraction", 1.0), ("image_size", (30, 32)), ("cross_mix_min", 0.5),
    ("beta", float("nan")), ("gamma", float("inf")), ("learning_rate", float("nan")),
    ("seed", -1), ("stage1_epochs", 0), ("stage2_epochs", 0), ("width", 2.5), ("beta_1", 1.0),
    ("score", "best"), ("feature_k", 0), ("bank_size", 3), ("feature_source", "pixels"),
    ("feature_projection", 0), ("feature_projection", 2.5),
    ("extractor_rank", 0), ("extractor_rank", 256), ("extractor_rank", "full"),
    ("bank_fill", "centroids"),
])
def test_invalid_values_are_refused(field, value):
    with pytest.raises(ADeGANError, match="invalid configuration"):
        ADeGANConfig(**{field: value})


def test_a_removed_option_in_a_stored_config_is_refused_by_name_and_its_off_value_loads():
    stored = {**ADeGANConfig().to_dict(), "feature_density": "knn"}  # as configs stored it
    assert ADeGANConfig.from_dict(stored) == ADeGANConfig()
    with pytest.raises(ADeGANError, match="feature_density='gaussian' is an option that was removed"):
        ADeGANConfig.from_dict({"feature_density": "gaussian"})
    for source in ("discriminator", "extractor+discriminator"):  # D's features lost their study
        with pytest.raises(ADeGANError, match=f"feature_source must be one of extractor, noise; "
                                              f"'{re.escape(source)}' was removed"):
            ADeGANConfig(feature_source=source)
    with pytest.raises(ADeGANError, match="feature_source must be one of extractor, noise$"):
        ADeGANConfig(feature_source="pixels")  # never an option: no word of removal


def test_unknown_preset_and_keys():
    with pytest.raises(ADeGANError, match="unknown dataset .imagenet. \\(no preset\\)"):
        ADeGANConfig.preset("imagenet")
    with pytest.raises(ADeGANError, match="unknown configuration keys: bogus"):
        ADeGANConfig.from_dict({"bogus": 1})


@pytest.mark.parametrize("text,match", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"width": "wide"}', "width must be a whole number"),
    ('{"gamma": NaN}', "gamma must be a finite number"),
])
def test_bad_config_files_are_clear_errors(tmp_path, text, match):
    (tmp_path / "c.json").write_text(text)
    with pytest.raises(ADeGANError, match=match):
        ADeGANConfig.load(tmp_path / "c.json")
    with pytest.raises(ADeGANError, match="cannot read the config file"):
        ADeGANConfig.load(tmp_path / "missing.json")


def test_differences_name_each_changed_field():
    a, b = ADeGANConfig.preset("digits"), ADeGANConfig.preset("digits", seed=7, width=8)
    assert a.differences(b) == ["width: 16 -> 8", "seed: 0 -> 7"]


def test_a_rotation_score_weight_needs_a_model_with_a_rotation_head():
    with pytest.raises(ADeGANError, match="rotation_score_weight needs a model trained with "
                                          "a rotation head"):
        ADeGANConfig(rotation_score_weight=0.5)
    assert ADeGANConfig(real_task="rotation", rotation_score_weight=0.5).rotation_score_weight
    with pytest.raises(ADeGANError, match="needs a model trained with a rotation head "
                                          "\\(--real-task rotation\\)"):
        ADeGANConfig(real_task="clusters", rotation_score_weight=0.5)  # no rotation head


def test_a_stored_config_with_a_retired_option_loads_only_when_it_was_off():
    """Options removed after losing their studies: a config of an earlier version that left
    them off still loads; one that used them is refused by name."""
    old = {**ADeGANConfig().to_dict(), "extractor_blocks": 0, "contrast_temperature": 0.5,
           "stage1_pattern_weight": 0.0, "sl_generator_weight": 1.0,
           "gan_loss": "nonsaturating", "spectral_norm": False, "prior_weight": 0.0,
           "extractor_width": None, "bank_selection": "random", "diversity_weight": 0.0,
           "extractor_bottleneck": None}
    assert ADeGANConfig.from_dict(old) == ADeGANConfig()
    for name, value in (("extractor_blocks", 1), ("stage1_pattern_weight", 1.0), ("sl_generator_weight", 0.0),
                        ("gan_loss", "hinge"), ("spectral_norm", True), ("prior_weight", 1.0),
                        ("extractor_width", 32), ("bank_selection", "coreset"),
                        ("diversity_weight", 1.0), ("extractor_bottleneck", 64)):
        with pytest.raises(ADeGANError, match=f"{name}=.* was removed"):
            ADeGANConfig.from_dict({**old, name: value})
    for task in ("contrastive", "patterns", "clusters+rotation"):  # lost their studies
        with pytest.raises(ADeGANError, match=f"real_task must be one of none, rotation, "
                                              f"clusters; '{re.escape(task)}' was removed"):
            ADeGANConfig.from_dict({**old, "real_task": task})
    with pytest.raises(ADeGANError, match="real_task must be one of none, rotation, clusters$"):
        ADeGANConfig(real_task="rotations")  # a typo: no word of removal


def test_a_stored_config_without_a_field_whose_default_changed_keeps_its_old_value():
    stored = ADeGANConfig().to_dict()
    del stored["stage2_adversarial_weight"]  # stored before the field existed: D frozen
    assert ADeGANConfig.from_dict(stored).stage2_adversarial_weight == 0.0
    assert ADeGANConfig().stage2_adversarial_weight == 1.0  # today's default


def test_flags_on_a_config_file_bring_the_tasks_scoring_too(tmp_path):
    import argparse

    from keras_adegan.cli.flags import add_config_flags, config_from_flags

    ADeGANConfig.preset("cifar10").save(tmp_path / "c.json")
    parser = argparse.ArgumentParser()
    add_config_flags(parser)
    parser.add_argument("--config")
    args = parser.parse_args(["--config", str(tmp_path / "c.json"), "--real-task", "rotation",
                              "--feature-k", "1"])
    config = config_from_flags(args)
    assert (config.real_task, config.feature_source, config.feature_k,
            config.rotation_score_weight) == ("rotation", "extractor", 1, 0.5)
    ADeGANConfig.preset("mnist").save(tmp_path / "m.json")  # the dataset's own choice as well
    args = parser.parse_args(["--config", str(tmp_path / "m.json"), "--real-task", "rotation"])
    assert config_from_flags(args).rotation_score_weight == 0.0
    saved = ADeGANConfig.preset("fashion_mnist", real_task="rotation", feature_k=1)
    saved.save(tmp_path / "r.json")  # no --real-task: the file's own scoring stands
    args = parser.parse_args(["--config", str(tmp_path / "r.json")])
    assert config_from_flags(args) == saved


@pytest.mark.parametrize("field,value,message", [
    ("jit_compile", "false", "jit_compile must be true or false"),
    ("train_limit", 1.5, "train_limit must be a whole number"),
    ("image_size", "64x64", "image_size must be two whole numbers"),
    ("image_size", [64, 64.0], "image_size must be two whole numbers"),
    ("seed", 2 ** 32, "seed must be between 0 and 2\\^32 - 1"),
    ("bank_size", "all", "bank_size must be a whole number, or null"),
    ("dataset", 5, "dataset must be a name"),
])
def test_a_hand_edited_config_file_of_the_wrong_type_is_one_clear_error(tmp_path, field, value,
                                                                       message):
    import json

    path = tmp_path / "config.json"
    path.write_text(json.dumps({**ADeGANConfig(dataset="folder").to_dict(), field: value}))
    with pytest.raises(ADeGANError, match=f"invalid configuration: {message}"):
        ADeGANConfig.load(path)
