"""What reading viridis and magma from matplotlib costs a process (tiles/engine/colormaps.py).

Each figure is the median over ``--runs`` fresh interpreters (numpy already imported, as
on the tile path): importing matplotlib alone; importing it after astropy.visualization
(which the engine imports, and which imports matplotlib itself when it is installed);
and making the two 256-entry tables from the imported package. The tile path pays these
once per process, at start; rendering a tile looks a table up (no matplotlib call).

    .venv/bin/python bench/colormaps_import.py --runs 9
"""

import argparse
import statistics
import subprocess
import sys

PROGRAMS = {
    "import matplotlib (alone)": (
        "import time, numpy\nt = time.perf_counter()\nimport matplotlib\n"
        "print((time.perf_counter() - t) * 1000)"
    ),
    "import astropy.visualization": (
        "import time, numpy\nt = time.perf_counter()\nimport astropy.visualization\n"
        "print((time.perf_counter() - t) * 1000)"
    ),
    "import matplotlib after astropy.visualization": (
        "import time, numpy, astropy.visualization\nt = time.perf_counter()\nimport matplotlib\n"
        "print((time.perf_counter() - t) * 1000)"
    ),
    "viridis + magma tables from imported matplotlib": (
        "import time, numpy as np, matplotlib\nt = time.perf_counter()\n"
        "x = np.linspace(0, 1, 256)\n"
        "tables = [np.round(matplotlib.colormaps[n](x)[:, :3] * 255).astype(np.uint8)"
        " for n in ('viridis', 'magma')]\nprint((time.perf_counter() - t) * 1000)"
    ),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    for label, program in PROGRAMS.items():
        times = [
            float(
                subprocess.run(
                    [sys.executable, "-c", program], capture_output=True, text=True, check=True
                ).stdout
            )  # fmt: skip
            for _ in range(runs)
        ]
        print(f"{label:48s} median {statistics.median(times):8.2f} ms "
              f"(min {min(times):.2f}, max {max(times):.2f}, {runs} runs)")  # fmt: skip


if __name__ == "__main__":
    main()
