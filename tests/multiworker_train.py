"""One worker of a two-worker `MultiWorkerMirroredStrategy` run on 127.0.0.1, for test_distribute.

Usage: TF_CONFIG=... python -m tests.multiworker_train OUTPUT_DIR WEIGHTS_FILE
Runs `keras_adegan.runs.train` on tiny `digits` data and writes the final weights of G and E
and the feature bank and threshold to WEIGHTS_FILE (.npz), so the test can check that both
workers agree.
"""

import sys

import numpy as np

from keras_adegan.config import ADeGANConfig
from keras_adegan.runs import train


def main(output_dir: str, weights_file: str) -> None:
    import keras_adegan.runs as train_module

    captured = {}
    build = train_module.build_model

    def keep(*args, **kwargs):  # hold on to the model to read its weights
        captured["model"] = build(*args, **kwargs)
        return captured["model"]

    train_module.build_model = keep
    config = ADeGANConfig.preset("digits", stage1_epochs=1, stage2_epochs=1, width=4,
                                 batch_size=32, train_limit=128, seed=0)
    metrics = train(config, output_dir, verbose=0)
    model = captured["model"]
    weights = (model.generator.get_weights() + model.extractor.get_weights()
               + [model.head.bank.numpy(), model.head.feature_threshold.numpy()])
    np.savez(weights_file, *weights, auroc=metrics["test"]["auroc_combined"])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
