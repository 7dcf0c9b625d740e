"""Image files in, uint8 arrays out, and the one scaling to the networks' range.

Example:
    >>> files = collect_images(["my_images/"])
    >>> x = to_model_range(read_for_model(files, image_shape=(28, 28, 1)))
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from keras_adegan.errors import ADeGANError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
COLOR_MODES = {"grayscale": 1, "rgb": 3}


def scale_pixels(pixels):
    """Float pixels in [0, 255] -> [-1, 1], for numpy arrays and tensors alike (the one place
    the networks' input range is defined; the exported graphs use it too)."""
    return pixels / 127.5 - 1.0


def to_model_range(images) -> np.ndarray:
    """uint8 (or float in [0, 255]) pixels -> float32 in [-1, 1], the range every model method
    takes.

    Example:
        >>> to_model_range(np.array([0, 255], np.uint8))
        array([-1.,  1.], dtype=float32)
    """
    return scale_pixels(np.asarray(images, np.float32))


def pixels(img, channels: int | None = None) -> np.ndarray:
    """A decoded PIL image as the uint8 (H, W, C) pixels it shows: turned upright by its EXIF
    orientation, 16-bit greyscale scaled (not clipped) to 8 bits, `channels` 1 or 3 (None:
    1 for greyscale, else 3). Images with transparent pixels and float images are refused
    (ValueError): what they show depends on a background the file does not give.
    `export.edge_score` holds a copy (a test checks that they agree)."""
    from PIL import Image, ImageOps

    img = ImageOps.exif_transpose(img)
    if img.mode in ("P", "PA"):
        img = img.convert("RGBA")
    if "A" in img.getbands() and np.asarray(img.getchannel("A")).min() < 255:
        raise ValueError("it has transparent pixels; flatten it onto its background first")
    if img.mode == "F":
        raise ValueError("its pixels are 32-bit floats; save it with 8 or 16 bits per channel")
    if img.mode.startswith("I"):  # 16-bit (or 32-bit integer) greyscale: scale, never clip
        values = np.asarray(img, dtype=np.float64)
        if img.mode.startswith("I;16") or values.max() > 255:
            values = values / 257.0
        img = Image.fromarray(np.clip(np.round(values), 0, 255).astype(np.uint8), "L")
    channels = channels or (1 if img.mode in ("1", "L", "LA") else 3)
    array = np.asarray(img.convert("L" if channels == 1 else "RGB"), dtype=np.uint8)
    return array.reshape(array.shape[0], array.shape[1], channels)


def read_image(data: bytes | Path, name: str, channels: int | None = None,
               size: tuple[int, int] | None = None) -> np.ndarray:
    """Decode one image to uint8 (H, W, C) (`pixels`), resized to `size` if given."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as img:
            img.load()
            array = pixels(img, channels)
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
        raise ADeGANError(f"cannot read image {name}: {exc}. Remove or replace the file.") from None
    if size is not None and array.shape[:2] != tuple(size):
        resized = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
        array = np.asarray(resized.resize((size[1], size[0]), Image.BILINEAR), dtype=np.uint8)
        array = array.reshape(size[0], size[1], -1)
    return array


def read_images(files, channels: int | None = None, size: tuple[int, int] | None = None):
    """Decode image files (paths, or (name, bytes) pairs) into one uint8 (N, H, W, C) array.

    Args:
        files: a list of paths, or of (name, bytes) pairs.
        channels: 1 or 3 (every image is converted); None requires every image to have the
            first one's (grayscale -> 1, anything else -> 3).
        size: (height, width) to resize to; None requires all images to share one size.

    Raises:
        ADeGANError: an unreadable image, mixed channel counts or sizes (the message names the
            flag that converts them), or no files.

    Example:
        >>> read_images(sorted(Path("new_parts").glob("*.png")), channels=1, size=(64, 64))
    """
    images, expected, first = [], size, None
    for item in files:
        name, data = (item if isinstance(item, tuple) else (str(item), Path(item)))
        image = read_image(data, name, channels, size)
        if first is None:
            first = image.shape[-1]
        elif image.shape[-1] != first:
            kinds = {1: "greyscale", 3: "colour"}
            raise ADeGANError(
                f"image {name} is {kinds[image.shape[-1]]} but earlier images are "
                f"{kinds[first]}; pass --color-mode grayscale or --color-mode rgb to convert "
                "them all")
        if expected is None:
            expected = image.shape[:2]
        elif image.shape[:2] != tuple(expected):
            raise ADeGANError(
                f"image {name} is {image.shape[1]}x{image.shape[0]} but earlier images are "
                f"{expected[1]}x{expected[0]}; pass an image size (--image-size) to resize them all"
            )
        images.append(image)
    if not images:
        raise ADeGANError("no images to read")
    return np.stack(images)


def is_hidden(path: Path, root: Path) -> bool:
    """Whether `path` is, or is inside, a hidden folder or file below `root`
    (`.ipynb_checkpoints`, `._photo.jpg`, ...): never a class, never an image of one."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def collect_images(paths) -> list[Path]:
    """Image files named directly or found (recursively, outside hidden folders) in the given
    folders, sorted."""
    files = []
    for item in map(Path, paths):
        if item.is_dir():
            found = sorted(p for p in item.rglob("*")
                           if p.suffix.lower() in IMAGE_EXTENSIONS and not is_hidden(p, item))
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


def read_for_model(files, image_shape, color_mode: str | None = None,
                   image_size: tuple[int, int] | None = None) -> np.ndarray:
    """Decode files as uint8 (N, H, W, C), refusing any whose size or channels do not match.

    `color_mode` and `image_size` are the conversions the model's training applied (its run
    config's): the same conversion is applied here, so a model trained with `--color-mode
    grayscale` scores its own colour files. Without them nothing is converted."""
    channels = image_shape[2] if color_mode else None
    images, problems = [], []
    for path in files:
        try:
            image = read_image(path, str(path), channels, image_size)
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
