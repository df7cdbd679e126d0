"""The client's own unit tests (node:test), run as part of the suite."""

import shutil
import subprocess
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


def test_node_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed for the client's tests (install nodejs).")
    done = subprocess.run([node, "--test", "tests/"], cwd=FRONTEND, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout
