"""A throwaway coturn (Debian package `coturn`) on 127.0.0.1 for the TURN path of calls: the benches' delayed
runs and the tests that force `iceTransportPolicy: "relay"` start it here (docs/rtc.md sets up a real one)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"


def _stun_answers(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        s.sendto(struct.pack("!HHI", 0x0001, 0, 0x2112A442) + os.urandom(12), ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(2048)
        except (TimeoutError, OSError):
            return False
        return bool(struct.unpack("!H", data[:2])[0] == 0x0101)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def coturn(secret: str, realm: str = "siyu.test") -> Iterator[int]:
    """A throwaway coturn on 127.0.0.1 (UDP, use-auth-secret `secret`, loopback peers allowed); its port."""
    if not Path(TURNSERVER).exists():
        raise RuntimeError("coturn is missing (Debian package coturn)")
    tmp = Path(tempfile.mkdtemp(prefix="siyu-bench-turn-"))
    port = _free_udp_port()
    relay = 49152 + (port % 2000) * 8
    flags = (
        f"--no-cli --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port={port}"
        f" --allow-loopback-peers --use-auth-secret --static-auth-secret={secret} --realm={realm}"
        f" --no-tls --no-dtls --log-file=stdout --min-port={relay} --max-port={relay + 15}"
        f" --userdb={tmp / 'turndb'} --pidfile={tmp / 'turn.pid'} --no-stdout-log"
    )
    with (tmp / "turn.log").open("wb") as log:
        proc = subprocess.Popen([TURNSERVER, *flags.split()], stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(40):
                if proc.poll() is not None:
                    out = (tmp / "turn.log").read_text(errors="replace")
                    raise RuntimeError(f"turnserver exited: {out[-500:]}")
                if _stun_answers(port):
                    break
            else:
                raise RuntimeError("turnserver did not answer STUN")
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            shutil.rmtree(tmp, ignore_errors=True)


