"""Score images on an edge device with an exported TFLite detector: numpy, Pillow, ai_edge_litert.

This file imports neither TensorFlow nor `keras_adegan`, so it can be copied to a phone or a
board on its own, beside a `.tflite` file written by `python -m export`. Images must already
have the model's size and channel count (nothing is resized behind your back); an image that
cannot be read, or has the wrong shape, stops the run before any score is printed.

Command line:
    python -m export.edge_score exported/features_int8wo.tflite photos/ --output scores.csv

Example:
    >>> scorer = EdgeScorer("exported/features_int8wo.tflite")
    >>> rows = scorer.score(read_images(collect_images(["photos/"]), scorer.image_shape))
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from pathlib import Path

import numpy as np

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
# The outputs an exported graph may have, in CSV order (keras_adegan.model.OUTPUTS, then
# PART_OUTPUTS, which only models with a rotation score have; a test checks the copy). A file
# of the E-only graph has a subset.
OUTPUTS = ("score", "is_anomaly", "paper_score", "feature_score", "recon_error", "recon_prob",
           "pattern_prob", "pattern", "density_score", "rotation_score")


class EdgeError(ValueError):
    """A problem with the model file or the images, worded for the person running the scorer."""


def collect_images(paths) -> list[Path]:
    """Image files named directly or found (recursively, outside hidden folders such as
    `.ipynb_checkpoints`) in the given folders, sorted."""
    files = []
    for item in map(Path, paths):
        if item.is_dir():
            found = sorted(p for p in item.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS
                           and not any(part.startswith(".") for part in p.relative_to(item).parts))
            if not found:
                raise EdgeError(f"folder {item} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
            files += found
        elif item.is_file():
            files.append(item)
        else:
            raise EdgeError(f"{item} does not exist")
    if not files:
        raise EdgeError("no images given")
    return files


def pixels(img) -> np.ndarray:
    """`keras_adegan.images.pixels` (copied, so that this file stands alone; a test checks that
    they agree): uint8 (H, W, C) upright by EXIF, 16-bit greyscale scaled to 8 bits,
    transparency and float pixels refused."""
    from PIL import Image, ImageOps

    img = ImageOps.exif_transpose(img)
    if img.mode in ("P", "PA"):
        img = img.convert("RGBA")
    if "A" in img.getbands() and np.asarray(img.getchannel("A")).min() < 255:
        raise ValueError("it has transparent pixels; flatten it onto its background first")
    if img.mode == "F":
        raise ValueError("its pixels are 32-bit floats; save it with 8 or 16 bits per channel")
    if img.mode.startswith("I"):
        values = np.asarray(img, dtype=np.float64)
        if img.mode.startswith("I;16") or values.max() > 255:
            values = values / 257.0
        img = Image.fromarray(np.clip(np.round(values), 0, 255).astype(np.uint8), "L")
    channels = 1 if img.mode in ("1", "L", "LA") else 3
    array = np.asarray(img.convert("L" if channels == 1 else "RGB"), dtype=np.uint8)
    return array.reshape(array.shape[0], array.shape[1], channels)


def read_images(files, image_shape) -> np.ndarray:
    """Decode files to uint8 (N, H, W, C), refusing any that cannot be read or do not fit."""
    from PIL import Image, UnidentifiedImageError

    height, width, channels = image_shape
    images, problems = [], []
    for path in files:
        try:
            with Image.open(path) as img:
                img.load()
                array = pixels(img)
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
            problems.append(f"cannot read {path}: {exc}")
            continue
        if array.shape != (height, width, channels):
            problems.append(f"{path} is {array.shape[1]}x{array.shape[0]} with {array.shape[2]} "
                            f"channel(s); the model expects {width}x{height} with {channels}")
            continue
        images.append(array)
    if problems:
        raise EdgeError("no scores written; fix these images first:\n  " + "\n  ".join(problems))
    return np.stack(images)


class EdgeScorer:
    """A TFLite detector exported by `python -m export`, run with ai_edge_litert.

    Args:
        model_path: a `.tflite` file with one signature, `score` (the full graph) or
            `features` (the E-only graph).
        num_threads: interpreter threads (None: the runtime's default).
    """

    def __init__(self, model_path, num_threads: int | None = None):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ModuleNotFoundError:
            raise EdgeError("the edge scorer needs ai-edge-litert: pip install ai-edge-litert "
                            "(or pip install 'keras-adegan[edge]')") from None

        path = Path(model_path)
        if not path.is_file():
            raise EdgeError(f"model file {path} does not exist; write one with python -m export")
        if num_threads is not None and num_threads < 1:
            raise EdgeError(f"--threads must be at least 1, got {num_threads}")
        try:
            self.interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
            signatures = [s for s in ("score", "features")
                          if s in self.interpreter.get_signature_list()]
            if not signatures:
                raise ValueError("no 'score' or 'features' signature")
            self.runner = self.interpreter.get_signature_runner(signatures[0])
            inputs, outputs = self.runner.get_input_details(), self.runner.get_output_details()
            if (list(inputs) != ["images"] or len(inputs["images"]["shape"]) != 4
                    or not {"score", "is_anomaly"} <= set(outputs)):
                raise ValueError(f"its '{signatures[0]}' signature takes {sorted(inputs)} and "
                                 f"gives {sorted(outputs)}, not images to scores")
        except (ValueError, RuntimeError) as exc:
            raise EdgeError(f"{path} is not a TFLite detector written by python -m export: "
                            f"{exc}") from None
        self.outputs = [k for k in OUTPUTS if k in outputs]
        detail = inputs["images"]
        self.input_dtype = detail["dtype"]
        self.batch = int(detail["shape_signature"][0])  # -1: any batch
        self.image_shape = tuple(int(v) for v in detail["shape"][1:])

    def _prepare(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[1:] != self.image_shape:
            raise EdgeError(f"images have shape {images.shape}; the model expects "
                            f"(N, {', '.join(map(str, self.image_shape))}) with pixels in [0, 255]")
        return images.astype(self.input_dtype)  # float32 pixels in [0, 255]

    def score(self, images) -> dict[str, np.ndarray]:
        """Outputs for uint8 (or float in [0, 255]) images (N, H, W, C), keyed like `outputs`."""
        images = self._prepare(images)
        if self.batch == -1:
            return {k: np.asarray(v) for k, v in self.runner(images=images).items()}
        parts = [self.runner(images=images[i:i + self.batch])
                 for i in range(0, len(images), self.batch)]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def main(argv=None) -> int:
    parser = _ArgumentParser(prog="python -m export.edge_score",
                                     description="Score images with an exported TFLite detector.")
    parser.add_argument("--model", default=None,
                        help="a .tflite file written by python -m export (or give it as the "
                             "first path, as earlier versions did)")
    parser.add_argument("paths", nargs="+", metavar="images", help="image files or folders")
    parser.add_argument("--output", default=None, help="CSV file to write (default: stdout)")
    parser.add_argument("--threads", type=int, default=None, help="interpreter threads")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    args = parser.parse_args(argv)
    args.model, args.images = ((args.model, args.paths) if args.model
                               else (args.paths[0], args.paths[1:]))
    if not args.images:
        parser.error("give the images to score after the model")
    try:
        if args.output:
            _check_output(Path(args.output), args.overwrite)
        scorer = EdgeScorer(args.model, args.threads)
        files = collect_images(args.images)
        outputs = scorer.score(read_images(files, scorer.image_shape))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=["path"] + scorer.outputs)
        writer.writeheader()
        for i, path in enumerate(files):
            writer.writerow({"path": str(path),
                             **{k: outputs[k][i].item() for k in scorer.outputs}})
        if not args.output:
            sys.stdout.write(text.getvalue())
            return 0
        _write_new(Path(args.output), text.getvalue(), args.overwrite)
    except EdgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"scored {len(files)} images, {int(np.sum(outputs['is_anomaly']))} flagged; "
          f"wrote {args.output}", file=sys.stderr)
    return 0


class _ArgumentParser(argparse.ArgumentParser):
    """As keras_adegan.errors.ArgumentParser: a mistake is one `error:` line, exit 2."""

    def __init__(self, *args, **kwargs):
        if sys.argv and sys.argv[0].startswith("keras-adegan "):  # set by keras_adegan.cli
            kwargs["prog"] = sys.argv[0]
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _check_output(path: Path, overwrite: bool) -> None:
    """As keras_adegan.outputs.check_output_file (this file must not import the package)."""
    if path.is_dir():
        raise EdgeError(f"--output {path} is a folder; name a file")
    if path.exists() and not overwrite:
        raise EdgeError(f"{path} already exists; choose another --output or pass --overwrite")
    if not path.parent.is_dir():
        raise EdgeError(f"the folder of --output {path} does not exist; create it first")


def _write_new(path: Path, text: str, overwrite: bool) -> None:
    """Write beside `path`, then move into place (never a half-written CSV); without
    `overwrite`, by an atomic link that refuses a file another process made meanwhile."""
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        tmp.write_text(text)
        if overwrite:
            tmp.replace(path)
        else:
            os.link(tmp, path)
    except FileExistsError:
        raise EdgeError(f"{path} was created by another process while this one worked; "
                        "nothing was written: choose another --output") from None
    except OSError as exc:
        raise EdgeError(f"cannot write {exc.filename or path}: {exc.strerror or exc}; "
                        "nothing was written") from None
    finally:
        tmp.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
