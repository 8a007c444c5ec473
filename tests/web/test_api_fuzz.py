"""Property test of the HTTP API against a real node: schemathesis generates requests for every operation of
/openapi.json (valid and invalid ones), with an operator token and with a viewer token, and every answer
must keep the promises of docs/protocol.md section 8: no 5xx, every error in the envelope with a documented
code and status, no unhandled error in the log, and the node still serving afterwards.

The node runs on its own event loop in a background thread so that schemathesis and Hypothesis (synchronous)
drive it from the test thread. Generation is derandomized: the same examples every run.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from siyu.app import Node
from siyu.auth import ANY_ROOM, Role
from tests.conftest import make_settings
from tests.web.conftest import documented_http_codes

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 20  # per operation, generation mode and caller: ~2,000 requests, about half a minute


@dataclass
class ThreadNode:
    """A node with the demo room and a room on a shop without products, served from a background thread."""

    db_url: str
    node: Node | None = None
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    thread: threading.Thread | None = None
    stop: asyncio.Event | None = None
    started: threading.Event = field(default_factory=threading.Event)
    failure: BaseException | None = None

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self.stop = asyncio.Event()
        try:
            node = Node(make_settings(self.db_url))
            await node.start(demo_room="demo")
            await node.rooms.load_catalog("empty", {"shop": {"name": "新店"}})
            await node.rooms.create_room("r0", "empty", "空店")
            self.node = node
        except BaseException as exc:
            self.failure = exc
            self.started.set()
            raise
        self.started.set()
        try:
            await self.stop.wait()
        finally:
            await node.stop()

    def __enter__(self) -> Node:
        self.thread = threading.Thread(target=self.run, name="siyu-node", daemon=True)
        self.thread.start()
        assert self.started.wait(60), "node did not start"
        if self.failure is not None:
            raise self.failure
        assert self.node is not None
        return self.node

    def __exit__(self, *exc: object) -> None:
        if self.stop is not None:
            self.loop.call_soon_threadsafe(self.stop.set)
        if self.thread is not None:
            self.thread.join(30)
        self.loop.close()


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def check_promises(case: schemathesis.Case, response: Any, documented: dict[str, set[int]]) -> None:
    sent = f"{case.method} {case.formatted_path} {case.body!r:.200}"
    where = f"{sent} -> {response.status_code} {response.text:.300}"
    assert response.status_code < 500, where
    if response.status_code >= 400:
        content_type = (response.headers.get("content-type") or [""])[0]
        assert content_type.startswith("application/json"), where
        body = response.json()
        assert isinstance(body, dict) and set(body) == {"error"}, where
        code = body["error"].get("code")
        # a document that does not validate also lists its errors (docs/protocol.md section 8)
        extra = {"errors"} if code == "playbook.invalid" else set()
        assert set(body["error"]) == {"code", "message"} | extra, where
        assert code in documented, f"undocumented code {code}: {where}"
        assert response.status_code in documented[code], f"{code} with status {response.status_code}: {where}"
    case.validate_response(
        response, checks=[status_code_conformance, content_type_conformance, response_schema_conformance]
    )


def fuzz(
    strategy: Any,
    base: str,
    session: requests.Session,
    headers: dict[str, str],
    documented: dict[str, set[int]],
    negative: bool,
) -> int:
    """Run the examples of one strategy (one operation, mode and caller); returns how many were sent."""
    sent = 0

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        nonlocal sent
        sent += 1
        if headers:  # the caller's token, not the one schemathesis made up for the security scheme
            case.headers = {**(case.headers or {}), **headers}
        response = case.call(base_url=base, session=session, timeout=10)
        check_promises(case, response, documented)

    try:
        run()
    except Unsatisfiable:
        if not negative:
            raise  # a negative mode without anything to negate (no parameters, no body) is fine
    return sent


def test_every_operation_keeps_the_promises_of_section_8(tmp_path: Path, error_log: ErrorLog) -> None:
    documented = documented_http_codes()
    started = time.monotonic()
    with ThreadNode(f"sqlite+aiosqlite:///{tmp_path}/fuzz.db") as node:
        base = node.http_url
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
        operator = {
            "Authorization": "Bearer " + node.signer.issue(room=ANY_ROOM, user="op", role=Role.OPERATOR)
        }
        viewer = {"Authorization": "Bearer " + node.signer.issue(room="demo", user="v", role=Role.VIEWER)}
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 15, [op.label for op in operations]
        calls = 0
        with requests.Session() as session:
            for operation in operations:
                has_room = "{room_id}" in operation.path
                callers: list[tuple[str, dict[str, str], dict[str, Any] | None]] = [
                    ("anyone", {}, None),  # schemathesis's own (made-up) bearer token, or none
                    ("operator", operator, None),
                    ("viewer", viewer, {"room_id": "demo"} if has_room else None),
                ]
                if has_room:  # real rooms: the demo room and the room of a shop without products
                    callers += [
                        ("operator", operator, {"room_id": "demo"}),
                        ("operator", operator, {"room_id": "r0"}),
                    ]
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    for _who, headers, path_parameters in callers:
                        strategy = operation.as_strategy(
                            generation_mode=mode, path_parameters=path_parameters
                        )
                        calls += fuzz(
                            strategy, base, session, headers, documented, mode is GenerationMode.NEGATIVE
                        )
        with httpx.Client(base_url=base) as http:  # the node still serves, rooms included
            assert http.get("/healthz").status_code == 200
            assert http.get("/readyz").status_code == 200
            assert http.get("/api/rooms/demo").status_code == 200
            assert http.get("/api/rooms/r0").status_code == 200
    elapsed = time.monotonic() - started
    assert calls > 500, calls
    assert [r.getMessage() for r in error_log.records] == []
    assert elapsed < 90, f"{elapsed:.0f} s for {calls} requests"
