"""``make bench``: every benchmark, one after the other."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in ("engine.py", "tiles_http.py"):
    print(f"--- bench/{script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
