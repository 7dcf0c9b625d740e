import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO

# Every test here starts TensorFlow subprocesses (two logical devices, two workers).
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("task", ["none", "rotation", "clusters"])
def test_mirrored_strategy_logs_the_same_losses_as_one_device(task):
    script = Path(__file__).with_name("distributed_losses.py")
    result = subprocess.run([sys.executable, "-m", "tests.distributed_losses", task],
                            capture_output=True, text=True, timeout=600, cwd=script.parents[1])
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout)
    assert out["replicas"] == 2
    single, mirrored = out["single"], out["mirrored"]
    assert set(single) == set(mirrored) >= {"d_loss", "g_loss", "loss", "recon_loss"}
    assert ("real_loss" in single) == (task != "none")
    for key in single:
        assert mirrored[key] == pytest.approx(single[key], rel=1e-4, abs=1e-5), key


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_on_localhost_train_and_agree_on_the_weights(tmp_path):
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    procs = []
    for index in range(2):
        env = dict(os.environ, TF_CONFIG=json.dumps(
            {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "tests.multiworker_train", str(tmp_path / "run"),
             str(tmp_path / f"weights{index}.npz")],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    logs = [p.communicate(timeout=600)[0] for p in procs]
    for index in range(2):
        assert (tmp_path / f"weights{index}.npz").exists(), logs[index][-3000:]
    chief, other = np.load(tmp_path / "weights0.npz"), np.load(tmp_path / "weights1.npz")
    assert len(chief.files) > 10
    for key in chief.files:
        np.testing.assert_array_equal(chief[key], other[key], err_msg=key)
    run = tmp_path / "run"
    assert (run / "model.keras").exists() and (run / "metrics.json").exists()
    assert not list(tmp_path.glob("run/backup*"))  # chief's and worker's resume state cleaned up
    history = json.loads((run / "metrics.json").read_text())["history"]
    assert [row["stage"] for row in history] == [1, 2]


def test_tf_config_is_read_and_checked(monkeypatch):
    from keras_adegan.distribute import cluster_spec, is_chief, worker_name
    from keras_adegan.errors import ADeGANError

    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert cluster_spec() is None and is_chief() and worker_name() == "chief"
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["a:1", "b:2"]},
                                                "task": {"type": "worker", "index": 1}}))
    assert not is_chief() and worker_name() == "worker1"
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ADeGANError, match="TF_CONFIG must look like"):
        cluster_spec()
