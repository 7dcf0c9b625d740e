import gzip
import struct

import numpy as np
import pytest
from PIL import Image

from keras_adegan import ADeGANError, load_dataset
from keras_adegan.data import IDX_FILES, load_image_folder, read_idx


def write_idx(path, array, compress=True):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


def write_idx_dataset(folder, n_train=40, n_test=20):
    rng = np.random.default_rng(0)
    arrays = {"train_x": rng.integers(0, 256, (n_train, 28, 28)), "train_y": np.arange(n_train) % 10,
              "test_x": rng.integers(0, 256, (n_test, 28, 28)), "test_y": np.arange(n_test) % 10}
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in IDX_FILES.items():
        write_idx(folder / (stem + ".gz"), arrays[key])
    return arrays


@pytest.mark.parametrize("compress", [True, False])
def test_read_idx(tmp_path, compress):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / ("x.gz" if compress else "x")
    write_idx(path, array, compress)
    assert np.array_equal(read_idx(path), array)


def test_corrupt_and_truncated_idx(tmp_path):
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(ADeGANError, match="cannot read"):
        read_idx(bad)
    truncated = tmp_path / "short"
    write_idx(truncated, np.zeros((5, 4, 4)), compress=False)
    truncated.write_bytes(truncated.read_bytes()[:-10])
    with pytest.raises(ADeGANError, match="truncated or corrupt"):
        read_idx(truncated)


def test_data_dir_and_env_lookup(tmp_path, monkeypatch):
    arrays = write_idx_dataset(tmp_path / "root" / "fashion_mnist")
    direct = load_dataset("fashion_mnist", data_dir=tmp_path / "root" / "fashion_mnist")
    assert direct.x_train.shape == (40, 28, 28, 1) and np.array_equal(direct.y_test, arrays["test_y"])
    assert direct.class_names[0] == "T-shirt/top"
    assert load_dataset("fashion_mnist", data_dir=tmp_path / "root").x_test.shape == (20, 28, 28, 1)
    monkeypatch.setenv("KERAS_ADEGAN_DATA", str(tmp_path / "root"))
    assert load_dataset("fashion_mnist", allow_download=False).source.startswith(str(tmp_path))


def test_missing_data_lists_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_ADEGAN_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ADeGANError) as info:
        load_dataset("mnist", data_dir=tmp_path, allow_download=False)
    message = str(info.value)
    assert "not found" in message and str(tmp_path / "nowhere" / "mnist") in message
    assert "--data-dir" in message and "KERAS_ADEGAN_DATA" in message


def test_unknown_dataset_and_missing_dir(tmp_path):
    with pytest.raises(ADeGANError, match="unknown dataset 'mnits'"):
        load_dataset("mnits")
    with pytest.raises(ADeGANError, match="does not exist"):
        load_dataset("mnist", data_dir=tmp_path / "absent")


def test_corrupt_file_in_data_dir(tmp_path):
    write_idx_dataset(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ADeGANError, match="t10k-images"):
        load_dataset("mnist", data_dir=tmp_path, allow_download=False)


def make_image_tree(root, classes=("cat", "dog"), n=6, size=(8, 12), mode="RGB"):
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(n):
            shape = size + ((3,) if mode == "RGB" else ())
            Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(
                root / name / f"{i}.png")


def test_image_folder(tmp_path):
    make_image_tree(tmp_path / "imgs")
    data = load_dataset("folder", data_dir=tmp_path / "imgs")
    assert data.class_names == ["cat", "dog"]
    assert data.x_train.shape[1:] == (8, 12, 3)
    assert len(data.x_train) + len(data.x_test) == 12 and len(data.x_test) == 2  # 20% of 6, per class
    resized = load_image_folder(tmp_path / "imgs", image_size=(16, 16))
    assert resized.x_test.shape[1:] == (16, 16, 3)


def test_image_folder_with_train_test_and_grayscale(tmp_path):
    make_image_tree(tmp_path / "t" / "train", mode="L")
    make_image_tree(tmp_path / "t" / "test", n=2, mode="L")
    data = load_image_folder(tmp_path / "t")
    assert data.x_train.shape == (12, 8, 12, 1) and data.x_test.shape == (4, 8, 12, 1)


def test_image_folder_errors(tmp_path):
    make_image_tree(tmp_path / "a")
    Image.fromarray(np.zeros((5, 5, 3), np.uint8)).save(tmp_path / "a" / "cat" / "odd.png")
    with pytest.raises(ADeGANError, match="--image-size"):
        load_image_folder(tmp_path / "a")
    (tmp_path / "a" / "cat" / "odd.png").write_bytes(b"broken")
    with pytest.raises(ADeGANError, match="odd.png"):
        load_image_folder(tmp_path / "a")
    make_image_tree(tmp_path / "b", classes=("only",))
    with pytest.raises(ADeGANError, match="at least two class folders"):
        load_image_folder(tmp_path / "b")


def test_digits_is_offline_and_fixed():
    a, b = load_dataset("digits"), load_dataset("digits")
    assert a.x_train.shape[1:] == (16, 16, 1)
    assert len(a.x_train) + len(a.x_test) == 1797
    assert np.array_equal(a.x_test, b.x_test)


