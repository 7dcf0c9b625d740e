"""Score image files with a saved model: one CSV row per image, with the anomaly decision.

Columns: `score` and `is_anomaly` (the score the model decides with, `features` by default),
then both scores (`paper_score`, Eq. 11, and `feature_score`) and the paper's parts.

Images must already have the model's size and channel count; nothing is resized or converted
behind the user's back. A file that cannot be read stops the run before any score is written.

Command line:
    python -m keras_adegan.score --model runs/digits-class0-seed0/model.keras my_images/ \
        --output scores.csv
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import numpy as np

from keras_adegan.data import IMAGE_EXTENSIONS, read_image, to_model_range
from keras_adegan.errors import ADeGANError, ArgumentParser, cli_main
from keras_adegan.model import OUTPUTS, ADeGAN, load_detector
from keras_adegan.outputs import check_output_file, write_atomically

COLUMNS = ("path",) + OUTPUTS


def collect_images(paths) -> list[Path]:
    """Image files named directly or found (recursively) in the given folders, sorted."""
    files = []
    for item in map(Path, paths):
        if item.is_dir():
            found = sorted(p for p in item.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
            if not found:
                raise ADeGANError(f"folder {item} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
            files += found
        elif item.is_file():
            files.append(item)
        else:
            raise ADeGANError(f"{item} does not exist")
    if not files:
        raise ADeGANError("no images given")
    return files


def read_for_model(files, image_shape) -> np.ndarray:
    """Decode files as uint8 (N, H, W, C), refusing any whose size or channels do not match."""
    images, problems = [], []
    for path in files:
        try:
            image = read_image(path, str(path))
        except ADeGANError as exc:
            problems.append(str(exc))
            continue
        if image.shape != tuple(image_shape):
            problems.append(f"{path} is {image.shape[1]}x{image.shape[0]} with {image.shape[2]} "
                            f"channel(s); the model expects {image_shape[1]}x{image_shape[0]} "
                            f"with {image_shape[2]}")
        images.append(image)
    if problems:
        raise ADeGANError("cannot use these images; fix them first:\n  " + "\n  ".join(problems))
    return np.stack(images)


def score_files(model: ADeGAN, paths) -> list[dict]:
    """Rows of COLUMNS for every image in `paths` (files or folders)."""
    files = collect_images(paths)
    outputs = model.score(to_model_range(read_for_model(files, model.image_shape)))
    return [{"path": str(path), **{k: outputs[k][i].item() for k in COLUMNS[1:]}}
            for i, path in enumerate(files)]


@cli_main
def main(argv=None) -> int:
    parser = ArgumentParser(prog="python -m keras_adegan.score",
                                     description="Score images with a saved ADe-GAN model.")
    parser.add_argument("--model", required=True, help="a model.keras written by train")
    parser.add_argument("images", nargs="+", help="image files or folders")
    parser.add_argument("--output", default=None, help="CSV file to write (default: stdout)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    args = parser.parse_args(argv)
    if args.output:
        check_output_file(args.output, args.overwrite)
    rows = score_files(load_detector(args.model), args.images)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    if not args.output:
        sys.stdout.write(text.getvalue())
        return 0
    write_atomically(args.output, text.getvalue())
    print(f"scored {len(rows)} images, {sum(r['is_anomaly'] for r in rows)} flagged; "
          f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
