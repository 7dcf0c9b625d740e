import os

import pytest

from keras_adegan.startup import quiet_native_stderr


def test_native_stderr_is_hidden_while_the_block_runs_and_back_after(capfd):
    with quiet_native_stderr():
        os.write(2, b"oneDNN custom operations are on\n")
    os.write(2, b"our own message\n")
    err = capfd.readouterr().err
    assert "oneDNN" not in err and "our own message" in err


def test_a_failing_block_shows_what_was_written_before_its_error(capfd):
    with pytest.raises(RuntimeError, match="conversion failed"):
        with quiet_native_stderr():
            os.write(2, b"the converter's own reason\n")
            raise RuntimeError("conversion failed")
    assert "the converter's own reason" in capfd.readouterr().err


def test_verbose_shows_everything(capfd, monkeypatch):
    monkeypatch.setenv("KERAS_ADEGAN_VERBOSE", "1")
    with quiet_native_stderr():
        os.write(2, b"oneDNN custom operations are on\n")
    assert "oneDNN" in capfd.readouterr().err
