"""Labelled image datasets: the named ones and a user's image folders, read into uint8 arrays.

Named datasets (`digits`, `mnist`, `fashion_mnist`, `cifar10`) are looked for, in this order, in
`data_dir`, under `$KERAS_ADEGAN_DATA/<name>/`, in well-known local copies (Debian's
`dataset-fashion-mnist`, the Keras cache), and finally through TFDS, which downloads when online.
A user's own images are read from a folder tree `<root>/<class>/*.png|jpg`, optionally split into
`<root>/train/` and `<root>/test/`, with class indices in alphabetical order of the folder names
(the convention of `keras.utils.image_dataset_from_directory`). Splits and streams are in
`keras_adegan.splits`, image decoding in `keras_adegan.images`.

Example:
    >>> data = load_dataset("digits")
    >>> data.x_train.shape, data.class_names[:3]
    ((1257, 16, 16, 1), ['0', '1', '2'])
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np

from keras_adegan.errors import ADeGANError, require
from keras_adegan.images import COLOR_MODES, IMAGE_EXTENSIONS, is_hidden, read_images

IDX_FILES = {
    "train_x": "train-images-idx3-ubyte",
    "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte",
    "test_y": "t10k-labels-idx1-ubyte",
}
# Where datasets are commonly found on a machine, besides --data-dir and $KERAS_ADEGAN_DATA.
WELL_KNOWN = {
    "mnist": ["~/.keras/datasets/mnist.npz"],
    "fashion_mnist": ["/usr/share/datasets/fashion-mnist", "~/.keras/datasets/fashion-mnist"],
    "cifar10": ["~/.keras/datasets/cifar-10-batches-py"],
}
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck"]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
DIGIT_CLASSES = [str(i) for i in range(10)]
# The class names of the named datasets, in index order.
CLASS_NAMES = {"digits": DIGIT_CLASSES, "mnist": DIGIT_CLASSES, "fashion_mnist": FASHION_CLASSES,
               "cifar10": CIFAR10_CLASSES}


@dataclasses.dataclass
class ImageData:
    """A labelled dataset as uint8 arrays of shape (N, H, W, C), with integer labels indexing
    `class_names`; `source` says where it was read (a folder, or "tfds:<name>").

    Example:
        >>> data = load_dataset("digits")
        >>> data.image_shape, data.class_names[0]
        ((16, 16, 1), '0')
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    source: str

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])

    def fingerprint(self) -> str:
        """A short hash of every image, label and class name: equal only for the same data."""
        digest = hashlib.sha256()
        for array in (self.x_train, self.y_train, self.x_test, self.y_test):
            digest.update(str(array.shape).encode())
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update("\n".join(self.class_names).encode())
        return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- readers


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a numpy array."""
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ADeGANError(f"cannot read {path}: {exc}. Replace the file with a good copy.") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ADeGANError(f"{path} is not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) != header + int(np.prod(shape)):
        raise ADeGANError(
            f"{path} is truncated or corrupt: header says {shape}, "
            f"file holds {len(raw) - header} bytes of data. Replace the file with a good copy."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _find_idx(folder: Path) -> dict[str, Path] | None:
    found = {}
    for key, stem in IDX_FILES.items():
        for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
            if (folder / name).is_file():
                found[key] = folder / name
                break
    return found if len(found) == len(IDX_FILES) else None


def _read_idx_folder(files: dict[str, Path], class_names: list[str]) -> ImageData:
    arrays = {key: read_idx(path) for key, path in files.items()}
    for split in ("train", "test"):
        if len(arrays[f"{split}_x"]) != len(arrays[f"{split}_y"]):
            raise ADeGANError(f"{files[split + '_x']} and its labels file disagree on the count")
        if arrays[f"{split}_y"].size and arrays[f"{split}_y"].max() >= len(class_names):
            raise ADeGANError(f"{files[split + '_y']} holds label {arrays[split + '_y'].max()}, but "
                              f"this dataset has classes 0-{len(class_names) - 1}: it is not "
                              "a labels file of this dataset")
    return ImageData(arrays["train_x"][..., None], arrays["train_y"].astype(np.int64),
                     arrays["test_x"][..., None], arrays["test_y"].astype(np.int64),
                     class_names, source=str(files["train_x"].parent))


def _read_mnist_npz(path: Path) -> ImageData:
    try:
        with np.load(path) as f:
            arrays = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, KeyError, ValueError) as exc:
        raise ADeGANError(f"cannot read {path}: {exc}") from None
    return ImageData(arrays["x_train"][..., None], arrays["y_train"].astype(np.int64),
                     arrays["x_test"][..., None], arrays["y_test"].astype(np.int64),
                     list(DIGIT_CLASSES), source=str(path))


class _ArraysOnly(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays only: a data file cannot run code."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"it asks for {module}.{name}, which a CIFAR-10 batch "
                                         "never holds (refused: pickles can run code)")
        return super().find_class(module, name)


def _read_cifar_pickles(folder: Path) -> ImageData:
    def batch(name):
        try:
            with open(folder / name, "rb") as f:
                d = _ArraysOnly(f, encoding="bytes").load()
            if not isinstance(d, dict) or b"data" not in d or b"labels" not in d:
                raise pickle.UnpicklingError("it is not a CIFAR-10 batch (no data and labels)")
        except (OSError, pickle.UnpicklingError, EOFError, ValueError) as exc:
            raise ADeGANError(f"cannot read {folder / name}: {exc}") from None
        x = np.asarray(d[b"data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return x, np.asarray(d[b"labels"], np.int64)

    parts = [batch(f"data_batch_{i}") for i in range(1, 6)]
    x_test, y_test = batch("test_batch")
    return ImageData(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                     x_test, y_test, list(CIFAR10_CLASSES), source=str(folder))


def _list_class_tree(root: Path) -> dict[str, list[Path]]:
    classes = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not is_hidden(p, root)):
        files = sorted(p for p in folder.rglob("*")
                       if p.suffix.lower() in IMAGE_EXTENSIONS and not is_hidden(p, root))
        if files:
            classes[folder.name] = files
    return classes


def _split_folders(root: Path) -> tuple[Path, Path] | None:
    """`root/train` and `root/test` when the tree is split; None when the class folders are
    `root`'s own; an error when only one of the two is there."""
    train, test = (root / "train").is_dir(), (root / "test").is_dir()
    if train and test:
        return root / "train", root / "test"
    if train or test:
        have, missing = ("train", "test") if train else ("test", "train")
        raise ADeGANError(f"{root} has a {have}/ folder but no {missing}/: give both "
                          f"{root}/train/<class>/ and {root}/test/<class>/, or put the class "
                          f"folders directly in {root}/<class>/")
    return None


