"""The lucky bag draw (siyu-luckybag-v1): a deterministic function of the entries and the seed.

Standard library only, so a third party can copy this file (or re-implement docs/protocol.md, "Lucky bags",
which specifies the same thing) and check a draw without siyu:

1. `seed` is 32 random bytes; at the start the room is told `seed_hash = hex(sha256(seed))`; the result
   reveals `hex(seed)`.
2. The entries are the distinct user ids that entered, sorted by code point (= UTF-8 byte order):
   `canonical(entries)`. `entries_hash = hex(sha256("\\n".join(entries) as UTF-8))`.
3. A stream of 256-bit numbers: block i = HMAC-SHA256(key=seed, message=i as 8 bytes big-endian), read as
   a big-endian unsigned integer, for i = 0, 1, 2, ...
4. `below(n)`: the next block x; if x >= 2^256 - (2^256 mod n), discard it and take the next one (no modulo
   bias); else x mod n. (Every call takes at least one block, also for n = 1.)
5. A Fisher-Yates shuffle, forwards, stopped after k = min(winners, len(entries)) steps: for i in 0..k-1,
   j = i + below(len - i), swap a[i] and a[j]. The winners are a[0..k-1], in that order.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

__all__ = ["ALGORITHM", "canonical", "draw", "entries_hash", "seed_hash", "verify"]

ALGORITHM = "siyu-luckybag-v1"
_SPACE = 1 << 256


def seed_hash(seed: bytes) -> str:
    """What the start publishes: hex(sha256(seed))."""
    return hashlib.sha256(seed).hexdigest()


def canonical(entries: Iterable[str]) -> list[str]:
    """The draw order of the entries: distinct user ids sorted by code point."""
    return sorted(set(entries))


def entries_hash(entries: list[str]) -> str:
    """hex(sha256 of the entries joined by LF, UTF-8): the result commits to the list the audit shows."""
    return hashlib.sha256("\n".join(entries).encode("utf-8")).hexdigest()


class _Stream:
    def __init__(self, seed: bytes) -> None:
        self._key = seed
        self._counter = 0

    def block(self) -> int:
        mac = hmac.new(self._key, self._counter.to_bytes(8, "big"), hashlib.sha256).digest()
        self._counter += 1
        return int.from_bytes(mac, "big")

    def below(self, n: int) -> int:
        limit = _SPACE - _SPACE % n
        while True:
            x = self.block()
            if x < limit:
                return x % n


def draw(entries: list[str], seed: bytes, winners: int) -> list[str]:
    """The winners, in draw order: the first min(winners, len(entries)) of a Fisher-Yates shuffle of the
    canonical entries driven by HMAC-SHA256(seed, counter)."""
    if entries != canonical(entries):
        raise ValueError("entries must be distinct and sorted (canonical)")
    a = list(entries)
    stream = _Stream(seed)
    for i in range(min(max(winners, 0), len(a))):
        j = i + stream.below(len(a) - i)
        a[i], a[j] = a[j], a[i]
    return a[: min(max(winners, 0), len(a))]


def verify(audit: dict[str, Any]) -> list[str]:
    """Check a bag's audit document (GET /api/rooms/{room}/luckybags/{bag}): the seed matches the published
    hash, the entries are canonical and match their hash, and the winners are the draw of (entries, seed).
    Returns what differs (empty: the draw checks out)."""
    problems: list[str] = []
    if audit.get("algorithm", ALGORITHM) != ALGORITHM:
        return [f"unknown algorithm {audit.get('algorithm')!r} (this verifier knows {ALGORITHM})"]
    seed_hex = audit.get("seed")
    if not isinstance(seed_hex, str):
        return ["no seed: the bag is not drawn yet"]
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        return [f"seed is not hex: {seed_hex[:80]!r}"]
    if seed_hash(seed) != audit.get("seed_hash"):
        problems.append(
            f"sha256(seed) = {seed_hash(seed)} but the published seed_hash is {audit.get('seed_hash')}"
        )
    entries = audit.get("entries")
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        return [*problems, "entries is not a list of user ids"]
    if entries != canonical(entries):
        problems.append("entries are not distinct and sorted by code point")
        entries = canonical(entries)
    if "entries_hash" in audit and entries_hash(entries) != audit["entries_hash"]:
        problems.append(
            f"sha256(entries) = {entries_hash(entries)} but the result says {audit['entries_hash']}"
        )
    if "entries_count" in audit and audit["entries_count"] != len(entries):
        problems.append(f"{len(entries)} entries listed but the result counts {audit['entries_count']}")
    k = audit.get("winner_count")
    if not isinstance(k, int) or isinstance(k, bool):
        return [*problems, "winner_count is not an integer"]
    published = [w.get("id") if isinstance(w, dict) else w for w in audit.get("winners") or []]
    expected = draw(entries, seed, k)
    if published != expected:
        problems.append(f"winners differ: published {published}, recomputed {expected}")
    return problems
