"""`keras-adegan score`: image files scored by a saved model, one CSV row per image.

Columns: `score` and `is_anomaly` (the score the model decides with, `features` by default),
then both scores (`paper_score`, Eq. 11, and `feature_score`) and the paper's parts.

Images must already have the model's size and channel count; nothing is resized or converted
behind the user's back. A file that cannot be read stops the run before any score is written.

Command line:
    python -m keras_adegan score --model runs/digits-class0-seed0/model.keras my_images/ \
        --output scores.csv
"""

from __future__ import annotations

import csv
import io
import sys

from keras_adegan.errors import ArgumentParser, cli_main
from keras_adegan.images import collect_images, read_for_model, to_model_range
from keras_adegan.outputs import check_output_file, write_atomically
from keras_adegan.startup import import_tensorflow_quietly


@cli_main
def main(argv=None) -> int:
    parser = ArgumentParser(prog="python -m keras_adegan score",
                            description="Score images with a saved ADe-GAN model.")
    parser.add_argument("--model", required=True, help="a model.keras written by train")
    parser.add_argument("images", nargs="+", help="image files or folders")
    parser.add_argument("--output", default=None, help="CSV file to write (default: stdout)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    args = parser.parse_args(argv)
    if args.output:
        check_output_file(args.output, args.overwrite)
    files = collect_images(args.images)  # a missing path is reported before the model loads
    import_tensorflow_quietly()
    from keras_adegan.factory import load_detector
    from keras_adegan.model import OUTPUTS, PART_OUTPUTS

    print(f"scoring {len(files)} images with {args.model} ...", file=sys.stderr, flush=True)
    model = load_detector(args.model)
    run = model.run_config  # the conversions its training applied, applied again
    images = read_for_model(files, model.image_shape, run.get("color_mode"), run.get("image_size"))
    outputs = model.score(to_model_range(images))
    names = OUTPUTS + tuple(k for k in PART_OUTPUTS if k in outputs)
    columns = ("path",) + names
    rows = [{"path": str(path), **{k: outputs[k][i].item() for k in names}}
            for i, path in enumerate(files)]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    if not args.output:
        sys.stdout.write(text.getvalue())
        return 0
    write_atomically(args.output, text.getvalue(), exclusive=not args.overwrite)
    print(f"scored {len(rows)} images, {sum(r['is_anomaly'] for r in rows)} flagged; "
          f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
