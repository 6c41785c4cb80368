"""The PyInstaller bundle (`make package`) works on its own: no Python, no network, a fresh
home. It is built here when dist/ lacks it or is older than the sources, as on CI's clean
clone, so a passing test never speaks for a stale bundle.

Python's audit hooks (tests/netguard) cannot reach into a frozen binary, which ignores
PYTHONPATH, so the network guard here is strace: every connect/sendto/sendmsg of every
thread and child is logged by the kernel's view, and any address that is not loopback,
or any DNS query, counts as an attempt.
"""

import configparser
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.real

ROOT = Path(__file__).resolve().parents[1]
LINUX = ROOT / "packaging" / "linux"
BUNDLE = ROOT / "dist" / "assistant"
BINARY = BUNDLE / "assistant"
# What goes into the bundle: a newer file than the binary means it must be rebuilt.
SOURCES = [
    ROOT / "assistant",
    ROOT / "packaging" / "assistant.spec",
    ROOT / "models" / "catalog.toml",
    ROOT / "pyproject.toml",
]
BUILD_TIMEOUT_S = 1800
NETWORK_CALLS = "connect,sendto,sendmsg"
_ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')
_LOOPBACK = re.compile(r"^(127\.|::1$|::ffff:127\.)")


def _newest_source() -> float:
    files = [p for src in SOURCES for p in ([src] if src.is_file() else src.rglob("*"))]
    return max(p.stat().st_mtime for p in files if p.is_file() and "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def binary() -> Path:
    """dist/assistant/assistant, rebuilt with `make package` when missing or stale."""
    if not BINARY.exists() or BINARY.stat().st_mtime < _newest_source():
        build = subprocess.run(  # noqa: PLW1510 (the exit code is asserted)
            ["make", "package"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
        )
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert os.access(BINARY, os.X_OK)
    return BINARY


def offline_environment(tmp_path: Path) -> dict[str, str]:
    """A clean machine state: nothing from this venv, a fresh HOME and ASSISTANT_HOME."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "user"),
        "LANG": "C.UTF-8",
        "ASSISTANT_HOME": str(tmp_path / "home"),
        "ASSISTANT_MAX_TOKENS": "24",
        "ASSISTANT_TEMPERATURE": "0",
        "HF_HUB_OFFLINE": "1",
    }


def run_traced(
    command: list[str], env: dict[str, str], cwd: Path, log: Path
) -> subprocess.CompletedProcess[str]:
    """Run `command` with its network system calls logged to `log` by strace."""
    traced = ["strace", "-f", "-qq", "--seccomp-bpf", "-e", f"trace={NETWORK_CALLS}"]
    return subprocess.run(  # noqa: PLW1510 (exit codes are asserted)
        [*traced, "-e", "signal=none", "-o", str(log), *command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def network_attempts(log: Path) -> list[str]:
    """The logged calls that would leave the machine: a non-loopback address, or DNS."""
    attempts = []
    for line in log.read_text().splitlines():
        for v4, v6 in _ADDRESS.findall(line):
            address = v4 or v6
            if not _LOOPBACK.match(address) or "htons(53)" in line:
                attempts.append(line)
    return attempts


def test_the_network_guard_catches_an_attempt(tmp_path: Path) -> None:
    """The no-network check can fail: the same trace logs a connect, a DNS lookup and a
    datagram."""
    log = tmp_path / "trace.log"
    code = (
        "import socket\n"
        "for call in (lambda: socket.create_connection(('192.0.2.1', 80), timeout=0.2),\n"
        "             lambda: socket.getaddrinfo('example.invalid', 80),\n"
        "             lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)"
        ".sendto(b'x', ('2001:db8::1', 9))):\n"
        "    try: call()\n"
        "    except OSError: pass\n"
        "socket.socket().connect_ex(('127.0.0.1', 9))\n"
    )
    result = run_traced([sys.executable, "-c", code], dict(os.environ), tmp_path, log)
    assert result.returncode == 0, result.stderr
    attempts = network_attempts(log)
    assert any('"192.0.2.1"' in a for a in attempts)
    assert any('"2001:db8::1"' in a for a in attempts)
    assert not any('"127.0.0.1"' in a and "htons(9)" in a for a in attempts)
    resolv = Path("/etc/resolv.conf")
    if resolv.exists() and "nameserver" in resolv.read_text():
        assert any("htons(53)" in a for a in attempts)


def test_the_bundle_reports_its_version_through_a_symlink(binary: Path, tmp_path: Path) -> None:
    """Homebrew and the AUR package link bin/assistant to the bundle's executable."""
    link = tmp_path / "bin" / "assistant"
    link.parent.mkdir()
    link.symlink_to(binary)
    result = subprocess.run(  # noqa: PLW1510
        [str(link), "--version"],
        env=offline_environment(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("assistant 0.1.0\n")
    assert "llama.cpp build: " in result.stdout


def test_the_bundle_answers_a_chat_offline_from_a_fresh_home(binary: Path, tmp_path: Path) -> None:
    """The embedded model loads from the bundle (its hash checked once), the embedder
    loads from the bundle, LanceDB writes the store, and nothing leaves."""
    env = offline_environment(tmp_path)
    log = tmp_path / "trace.log"
    result = run_traced(
        [str(binary), "chat", "--json", "I live in Lisbon and I keep bees"], env, tmp_path, log
    )
    assert result.returncode == 0, result.stderr[-3000:]
    reply = json.loads(result.stdout)
    assert isinstance(reply["reply"], str) and reply["reply"].strip()
    assert set(reply["message_ids"]) == {"user", "assistant"}
    assert reply["conversation_id"]
    assert {"preferences", "memories", "messages", "documents"} <= set(reply["context"])
    home = Path(env["ASSISTANT_HOME"])
    # The default model is read in place from the bundle and its hash checked once, and
    # the bundle's llama.cpp made the Q8_0 copy that runs.
    assert (home / "cache" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf.verified").exists()
    assert (home / "cache" / "models" / "SmolLM2-135M-Instruct.Q8_0.gguf.verified").exists()
    assert any((home / "data" / "store").rglob("*.lance"))
    assert network_attempts(log) == []

    recalled = subprocess.run(  # noqa: PLW1510
        [str(binary), "recall", "where do I live?", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert recalled.returncode == 0, recalled.stderr[-3000:]
    hits = json.loads(recalled.stdout)["hits"]
    assert any("Lisbon" in hit["text"] for hit in hits)  # the embedder found it by meaning


def test_the_launcher_opens_the_command_in_a_terminal_with_its_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(LINUX / "assistant.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Terminal"] == "true"
    assert desktop["Exec"] == BINARY.name  # no command opens the TUI
    icon = ET.parse(LINUX / f"{desktop['Icon']}.svg").getroot()
    assert icon.tag == "{http://www.w3.org/2000/svg}svg"
    assert icon.get("viewBox") == "0 0 128 128"
