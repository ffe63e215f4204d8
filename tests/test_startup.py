"""What ``bench`` imports before it needs it: the CLI, and a ``bench run`` that renders nothing, load no
report, plotting or statistics package (each costs 0.3-1.2 CPU s at start-up; issue 18)."""

import os
import subprocess
import sys
from pathlib import Path

from hgbench.benchmarks.cli import main

HEAVY = ("matplotlib", "statsmodels", "scipy.stats", "pandas", "sklearn")
SRC = Path(__file__).resolve().parents[1] / "src"


def _loaded_after(code: str) -> list[str]:
    """The HEAVY modules present in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"})
    return done.stdout.split()


def test_importing_the_cli_loads_no_report_plotting_or_statistics_package():
    assert _loaded_after("import hgbench.benchmarks.cli") == []


def test_a_run_that_renders_nothing_loads_none_of_them(tmp_path):
    out = tmp_path / "results"
    argv = ["run", "--suite", "demo", "--methods", "zen", "--datasets", "synthetic", "--seeds", "2", "--out", str(out)]
    assert main(argv) == 0  # runs and renders here, in the test's process
    loaded = _loaded_after(f"from hgbench.benchmarks.cli import main\nassert main({argv!r}) == 0")
    assert loaded == []
