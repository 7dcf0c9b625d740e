"""Command line of the exporter: `python -m export --model RUN/model.keras --out DIR`."""

import argparse
import sys

from export.convert import FORMATS, GRAPHS, QUANTIZATIONS, export_detector
from keras_adegan.errors import ArgumentParser, cli_main
from keras_adegan.images import collect_images, read_for_model
from keras_adegan.model import load_detector


def _names(allowed):
    def parse(text):
        values = [v.strip() for v in text.split(",") if v.strip()]
        bad = [v for v in values if v not in allowed]
        if bad or not values:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}; got {text!r}")
        return values
    return parse


@cli_main
def main(argv=None) -> int:
    parser = ArgumentParser(prog="python -m export", description=__doc__)
    parser.add_argument("--model", required=True, help="a calibrated model.keras from train")
    parser.add_argument("--out", required=True, help="folder to write the export to")
    parser.add_argument("--formats", type=_names(FORMATS), default=list(FORMATS),
                        help="comma-separated: savedmodel,tflite")
    parser.add_argument("--quantize", type=_names(tuple(QUANTIZATIONS)),
                        default=list(QUANTIZATIONS), help="comma-separated: none,float16,int8")
    parser.add_argument("--graph", type=_names(tuple(GRAPHS)), default=list(GRAPHS),
                        help="comma-separated: full (G and E, both scores), features (E only, "
                             "the feature score; smaller and faster)")
    parser.add_argument("--representative", default=None,
                        help="folder of normal training images for int8 calibration "
                             "(default: re-read from the model's dataset)")
    parser.add_argument("--data-dir", default=None, help="where the model's dataset is")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier export")
    args = parser.parse_args(argv)
    images = None
    if args.representative:
        shape = load_detector(args.model).image_shape
        images = read_for_model(collect_images([args.representative]), shape)
    manifest = export_detector(args.model, args.out, args.formats, args.quantize, images,
                               args.data_dir, args.overwrite, args.graph)
    for name, info in manifest["files"].items():
        size = (f"{info['bytes'] / 1024:.0f} KiB" if "bytes" in info
                else f"signatures {', '.join(info['signatures'])}" if "signatures" in info
                else f"skipped: {info['skipped']}")
        print(f"{args.out}/{name}: {size}")
    print(f"{args.out}/manifest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
