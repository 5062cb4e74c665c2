"""The ``livetrade`` command line: ``--version``, ``--help`` and ``check``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from livetrade._version import __version__
from livetrade.cli import main


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"livetrade {__version__}\n"


def test_help_lists_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: livetrade")
    assert "check" in out


def test_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err


def test_check_valid_file_prints_resolved_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, 'trader_id = "ME-001"\n[cache.database]\npassword = "hunter2"\n')
    assert main(["check", str(path)]) == 0
    captured = capsys.readouterr()
    assert 'trader_id = "ME-001"\n' in captured.out
    assert "inflight_check_interval_ms = 2000\n" in captured.out
    assert "# instance_id = (unset)\n" in captured.out
    assert f'path = "{tmp_path / "livetrade.sqlite"}"\n' in captured.out
    assert 'password = "***"\n' in captured.out
    assert "hunter2" not in captured.out + captured.err
    assert captured.err == f"{path}: valid, 0 warnings\n"


def test_check_prints_warnings_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "[exec_engine]\nopen_check_lookback_mins = 15\n")
    assert main(["check", str(path)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"warning: {path}: exec_engine.open_check_lookback_mins: 15 is below 60 minutes; "
        "open orders last changed before the window can look missing at the venue and be "
        "resolved wrongly",
        f"{path}: valid, 1 warning",
    ]


def test_check_invalid_file_prints_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[exec_engine]\nqsize = 0\ninflight_check_interval_ms = "2s"\n')
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"error: {path}: exec_engine.inflight_check_interval_ms: expected a non-negative "
        "integer (milliseconds), found '2s' (str)",
        f"error: {path}: exec_engine.qsize: expected a positive integer (messages), found 0 (int)",
        f"{path}: invalid, 2 errors",
    ]


def test_check_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nope.toml"
    assert main(["check", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {path}: file not found",
        f"{path}: invalid, 1 error",
    ]


def test_check_syntax_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "[exec_engine\n")
    assert main(["check", str(path)]) == 2
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith(f"error: {path}: line 1, column ")
    assert "TOML syntax error" in first


def test_python_dash_m_check_runs_in_a_real_process(tmp_path: Path) -> None:
    good = write(tmp_path, 'trader_id = "SUB-001"\n[cache.database]\npassword = "env:LT_PW"\n')
    env = {**os.environ, "LT_PW": "s3cret"}
    result = subprocess.run(
        [sys.executable, "-m", "livetrade", "check", str(good)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert 'trader_id = "SUB-001"\n' in result.stdout
    assert "s3cret" not in result.stdout + result.stderr
    assert result.stderr == f"{good}: valid, 0 warnings\n"
