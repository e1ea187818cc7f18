"""``oaproto sse-check MODULE:FUNCTION`` as a user runs it: a subprocess, its table and status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from oaproto.transports.cli import main

HERE = Path(__file__).resolve().parent
COMMAND = [sys.executable, "-m", "oaproto.transports.cli", "sse-check"]


def sse_check(*args: str) -> subprocess.CompletedProcess[str]:
    # Run next to peer_parsers.py: the current directory is importable, as for "python -m".
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=120, cwd=HERE, check=False
    )


def test_ssedecoder_passes_every_rule() -> None:
    result = sse_check("peer_parsers:oaproto_parse", "--examples", "5")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(
        "SSE conformance of peer_parsers.oaproto_parse: 26 pass, 0 fail, 0 not checked"
    )
    assert "FAIL" not in result.stdout
    assert "all-rules-mixed      pass" in result.stdout


def test_failures_print_the_rule_table_and_exit_1() -> None:
    result = sse_check(
        "peer_parsers:httpx_sse_parse", "--examples", "0", "--rule", "bom", "--rule", "comments"
    )
    assert (result.returncode, result.stderr) == (1, "")
    lines = result.stdout.splitlines()
    assert lines[0].endswith(
        "1 pass, 1 fail, 0 not checked (vector corpus, then 0 generated examples per rule, seed 0)"
    )
    assert lines[4].startswith("bom       FAIL         one leading UTF-8 BOM is dropped")
    assert lines[5].split()[:2] == ["comments", "pass"]
    assert "  case:     vector bom/whole" in lines


def test_no_retry_option() -> None:
    result = sse_check(
        "peer_parsers:httpx_sse_parse", "--examples", "0", "--rule", "retry-invalid", "--no-retry"
    )
    assert result.returncode == 0
    assert "retry-invalid  not checked" in result.stdout


def test_usage_errors_exit_2() -> None:
    cases = {
        ("nocolon",): "expected MODULE:FUNCTION, got 'nocolon'",
        ("no_such_module_xyz:parse",): "cannot import 'no_such_module_xyz'",
        ("peer_parsers:nope",): "'peer_parsers' has no attribute 'nope'",
        ("peer_parsers:__doc__",): "oaproto sse-check: peer_parsers:__doc__ is not callable",
        ("peer_parsers:oaproto_parse", "--rule", "nope"): "unknown rules ['nope']",
        ("peer_parsers:oaproto_parse", "--examples", "-1"): "examples must be >= 0",
        ("peer_parsers:raising_parse",): "",  # its TypeError is a finding, not a usage error
    }
    for args, message in cases.items():
        result = sse_check(*args)
        if message:
            assert (result.returncode, result.stdout) == (2, ""), args
            assert message in result.stderr, args
        else:
            assert result.returncode == 1, args
            assert "raised:   TypeError" in result.stdout


def test_events_of_the_wrong_shape_are_a_usage_error() -> None:
    result = sse_check("peer_parsers:not_events")
    assert result.returncode == 2
    assert "parse() must return events" in result.stderr


def test_in_process_statuses(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same command through cli.main, so the command's own lines are measured too.
    monkeypatch.chdir(HERE)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(HERE)])
    assert main(["sse-check", "peer_parsers:oaproto_parse", "--examples", "0"]) == 0
    assert "26 pass" not in capsys.readouterr().out  # no mixed row without examples
    assert (
        main(["sse-check", "peer_parsers:httpx_sse_parse", "--examples", "0", "--rule", "bom"]) == 1
    )
    assert "FAIL bom" in capsys.readouterr().out
    assert main(["sse-check", "peer_parsers:oaproto_parse", "--no-retry", "--examples", "0"]) == 0
    assert "retry-valid          not checked" in capsys.readouterr().out
    for target in (
        "nocolon",
        "no_such_module_xyz:parse",
        "peer_parsers:nope",
        "peer_parsers:__doc__",
    ):
        assert main(["sse-check", target]) == 2
        assert capsys.readouterr().err.startswith("oaproto sse-check: ")
