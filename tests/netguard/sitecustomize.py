"""Loaded by every Python process started with this folder on PYTHONPATH (the no-network
test): any attempt to reach a non-loopback address, or to resolve a name, is logged and
refused before a packet leaves.

An audit hook sees every socket operation of the interpreter, including those of
huggingface_hub, requests, urllib3 and telemetry clients. Creating a socket sends
nothing, so it is allowed: urllib3 probes for IPv6 at import by binding one to ::1.
"""

import ipaddress
import os
import sys

_LOG = os.environ.get("NETGUARD_LOG", "")
_LOCAL_NAMES = {"localhost", "", None}


def _refuse(what: str) -> None:
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {what}\n")
    raise PermissionError(f"network access blocked by the test: {what}")


def _loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
        if not _loopback(args[0]):
            _refuse(f"{event} {args[0]!r}")
    elif event in ("socket.connect", "socket.sendto", "socket.bind"):
        address = args[1]
        if isinstance(address, tuple) and not _loopback(address[0]):
            _refuse(f"{event} {address!r}")


if _LOG:
    sys.addaudithook(_hook)
