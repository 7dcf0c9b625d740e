import pytest

from keras_adegan.errors import ADeGANError, cli_main


@pytest.mark.parametrize("error,expected", [
    (ADeGANError("unknown dataset 'mnits'"), "error: unknown dataset 'mnits'\n"),
    (PermissionError(13, "Permission denied", "/runs/x"), "error: /runs/x: Permission denied\n"),
    (OSError(28, "No space left on device"), "error: No space left on device\n"),
])
def test_cli_main_turns_user_and_system_errors_into_one_line(capsys, error, expected):
    @cli_main
    def main(argv=None):
        raise error

    assert main([]) == 2
    assert capsys.readouterr().err == expected


def test_cli_main_passes_results_and_bugs_through():
    assert cli_main(lambda argv=None: 0)([]) == 0

    @cli_main
    def buggy(argv=None):
        raise KeyError("a bug")  # a bug is not a user mistake: it keeps its traceback

    with pytest.raises(KeyError):
        buggy([])


def test_ctrl_c_is_one_line_and_exit_130(capsys):
    @cli_main
    def main(argv=None):
        raise KeyboardInterrupt

    assert main([]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("interrupted")


def test_a_full_disk_met_by_tensorflows_own_writer_is_one_line(capsys):
    """TensorBoard logs and SavedModels are written by TensorFlow's C++ file system, which fails
    with an OpError, not an OSError (/dev/full: every write finds the disk full)."""
    import tensorflow as tf

    @cli_main
    def main(argv=None):
        tf.io.write_file("/dev/full", "x" * 100_000)
        return 0

    assert main([]) == 2
    assert capsys.readouterr().err == "error: cannot write /dev/full: No space left on device\n"


def test_other_tensorflow_errors_stay_tracebacks():
    import tensorflow as tf

    @cli_main
    def main(argv=None):
        raise tf.errors.InvalidArgumentError(None, None, "shapes do not match")

    with pytest.raises(tf.errors.InvalidArgumentError):
        main([])
