import os

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


def test_folder_lock_refuses_a_live_owner_and_takes_over_a_dead_ones(tmp_path):
    import socket
    import subprocess
    import sys

    from keras_adegan.outputs import folder_lock

    host = socket.gethostname()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "run").mkdir()
        (tmp_path / "run" / ".lock").write_text(f"{sleeper.pid} {host}")
        with pytest.raises(ADeGANError, match=f"in use by another run \\(process {sleeper.pid} "):
            with folder_lock(tmp_path / "run"):
                pass
    finally:
        sleeper.kill()
        sleeper.wait()
    with folder_lock(tmp_path / "run"):  # its owner is gone now
        assert (tmp_path / "run" / ".lock").read_text() == f"{os.getpid()} {host}"
        assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [".lock"]
    assert not (tmp_path / "run" / ".lock").exists()
    with folder_lock(tmp_path / "new"):
        pass
    assert not (tmp_path / "new").exists()  # made here, left empty: removed again


def test_unowned_files_are_those_the_marker_does_not_cover(tmp_path):
    from keras_adegan.outputs import mark, refuse_unowned, unowned_files

    (tmp_path / "sub").mkdir()
    (tmp_path / "ours.txt").write_text("x")
    (tmp_path / "sub" / "notes.txt").write_text("mine")
    assert unowned_files(tmp_path, "run", lambda f: True) is None  # no marker: nothing is ours
    mark(tmp_path, "export")
    assert unowned_files(tmp_path, "run", lambda f: True) is None  # another kind's marker
    mark(tmp_path, "run")
    assert unowned_files(tmp_path, "run", lambda f: f == "ours.txt") == ["sub/notes.txt"]
    with pytest.raises(ADeGANError, match="did not write: sub/notes.txt; move them out first"):
        refuse_unowned(tmp_path, "run", lambda f: f == "ours.txt", "choose another folder")
    refuse_unowned(tmp_path, "run", lambda f: True, "choose another folder")  # all ours
    refuse_unowned(tmp_path / "missing", "run", lambda f: False, "-")  # nothing there
    (tmp_path / "empty").mkdir()
    refuse_unowned(tmp_path / "empty", "run", lambda f: False, "-")
    assert (tmp_path / "sub" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("content", ["", "123", "4242 another-host"])
def test_an_empty_unreadable_or_other_hosts_lock_is_never_taken_as_stale(tmp_path, content):
    """An empty lock was the window between another process's create and write (the race
    that once let two runs in); another host's process cannot be checked from here."""
    from keras_adegan.outputs import folder_lock

    (tmp_path / ".lock").write_text(content)
    with pytest.raises(ADeGANError, match="in use by another run .*if no run uses it, delete"):
        with folder_lock(tmp_path):
            pass
    assert (tmp_path / ".lock").read_text() == content


def test_an_exclusive_write_never_replaces_a_file_made_meanwhile(tmp_path):
    (tmp_path / "s.csv").write_text("the other process's")
    with pytest.raises(ADeGANError, match="created by another process while this one worked"):
        write_atomically(tmp_path / "s.csv", "mine", exclusive=True)
    assert (tmp_path / "s.csv").read_text() == "the other process's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv"]
    write_atomically(tmp_path / "new.csv", "mine", exclusive=True)
    assert (tmp_path / "new.csv").read_text() == "mine"
