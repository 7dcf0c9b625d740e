from keras_adegan import PRESETS, ADeGANConfig


def test_paper_presets():
    mnist = ADeGANConfig.preset("mnist")
    cifar = ADeGANConfig.preset("cifar10")
    assert (mnist.alpha, mnist.beta, mnist.gamma) == (1.0, 1.0, 10.0)
    assert (cifar.alpha, cifar.beta, cifar.gamma) == (1.0, 10.0, 10.0)
    assert mnist.n_patterns == cifar.n_patterns == 10
    assert mnist.learning_rate == 2e-4 and mnist.beta_1 == 0.5
    assert set(PRESETS) >= {"digits", "mnist", "fashion_mnist", "cifar10", "folder"}


def test_a_real_task_brings_its_validated_scoring_under_the_users_options():
    from keras_adegan.presets import TASK_SCORING

    plain = ADeGANConfig.preset("mnist", real_task="none")
    assert (plain.feature_source, plain.rotation_score_weight) == ("noise", 0.0)
    clusters = ADeGANConfig.preset("mnist")  # the MNIST preset trains the cluster task
    assert (clusters.real_task, clusters.feature_source) == ("clusters", "extractor")
    preset = ADeGANConfig.preset("cifar10", real_task="rotation")  # no dataset's own choice
    assert {k: getattr(preset, k) for k in TASK_SCORING["rotation"]} == TASK_SCORING["rotation"]
    mine = ADeGANConfig.preset("fashion_mnist", real_task="rotation", feature_source="noise",
                               rotation_score_weight=0.0)
    assert (mine.feature_source, mine.rotation_score_weight) == ("noise", 0.0)
    # a dataset whose own scoring won on validation gets it on top of the task's
    mnist = ADeGANConfig.preset("mnist", real_task="rotation")
    assert (mnist.feature_source, mnist.feature_k, mnist.rotation_score_weight) == (
        "extractor", 5, 0.0)
    assert ADeGANConfig.preset("mnist", real_task="rotation",
                               rotation_score_weight=1.0).rotation_score_weight == 1.0
    fashion = ADeGANConfig.preset("fashion_mnist", real_task="rotation")
    assert (fashion.feature_source, fashion.feature_distance, fashion.feature_k,
            fashion.rotation_score_weight) == ("extractor", "euclidean", 1, 2.0)


def test_a_preset_that_trains_a_task_scores_as_chosen_for_it_unless_told_otherwise():
    from keras_adegan.presets import chosen_scoring

    config = ADeGANConfig.preset("fashion_mnist")  # round 6 chose the rotation task
    chosen = chosen_scoring("fashion_mnist", "rotation")
    assert config.real_task == "rotation" and chosen["rotation_score_weight"] > 0
    assert all(getattr(config, k) == v for k, v in chosen.items())
    paper = ADeGANConfig.preset("fashion_mnist", real_task="none")  # the paper's training
    assert paper.rotation_score_weight == 0 and paper.feature_source == ADeGANConfig.feature_source


def test_presets_keep_the_model_as_trained_and_a_user_can_still_compact_it():
    for dataset in ("mnist", "fashion_mnist", "cifar10", "folder"):  # the check withdrew each
        config = ADeGANConfig.preset(dataset)
        assert (config.bank_size, config.extractor_rank, config.feature_projection) == (
            None, None, None), dataset
    compact = ADeGANConfig.preset("cifar10", extractor_rank=32, feature_projection=16,
                                  bank_size=4096)
    assert (compact.extractor_rank, compact.feature_projection, compact.bank_size) == (32, 16, 4096)
    assert ADeGANConfig.preset("fashion_mnist", real_task=None).real_task == "rotation"  # None skipped