def load_image_folder(root: str | Path, image_size: tuple[int, int] | None = None,
                      test_fraction: float = 0.2, color_mode: str | None = None) -> ImageData:
    """Read `<root>/<class>/*` (or `<root>/train/<class>/*` and `<root>/test/<class>/*`).

    Without train/ and test/ sub-trees, a fixed share (`test_fraction`, seed 0, stratified) of
    each class becomes the test split, so that the test split does not depend on the run's seed.
    `color_mode` ("grayscale" or "rgb") converts every image; None requires them to agree.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise ADeGANError(f"image folder {root} does not exist")
    split = _split_folders(root)
    if split is not None:
        train, test = _list_class_tree(split[0]), _list_class_tree(split[1])
        if set(train) != set(test):
            raise ADeGANError(f"{root}/train and {root}/test hold different class folders: "
                              f"{sorted(train)} vs {sorted(test)}")
    else:
        classes = _list_class_tree(root)
        rng = np.random.default_rng(0)
        train, test = {}, {}
        for name, files in classes.items():
            if len(files) < 2:
                raise ADeGANError(
                    f"class folder {root / name} holds {len(files)} image; each class needs at "
                    "least 2 (a share of every class is held out as the test split), or give "
                    "<root>/train/ and <root>/test/ folders")
            order = rng.permutation(len(files))
            n_test = max(1, int(round(test_fraction * len(files))))
            test[name] = [files[i] for i in sorted(order[:n_test])]
            train[name] = [files[i] for i in sorted(order[n_test:])]
    class_names = sorted(train)
    if len(class_names) < 2:
        raise ADeGANError(
            f"{root} must hold at least two class folders with images "
            f"(<root>/<class>/*.png|jpg); found {class_names or 'none'}"
        )
    return _assemble(train, test, class_names, image_size, source=str(root),
                     channels=COLOR_MODES.get(color_mode))


def _assemble(train: dict, test: dict, class_names: list[str], image_size, source: str,
              channels: int | None = None):
    def split(tree):
        files = [f for name in class_names for f in tree[name]]
        labels = [i for i, name in enumerate(class_names) for _ in tree[name]]
        return files, np.asarray(labels, np.int64)

    train_files, y_train = split(train)
    test_files, y_test = split(test)
    x_train = read_images(train_files, channels=channels, size=image_size)
    x_test = read_images(test_files, channels=channels, size=image_size)
    if x_test.shape[-1] != x_train.shape[-1]:
        raise ADeGANError("test images and training images differ in colour (greyscale vs "
                          "colour); pass --color-mode grayscale or --color-mode rgb")
    if x_test.shape[1:3] != x_train.shape[1:3]:
        raise ADeGANError(
            f"test images are {x_test.shape[2]}x{x_test.shape[1]} but training images are "
            f"{x_train.shape[2]}x{x_train.shape[1]}; pass an image size (--image-size) to resize them all"
        )
    return ImageData(x_train, y_train, x_test, y_test, class_names, source=source)


def _read_image_tar(path: Path) -> ImageData:
    """Read a tar.gz of `train/<class>/*.jpg` and `test/<class>/*.jpg` without unpacking it."""
    trees: dict[str, dict[str, list]] = {"train": {}, "test": {}}
    try:
        with tarfile.open(path) as tar:
            for member in tar:
                parts = Path(member.name).parts
                if not member.isfile() or Path(member.name).suffix.lower() not in IMAGE_EXTENSIONS:
                    continue
                if len(parts) >= 3 and parts[-3] in trees:
                    data = tar.extractfile(member).read()
                    trees[parts[-3]].setdefault(parts[-2], []).append((member.name, data))
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise ADeGANError(f"cannot read {path}: {exc}. Replace the archive with a good copy.") from None
    class_names = sorted(trees["train"])
    if not class_names or set(trees["test"]) != set(class_names):
        raise ADeGANError(f"{path} must hold train/<class>/* and test/<class>/* images")
    for tree in trees.values():
        for files in tree.values():
            files.sort()
    return _assemble(trees["train"], trees["test"], class_names, None, source=str(path))


def load_digits() -> ImageData:
    """scikit-learn's bundled 8x8 digits (1,797 images), upscaled to 16x16.

    sklearn ships no train/test split: a fixed stratified 30% (seed 0) is the test split.
    """
    from PIL import Image
    from sklearn.datasets import load_digits as sk_digits

    digits = sk_digits()
    small = np.clip(digits.images * (255.0 / 16.0), 0, 255).astype(np.uint8)
    x = np.stack([np.asarray(Image.fromarray(im).resize((16, 16), Image.BILINEAR)) for im in small])
    x = x[..., None]
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(0)
    test = np.zeros(len(y), bool)
    for label in range(10):
        idx = np.flatnonzero(y == label)
        test[rng.choice(idx, size=int(round(0.3 * len(idx))), replace=False)] = True
    return ImageData(x[~test], y[~test], x[test], y[test], list(DIGIT_CLASSES),
                     source="sklearn.datasets.load_digits (bundled)")


# --------------------------------------------------------------------------- lookup


def _read_candidate(name: str, path: Path) -> ImageData | None:
    """Read `name` from `path` if it holds a known layout, else None."""
    if name == "mnist" and path.is_file() and path.suffix == ".npz":
        return _read_mnist_npz(path)
    if not path.is_dir():
        return None
    if name in ("mnist", "fashion_mnist"):
        files = _find_idx(path)
        if files:
            return _read_idx_folder(files, list(CLASS_NAMES[name]))
        if name == "mnist" and (path / "mnist.npz").is_file():
            return _read_mnist_npz(path / "mnist.npz")
        return None
    # cifar10
    if (path / "data_batch_1").is_file():
        return _read_cifar_pickles(path)
    if (path / "cifar-10-batches-py" / "data_batch_1").is_file():
        return _read_cifar_pickles(path / "cifar-10-batches-py")
    if (path / "train").is_dir() and (path / "test").is_dir():
        return load_image_folder(path)
    tars = sorted(path.glob("*.tar.gz")) + sorted(path.glob("*.tgz"))
    return _read_image_tar(tars[0]) if tars else None


def _from_tfds(name: str) -> ImageData:
    tfds = require("tensorflow_datasets", "tfds")

    train, test = tfds.as_numpy(
        tfds.load(name, split=["train", "test"], batch_size=-1, as_supervised=True)
    )
    return ImageData(train[0].astype(np.uint8), train[1].astype(np.int64),
                     test[0].astype(np.uint8), test[1].astype(np.int64),
                     list(CLASS_NAMES[name]), source=f"tfds:{name}")


def load_dataset(name: str, data_dir: str | Path | None = None,
                 image_size: tuple[int, int] | None = None,
                 allow_download: bool = True, color_mode: str | None = None) -> ImageData:
    """Load a named dataset, or an image-folder tree when `name` is "folder".

    Args:
        name: `digits`, `mnist`, `fashion_mnist`, `cifar10`, or `folder`.
        data_dir: a folder holding the dataset's files (or a root holding `<name>/`); for
            `folder`, the root of the image tree.
        image_size: (height, width) to resize image folders to.
        allow_download: fall back to `tfds.load`, which downloads when online.
        color_mode: for `folder`: "grayscale" or "rgb" converts every image; None requires
            every image to have the same channel count.

    Raises:
        ADeGANError: unknown name, or the data is nowhere to be found (the message lists where
            it looked and how to supply the files), or a file is unreadable.

    Example:
        >>> data = load_dataset("mnist", data_dir="/data/mnist")
        >>> parts = load_dataset("folder", data_dir="my_parts/", image_size=(64, 64))
    """
    if name == "folder":
        if data_dir is None:
            raise ADeGANError("--dataset folder needs --data-dir pointing at <root>/<class>/*.png")
        return load_image_folder(data_dir, image_size, color_mode=color_mode)
    if name not in ("digits", "mnist", "fashion_mnist", "cifar10"):
        raise ADeGANError(
            f"unknown dataset {name!r}; choose one of: digits, mnist, fashion_mnist, cifar10, "
            "or 'folder' with --data-dir for your own images"
        )
    if name == "digits":
        return load_digits()

    candidates = []
    if data_dir is not None:
        data_dir = Path(data_dir).expanduser()
        if not data_dir.exists():
            raise ADeGANError(f"--data-dir {data_dir} does not exist")
        candidates += [data_dir, data_dir / name]
    if os.environ.get("KERAS_ADEGAN_DATA"):
        candidates.append(Path(os.environ["KERAS_ADEGAN_DATA"]).expanduser() / name)
    candidates += [Path(p).expanduser() for p in WELL_KNOWN.get(name, [])]
    for path in candidates:
        data = _read_candidate(name, path)
        if data is not None:
            return data
    looked = "\n  ".join(str(p) for p in candidates) or "(no local folders given)"
    if allow_download:
        try:
            return _from_tfds(name)
        except Exception as exc:  # noqa: BLE001 - any TFDS failure ends in the same advice
            tfds_note = f"tfds.load({name!r}) failed too: {type(exc).__name__}: {exc}"
    else:
        tfds_note = "downloading through TFDS was not allowed"
    layout = ("the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
              "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)"
              if name != "cifar10" else
              "train/<class>/*.jpg and test/<class>/*.jpg, or a .tar.gz of them, "
              "or the cifar-10-batches-py pickles")
    raise ADeGANError(
        f"dataset {name!r} not found. Looked in:\n  {looked}\n{tfds_note}.\n"
        f"Put {layout} in a folder and pass --data-dir FOLDER, or set KERAS_ADEGAN_DATA to a "
        f"root that holds {name}/."
    )


def class_names_of(name: str, data_dir: str | Path | None = None) -> list[str] | None:
    """The class names of a dataset in index order, without reading any image (None when the
    folder is not there yet; loading it will say what is wrong)."""
    if name in CLASS_NAMES:
        return list(CLASS_NAMES[name])
    if name == "folder" and data_dir is not None:
        root = Path(data_dir).expanduser()
        if root.is_dir():
            split = _split_folders(root)
            return sorted(_list_class_tree(split[0] if split else root))
    return None


def class_index(name: str, data_dir, anomaly_class: int | str) -> int:
    """The index of `anomaly_class`, given as an index or a class name (case-insensitive). Text
    that names a class is that class, even when it looks like a number (folders `1`, `2`, `10`:
    "1" is the folder `1`, not index 1); other digits are an index.

    Raises:
        ADeGANError: a name that is not one of the dataset's classes (the message lists them).
    """
    if isinstance(anomaly_class, int):
        return anomaly_class
    names = class_names_of(name, data_dir) or []
    matches = [i for i, n in enumerate(names) if n.lower() == str(anomaly_class).lower()]
    if not matches and str(anomaly_class).lstrip("-").isdigit():
        return int(anomaly_class)
    if not matches:
        listing = ", ".join(f"{i} {n}" for i, n in enumerate(names)) or "none found"
        raise ADeGANError(f"{anomaly_class!r} is not a class of {name}; its classes are: {listing}")
    return matches[0]
