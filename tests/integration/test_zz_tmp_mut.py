import pytest
from tests.integration.test_fuzz_live import *  # noqa
from tests.integration import test_fuzz_live as T

@pytest.fixture(params=["cid_of", "answer_known"])
def mutant(request, monkeypatch):
    if request.param == "cid_of":
        monkeypatch.setattr("siyu.realtime.connection.cid_of", lambda data: None)
    else:
        from siyu.rooms.room import Room
        monkeypatch.setattr(Room, "answer_known", lambda self, m, cid: False)
    return request.param

async def test_mut(mutant, sqlite_node, connect, caplog):
    await T.test_fuzzed_frames_keep_every_promise(sqlite_node, connect, caplog)
