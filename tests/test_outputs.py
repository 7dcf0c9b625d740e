import pytest

from keras_adegan import ADeGANError
from keras_adegan.outputs import check_output_file, write_atomically


def test_existing_file_folder_and_missing_parent_are_refused(tmp_path):
    (tmp_path / "kept.csv").write_text("mine")
    with pytest.raises(ADeGANError, match="already exists"):
        check_output_file(tmp_path / "kept.csv")
    assert check_output_file(tmp_path / "kept.csv", overwrite=True) == tmp_path / "kept.csv"
    with pytest.raises(ADeGANError, match="is a folder"):
        check_output_file(tmp_path)
    with pytest.raises(ADeGANError, match="does not exist; create it first"):
        check_output_file(tmp_path / "missing" / "s.csv")
    assert (tmp_path / "kept.csv").read_text() == "mine"


def test_atomic_write_leaves_only_the_file(tmp_path):
    write_atomically(tmp_path / "a.txt", "hello")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert (tmp_path / "a.txt").read_text() == "hello"
