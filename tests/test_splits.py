import numpy as np
import pytest

from keras_adegan import ADeGANError, make_splits
from keras_adegan.data import ImageData
from keras_adegan.splits import train_stream
from tests.conftest import random_images


def toy_data():
    x = random_images(200)
    y = np.arange(200) % 4
    return ImageData(x, y, random_images(40, seed=1), np.arange(40) % 4, list("abcd"), "toy")


def test_split_hygiene():
    data = toy_data()
    s = make_splits(data, anomaly_class=2, val_fraction=0.2, seed=3)
    train_rows = {im.tobytes() for im in s.train_x}
    anomalies = {im.tobytes() for im in data.x_train[data.y_train == 2]}
    assert not train_rows & anomalies                          # the anomaly class never trains
    assert not train_rows & {im.tobytes() for im in s.val_x}   # validation is held out
    assert np.array_equal(s.test_x, data.x_test)               # test split untouched
    assert np.array_equal(s.test_y, (data.y_test == 2).astype(int))
    assert s.val_y.sum() == 10 and (s.val_y == 0).sum() == 30
    again = make_splits(data, anomaly_class=2, val_fraction=0.2, seed=3)
    assert np.array_equal(again.train_x, s.train_x)
    limited = make_splits(data, 2, 0.2, 3, train_limit=50)
    assert len(limited.train_x) == 50


@pytest.mark.parametrize("k", [-1, 4])
def test_anomaly_class_out_of_range(k):
    with pytest.raises(ADeGANError, match="out of range"):
        make_splits(toy_data(), anomaly_class=k)


def test_train_stream():
    ds = train_stream(random_images(70), batch_size=32, seed=0)
    batches = list(ds.as_numpy_iterator())
    assert [len(b) for b in batches] == [32, 32]
    assert batches[0].dtype == np.float32 and batches[0].min() >= -1 and batches[0].max() <= 1
    with pytest.raises(ADeGANError, match="batch size"):
        train_stream(random_images(10), batch_size=32, seed=0)


def test_train_stream_order_is_a_function_of_seed_and_epoch():
    images = random_images(70)
    flat = lambda batches: np.concatenate(batches).reshape(len(batches) * 32, -1)  # noqa: E731
    ds = train_stream(images, batch_size=32, seed=0)
    epoch0, epoch1 = (list(ds.as_numpy_iterator()) for _ in range(2))
    assert not np.array_equal(flat(epoch0), flat(epoch1))  # each epoch its own order
    resumed = train_stream(images, batch_size=32, seed=0)
    resumed.epoch_order.epoch = 1  # what `fit` does when it resumes at epoch 1
    np.testing.assert_array_equal(flat(list(resumed.as_numpy_iterator())), flat(epoch1))
    other_seed = list(train_stream(images, batch_size=32, seed=1).as_numpy_iterator())
    assert not np.array_equal(flat(other_seed), flat(epoch0))
    # every batch is made of the stream's own images, scaled to [-1, 1]
    scaled = images.reshape(70, -1).astype(np.float32) / 127.5 - 1.0
    for row in flat(epoch0):
        assert np.isclose(scaled, row).all(axis=1).any()


def test_train_stream_refuses_a_batch_size_below_one():
    with pytest.raises(ADeGANError, match="at least 1"):
        train_stream(random_images(10), batch_size=0, seed=0)