def test_real_mnist(datasets_root):
    data = load_dataset("mnist", data_dir=datasets_root / "mnist", allow_download=False)
    assert data.x_train.shape == (60000, 28, 28, 1) and data.x_test.shape == (10000, 28, 28, 1)
    assert np.bincount(data.y_test).tolist()[:2] == [980, 1135]


def _pickle_batches(folder, payload=None):
    import pickle

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), b"labels": [0, 1, 2, 3]}
        with open(folder / name, "wb") as f:
            pickle.dump(payload if payload is not None and name == "data_batch_1" else batch, f)


def test_cifar_pickles_are_read_without_running_code(tmp_path):
    _pickle_batches(tmp_path / "ok")
    data = load_dataset("cifar10", data_dir=tmp_path / "ok", allow_download=False)
    assert data.x_train.shape == (20, 32, 32, 3) and list(data.y_test) == [0, 1, 2, 3]

    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            import os
            return (os.system, (f"touch {marker}",))

    _pickle_batches(tmp_path / "evil", payload=Payload())
    with pytest.raises(ADeGANError, match="refused: pickles can run code"):
        load_dataset("cifar10", data_dir=tmp_path / "evil", allow_download=False)
    assert not marker.exists()


def test_idx_labels_outside_the_classes_are_refused(tmp_path):
    write_idx_dataset(tmp_path / "m")
    write_idx(tmp_path / "m" / (IDX_FILES["train_y"] + ".gz"), np.full(40, 12))
    with pytest.raises(ADeGANError, match="holds label 12.*classes 0-9"):
        load_dataset("mnist", data_dir=tmp_path / "m", allow_download=False)


def test_mixed_greyscale_and_colour_is_an_error_unless_a_color_mode_is_given(tmp_path):
    make_image_tree(tmp_path / "m")
    Image.fromarray(np.zeros((8, 12), np.uint8)).save(tmp_path / "m" / "cat" / "grey.png")
    with pytest.raises(ADeGANError, match="grey.png is greyscale but earlier images are colour"):
        load_image_folder(tmp_path / "m")
    assert load_image_folder(tmp_path / "m", color_mode="rgb").x_train.shape[-1] == 3
    assert load_image_folder(tmp_path / "m", color_mode="grayscale").x_train.shape[-1] == 1
    assert load_dataset("folder", tmp_path / "m", color_mode="grayscale").x_test.shape[-1] == 1


def test_decompression_bomb_is_a_clear_error(tmp_path, monkeypatch):
    from PIL import Image as PILImage

    from keras_adegan.images import read_image

    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp_path / "big.png")
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 1000)  # 64 x 64 is over twice the limit
    with pytest.raises(ADeGANError, match="cannot read image .*big.png"):
        read_image(tmp_path / "big.png", str(tmp_path / "big.png"))


def test_classes_by_name_without_reading_images(tmp_path):
    from keras_adegan.data import class_index, class_names_of

    assert class_index("fashion_mnist", None, "sandal") == 5
    assert class_index("cifar10", None, "Truck") == 9 and class_index("mnist", None, "7") == 7
    make_image_tree(tmp_path / "parts" / "train", classes=("ok", "scratched"))
    make_image_tree(tmp_path / "parts" / "test", classes=("ok", "scratched"))
    assert class_names_of("folder", tmp_path / "parts") == ["ok", "scratched"]
    assert class_index("folder", tmp_path / "parts", "scratched") == 1
    with pytest.raises(ADeGANError, match="not a class of fashion_mnist; its classes are: 0 T-shirt"):
        class_index("fashion_mnist", None, "sandals")


def test_hidden_folders_and_files_are_never_classes_or_images(tmp_path):
    make_image_tree(tmp_path / "imgs")
    make_image_tree(tmp_path / "imgs" / ".ipynb_checkpoints", classes=("cat",))
    make_image_tree(tmp_path / "imgs" / "dog" / ".thumbs", classes=("small",))
    data = load_image_folder(tmp_path / "imgs")
    assert data.class_names == ["cat", "dog"] and len(data.x_train) + len(data.x_test) == 12


@pytest.mark.parametrize("present", ["train", "test"])
def test_a_root_with_only_one_of_train_and_test_is_an_error_naming_the_layout(tmp_path, present):
    from keras_adegan.data import class_names_of

    make_image_tree(tmp_path / "parts" / present, classes=("ok", "scratched"))
    make_image_tree(tmp_path / "parts" / "val", classes=("ok", "scratched"))
    missing = "test" if present == "train" else "train"
    for read in (lambda: load_image_folder(tmp_path / "parts"),
                 lambda: class_names_of("folder", tmp_path / "parts")):
        with pytest.raises(ADeGANError, match=f"has a {present}/ folder but no {missing}/"):
            read()


def test_a_class_named_like_a_number_is_that_class_not_an_index(tmp_path):
    from keras_adegan.data import class_index

    make_image_tree(tmp_path / "n", classes=("1", "10", "2"))
    assert class_index("folder", tmp_path / "n", "1") == 0  # the folder "1", not "10"
    assert class_index("folder", tmp_path / "n", "10") == 1
    assert class_index("folder", tmp_path / "n", "0") == 0  # no folder "0": an index
    assert class_index("folder", tmp_path / "n", 1) == 1  # a Python int is an index
