"""systemd/monitor.service and monitor-web.service: `systemd-analyze verify` is silent, `security` scores ≤ 2.0."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "monitor.service"
WEB_UNIT = UNIT.with_name("monitor-web.service")
UNITS = pytest.mark.parametrize("unit", [UNIT, WEB_UNIT], ids=["monitor", "monitor-web"])
INSTALLED = "/opt/monitor/bin/monitor"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (apt-get install systemd; .ci/run does it)"
)


def directives(unit: Path = UNIT) -> list[tuple[str, str]]:
    pairs = []
    for line in unit.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            pairs.append((key, value))
    return pairs


def value(key: str, unit: Path = UNIT) -> list[str]:
    return [v for k, v in directives(unit) if k == key]


def local_copy(tmp_path: Path, unit: Path = UNIT) -> Path:
    """The unit as shipped, but starting the `monitor` of this environment (not /opt/monitor)."""
    copy = tmp_path / unit.name
    monitor = Path(sys.executable).parent / "monitor"
    copy.write_text(unit.read_text(encoding="utf-8").replace(INSTALLED, str(monitor)), encoding="utf-8")
    return copy


@needs_analyze
@UNITS
def test_verify_prints_nothing(tmp_path: Path, unit: Path) -> None:
    # `verify` exits 0 even on unknown keys, so its output is what counts.
    result = subprocess.run(
        [str(ANALYZE), "verify", str(local_copy(tmp_path, unit))],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@needs_analyze
@UNITS
def test_verify_of_the_shipped_file_only_misses_the_install(tmp_path: Path, unit: Path) -> None:
    result = subprocess.run([str(ANALYZE), "verify", str(unit)], capture_output=True, text=True, cwd=tmp_path)
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    if Path(INSTALLED).exists():
        assert lines == []
    else:
        assert all(f"{INSTALLED} is not executable" in line for line in lines), lines


@needs_analyze
@UNITS
def test_security_exposure_is_at_most_2(tmp_path: Path, unit: Path) -> None:
    result = subprocess.run(
        [str(ANALYZE), "security", "--offline=yes", "--no-pager", str(local_copy(tmp_path, unit))],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    match = re.search(rf"Overall exposure level for {re.escape(unit.name)}: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 2.0, result.stdout


def test_the_unit_says_what_the_issue_asks() -> None:
    assert value("Type") == ["notify"]
    assert value("ExecStart") == [f"{INSTALLED} run"]
    assert value("Restart") == ["on-failure"]
    assert value("WatchdogSec") and value("DynamicUser") == ["yes"]
    assert value("StateDirectory") == ["monitor"]  # $STATE_DIRECTORY: the default state_dir
    assert value("ConfigurationDirectory") == ["monitor"]  # /etc/monitor/monitor.toml
    assert any(v.startswith("smtp_password:") for v in value("LoadCredential"))
    for key, expected in {
        "ProtectSystem": "strict",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    }.items():
        assert value(key) == [expected], key
    assert "@system-service" in value("SystemCallFilter")
    assert not any("PASSWORD" in v.upper() or "TOKEN" in v.upper() for v in value("Environment")), (
        "secrets come from $CREDENTIALS_DIRECTORY, never the environment"
    )
    assert int(value("TimeoutStopSec")[0].rstrip("s")) > 10  # we stop within 10 s; systemd waits longer


def test_the_web_unit_shares_the_daemons_state_and_hardening() -> None:
    assert value("ExecStart", WEB_UNIT) == [f"{INSTALLED} web"]
    assert value("User", WEB_UNIT) == ["monitor"]  # the daemon's dynamic user: the same state directory
    assert value("StateDirectory", WEB_UNIT) == value("StateDirectory")
    assert any(v.startswith("web_secret_key:") for v in value("LoadCredential", WEB_UNIT))
    for key in ("ProtectSystem", "NoNewPrivileges", "PrivateTmp", "CapabilityBoundingSet",
                "RestrictAddressFamilies", "SystemCallFilter", "MemoryDenyWriteExecute"):  # fmt: skip
        assert value(key, WEB_UNIT) == value(key), key
