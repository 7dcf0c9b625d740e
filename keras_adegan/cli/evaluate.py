"""`keras-adegan evaluate`: a saved model on its dataset's test split (see `keras_adegan.metrics`).

The dataset is re-read from where the model was trained (image folders included) unless
`--dataset`, `--anomaly-class` or `--data-dir` say otherwise. Prints the metrics as JSON.

Command line:
    python -m keras_adegan evaluate --model runs/digits-class0-seed0/model.keras
"""

from __future__ import annotations

import json
import sys

from keras_adegan.data import class_index
from keras_adegan.errors import ArgumentParser, cli_main
from keras_adegan.outputs import check_output_file, write_atomically
from keras_adegan.splits import run_splits
from keras_adegan.startup import import_tensorflow_quietly


@cli_main
def main(argv=None) -> int:
    parser = ArgumentParser(
        prog="python -m keras_adegan evaluate",
        description="Evaluate a saved ADe-GAN model on the test split of a dataset.")
    parser.add_argument("--model", required=True, help="a model.keras written by train")
    parser.add_argument("--dataset", default=None, help="dataset name (default: the model's)")
    parser.add_argument("--anomaly-class", default=None,
                        help="held-out class, an index or a name (default: the model's)")
    parser.add_argument("--data-dir", default=None, help="folder holding the dataset's files")
    parser.add_argument("--output", default=None, help="write the metrics as JSON here")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    args = parser.parse_args(argv)
    if args.output:
        check_output_file(args.output, args.overwrite)
    import_tensorflow_quietly()
    from keras_adegan.factory import load_detector
    from keras_adegan.metrics import evaluate_model

    model = load_detector(args.model)
    run = model.run_config
    dataset = args.dataset or run.get("dataset")
    anomaly_class = (class_index(dataset, args.data_dir or run.get("data_source"),
                                 args.anomaly_class) if args.anomaly_class is not None else None)
    print(f"reading the test split of {dataset} ...", file=sys.stderr, flush=True)
    splits = run_splits(run, args.data_dir, args.dataset, anomaly_class)
    print(f"scoring {len(splits.test_x)} test images ...", file=sys.stderr, flush=True)
    metrics, _ = evaluate_model(model, splits.test_x, splits.test_y)
    k = splits.anomaly_class
    text = json.dumps({"dataset": dataset, "anomaly_class": k,
                       "class_name": splits.class_names[k], **metrics}, indent=2)
    print(text)
    if args.output:
        write_atomically(args.output, text + "\n", exclusive=not args.overwrite)
    return 0


if __name__ == "__main__":
    sys.exit(main())
