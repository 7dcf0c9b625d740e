"""Command line of the exporter: `python -m export --model RUN/model.keras --output DIR`.

TensorFlow is imported only after the arguments are parsed, so that `--help` answers at once.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from .formats import FORMATS, GRAPHS, QUANTIZATIONS, REPRESENTATIVE_IMAGES
from keras_adegan.data import class_names_of
from keras_adegan.errors import ArgumentParser, cli_main
from keras_adegan.images import collect_images, read_for_model
from keras_adegan.startup import import_tensorflow_quietly


def _names(allowed):
    def parse(text):
        values = [v.strip() for v in text.split(",") if v.strip()]
        bad = [v for v in values if v not in allowed]
        if bad or not values:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}; got {text!r}")
        return values
    return parse


def warn_if_anomalous(folder, run_config: dict) -> None:
    """Warn when a folder under `folder` (or `folder` itself) is named like the model's anomaly
    class: int8 calibration should see normal images only."""
    names = class_names_of(run_config.get("dataset") or "", run_config.get("data_source")) or []
    k = run_config.get("anomaly_class")
    if k is None or not 0 <= k < len(names):
        return
    root = Path(folder)
    hits = [p for p in [root, *root.rglob("*")] if p.is_dir() and p.name.lower() == names[k].lower()]
    if hits:
        print(f"warning: {hits[0]} is named like the model's anomaly class ({names[k]}); "
              "int8 calibration should see normal images only", file=sys.stderr)


@cli_main
def main(argv=None) -> int:
    parser = ArgumentParser(prog="python -m export", description=__doc__)
    parser.add_argument("--model", required=True, help="a calibrated model.keras from train")
    parser.add_argument("--output", "--out", dest="out", required=True, metavar="FOLDER",
                        help="folder to write the export to")
    parser.add_argument("--formats", type=_names(FORMATS), default=list(FORMATS),
                        help="comma-separated: savedmodel,tflite")
    parser.add_argument("--quantize", type=_names(tuple(QUANTIZATIONS)),
                        default=list(QUANTIZATIONS), help="comma-separated: " + ",".join(QUANTIZATIONS))
    parser.add_argument("--graph", type=_names(tuple(GRAPHS)), default=list(GRAPHS),
                        help="comma-separated: full (G and E, both scores), features (E only, "
                             "the feature score; smaller and faster)")
    parser.add_argument("--representative", default=None,
                        help="folder of normal training images for int8 calibration, of which "
                             f"{REPRESENTATIVE_IMAGES} are sampled at random (default: the "
                             "model's training normals, re-read from its dataset)")
    parser.add_argument("--data-dir", default=None, help="where the model's dataset is")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier export")
    args = parser.parse_args(argv)
    import_tensorflow_quietly()
    from .convert import export_detector
    from keras_adegan.factory import load_detector

    images = None
    if args.representative:
        model = load_detector(args.model)
        warn_if_anomalous(args.representative, model.run_config)
        files = collect_images([args.representative])
        pick = np.random.default_rng(model.seed).permutation(len(files))[:REPRESENTATIVE_IMAGES]
        print(f"reading {len(pick)} of the {len(files)} representative images ...",
              file=sys.stderr, flush=True)
        images = read_for_model([files[i] for i in sorted(pick)], model.image_shape)
    print(f"exporting {args.model} ...", file=sys.stderr, flush=True)
    manifest = export_detector(args.model, args.out, args.formats, args.quantize, images,
                               args.data_dir, args.overwrite, args.graph)
    for name, info in manifest["files"].items():
        size = (f"{info['bytes'] / 1024:.0f} KiB" if "bytes" in info
                else f"signatures {', '.join(info['signatures'])}" if "signatures" in info
                else f"skipped: {info['skipped']}")
        print(f"{Path(args.out) / name}: {size}")
    print(Path(args.out) / "manifest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
