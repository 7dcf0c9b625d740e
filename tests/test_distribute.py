import json
import subprocess
import sys
from pathlib import Path

import pytest


def test_mirrored_strategy_logs_the_same_losses_as_one_device():
    script = Path(__file__).with_name("distributed_losses.py")
    result = subprocess.run([sys.executable, "-m", "tests.distributed_losses"], capture_output=True, text=True,
                            timeout=600, cwd=script.parents[1])
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout)
    assert out["replicas"] == 2
    single, mirrored = out["single"], out["mirrored"]
    assert set(single) == set(mirrored) >= {"d_loss", "g_loss", "loss", "recon_loss"}
    for key in single:
        assert mirrored[key] == pytest.approx(single[key], rel=1e-4, abs=1e-5), key
