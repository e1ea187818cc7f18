"""The in-memory driver benchmark runs and sees every token; its figures are not judged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_bench_driver_runs_a_small_stream() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_driver.py"), "--tokens", "300", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [
        line.split("|")[1].strip() for line in result.stdout.splitlines() if line.startswith("| ")
    ]
    assert rows == ["reader", "session", "ChatClient", "AsyncChatClient"]
