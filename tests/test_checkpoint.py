import json

import numpy as np
import pytest

from keras_adegan import ADeGANError
from keras_adegan.checkpoint import POINTER, EpochCheckpoint
from tests.test_model import tiny_model, tiny_stream


def test_fresh_folder_restores_nothing(tmp_path):
    assert EpochCheckpoint(tmp_path / "backup").restore(tiny_model()) == 0


def test_restore_brings_back_networks_and_optimizers(tmp_path):
    model = tiny_model(stage1_epochs=1)
    checkpoint = EpochCheckpoint(tmp_path / "backup")
    model.fit(tiny_stream(), epochs=2, callbacks=[checkpoint], verbose=0)
    assert json.loads((tmp_path / "backup" / POINTER).read_text()) == {
        "epochs_done": 2, "weights": "epoch-2.weights.h5"}
    assert sorted(p.name for p in (tmp_path / "backup").iterdir()) == [
        "epoch-2.weights.h5", POINTER]  # earlier epochs removed

    fresh = tiny_model(stage1_epochs=1)
    assert EpochCheckpoint(tmp_path / "backup").restore(fresh) == 2
    for restored, saved in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(restored, saved)
    assert int(fresh.g_optimizer.iterations) == int(model.g_optimizer.iterations) > 0
    assert int(fresh.e_optimizer.iterations) == int(model.e_optimizer.iterations) > 0


def test_a_write_cut_short_leaves_the_previous_epoch(tmp_path):
    """A kill while the next epoch's weights are written leaves a partial file that the pointer
    does not name: restore takes the last complete epoch, and the next save clears the debris."""
    model = tiny_model(stage1_epochs=1)
    checkpoint = EpochCheckpoint(tmp_path / "backup")
    model.fit(tiny_stream(), epochs=1, callbacks=[checkpoint], verbose=0)
    debris = tmp_path / "backup" / ".partial-999-epoch-2.weights.h5"
    debris.write_bytes(b"half an HDF5 file")
    assert EpochCheckpoint(tmp_path / "backup").restore(tiny_model(stage1_epochs=1)) == 1
    model.fit(tiny_stream(), initial_epoch=1, epochs=2, callbacks=[checkpoint], verbose=0)
    assert not debris.exists()


def test_a_damaged_pointer_falls_back_to_the_newest_complete_epoch(tmp_path, capsys):
    model = tiny_model(stage1_epochs=1)
    model.fit(tiny_stream(), epochs=2, callbacks=[EpochCheckpoint(tmp_path / "b")], verbose=0)
    (tmp_path / "b" / POINTER).write_text('{"epo')  # truncated
    fresh = tiny_model(stage1_epochs=1)
    assert EpochCheckpoint(tmp_path / "b").restore(fresh) == 2
    assert "latest.json is damaged; resuming from epoch-2.weights.h5" in capsys.readouterr().err
    for restored, saved in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(restored, saved)
    (tmp_path / "b" / "epoch-2.weights.h5").unlink()
    with pytest.raises(ADeGANError, match="is damaged and .* holds no epoch's weights"):
        EpochCheckpoint(tmp_path / "b").restore(fresh)


def test_weights_of_another_shape_are_a_clear_error(tmp_path):
    """As after editing `width` in a run's config.json: not Keras's traceback."""
    model = tiny_model(stage1_epochs=1)
    model.fit(tiny_stream(), epochs=1, callbacks=[EpochCheckpoint(tmp_path / "b")], verbose=0)
    from keras_adegan import ADeGAN

    wider = ADeGAN(image_shape=(16, 16, 1), n_patterns=4, noise_dim=4, width=8, bank_size=32)
    wider.compile()
    with pytest.raises(ADeGANError, match="do not fit the model that config.json describes"):
        EpochCheckpoint(tmp_path / "b").restore(wider)
