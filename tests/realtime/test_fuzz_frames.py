"""Fuzzing the client-frame router a node builds (no sockets): any bytes, any JSON, valid and invalid frames.

The contract (docs/protocol.md sections 2, 3 and 6): `Router.parse` either returns the registered model of
the frame's `type`, or raises ProtocolError with `bad_json` (not strict JSON: NaN, lone surrogates, invalid
UTF-8 …), `bad_message` (not an object; no `type`; a field missing, of the wrong type or out of range; an
unknown field) or `unknown_type`, carrying the frame's `cid` when it is a 1-64 character string. `null` in an
optional field is the field left out. Nothing else ever escapes it.

The oracle is each model's own JSON schema (`model_json_schema()`), read strictly (`matches` below): a frame
that matches it must parse, and round-trip; one that does not must be `bad_message`. The generators read
the schemas too, so a new client message gets fuzzed without touching this file; a schema keyword they do
not understand fails the test instead of being skipped silently.

Hypothesis runs derandomized (same examples on every run, no example database) with bounded budgets.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siyu.app import FEATURES
from siyu.config import Limits
from siyu.realtime.protocol import ERROR_TEXT, ClientMessage, ErrorCode, ProtocolError
from siyu.realtime.router import Router
from siyu.rooms.feature import FeatureSet

ROUTER = FeatureSet(FEATURES).fill(Router(), Limits())
MODELS: dict[str, type[ClientMessage]] = {kind: ROUTER.route(kind).model for kind in ROUTER.types}


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with each `$ref` to its `$defs` replaced by the definition (a frame's nested parts, e.g.
    a lucky bag's `prize`), so the oracle and the generators read one self-contained tree."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target = defs[node["$ref"].removeprefix("#/$defs/")]
                return walk({**target, **{k: v for k, v in node.items() if k != "$ref"}})
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    tree: dict[str, Any] = walk(schema)
    return tree


SCHEMAS: dict[str, dict[str, Any]] = {
    kind: inline_refs(model.model_json_schema()) for kind, model in MODELS.items()
}
ALL_FIELDS = sorted({name for schema in SCHEMAS.values() for name in schema["properties"]})
PARSE_CODES = {ErrorCode.BAD_JSON, ErrorCode.BAD_MESSAGE, ErrorCode.UNKNOWN_TYPE}

# what orjson (the gateway's decoder) turns into a Python int; anything beyond arrives as a float
INT_MIN, INT_MAX = -(2**63), 2**64 - 1


def fuzz(max_examples: int) -> Any:
    """Deterministic (derandomized, no example database: the same examples on every run and machine)."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


# --- the oracle: a strict reading of the models' JSON schemas ------------------------------------------

_KNOWN_KEYWORDS = {
    "type", "const", "enum", "anyOf", "minLength", "maxLength", "minimum", "maximum", "default", "title",
    "description", "properties", "required", "additionalProperties", "pattern",
    "items", "minItems", "maxItems",  # a list of strings (the options of a poll) or objects (order lines)
    "exclusiveMinimum",  # a price > 0
}  # fmt: skip


def _check_keywords(schema: dict[str, Any]) -> None:
    unknown = set(schema) - _KNOWN_KEYWORDS
    free = schema.get("type") == "object" and "properties" not in schema  # free-form (dict[str, Any])
    if unknown or (schema.get("additionalProperties", False) is not False and not free):
        raise NotImplementedError(f"this fuzzer does not understand schema keywords {unknown}: {schema}")


def matches(schema: dict[str, Any], value: Any) -> bool:
    """Does `value` (as orjson decoded it) satisfy `schema`, read as pydantic's strict mode reads it?

    Strict: an integer is a JSON integer (not 2.0, not true); a number is an integer or a float, not a bool.
    """
    _check_keywords(schema)
    if "anyOf" in schema:
        return any(matches(branch, value) for branch in schema["anyOf"])
    if "const" in schema and not (type(value) is type(schema["const"]) and value == schema["const"]):
        return False
    if "enum" in schema and not any(type(value) is type(e) and value == e for e in schema["enum"]):
        return False
    kind = schema.get("type")
    if kind == "boolean":
        return type(value) is bool
    if kind == "object" and "properties" not in schema:  # free-form: any JSON object
        return isinstance(value, dict)
    if kind == "object":
        props: dict[str, Any] = schema["properties"]
        return (
            isinstance(value, dict)
            and all(name in value for name in schema.get("required", ()))
            and all(name in props and matches(props[name], v) for name, v in value.items())
        )
    if kind == "string":
        return (
            isinstance(value, str)
            and schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", math.inf)
            and ("pattern" not in schema or re.search(schema["pattern"], value) is not None)
        )
    if kind == "integer":
        return type(value) is int and schema.get("minimum", -math.inf) <= value <= schema.get(
            "maximum", math.inf
        )
    if kind == "number":
        return (
            type(value) in (int, float)
            and schema.get("minimum", -math.inf) <= value <= schema.get("maximum", math.inf)
            and value > schema.get("exclusiveMinimum", -math.inf)
        )
    if kind == "null":
        return value is None
    if kind == "boolean":  # (issue 14: pk_answer.accept)
        return type(value) is bool
    if kind == "array":
        return (
            isinstance(value, list)
            and schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", math.inf)
            and all(matches(schema["items"], v) for v in value)
        )
    raise NotImplementedError(f"this fuzzer does not understand schema {schema}")


def _is_number(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "number" or any(_is_number(b) for b in schema.get("anyOf", ()))


def without_nulls(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """docs/protocol.md section 2: "For optional fields, `null` is the same as leaving the field out"."""
    required = SCHEMAS[kind].get("required", ())
    return {name: v for name, v in raw.items() if v is not None or name in required or name not in
            SCHEMAS[kind]["properties"]}  # fmt: skip


def expected_dump(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """What `model_dump()` of a frame that parsed must be: its fields over the model's defaults (a number
    field holds a float: an integer sent there comes back as the nearest double; null in an optional field
    is its default)."""
    out = {name: f.default for name, f in MODELS[kind].model_fields.items() if not f.is_required()}
    props = SCHEMAS[kind]["properties"]
    for name, value in without_nulls(kind, raw).items():
        out[name] = float(value) if type(value) is int and _is_number(props[name]) else value
    return out


def parse(data: bytes | str) -> ClientMessage | ProtocolError:
    """`router.parse`, asserting the shape of both outcomes; any other exception propagates (a bug)."""
    try:
        msg = ROUTER.parse(data)
    except ProtocolError as exc:
        assert exc.code in PARSE_CODES, (exc.code, exc.message)
        assert exc.code in ERROR_TEXT
        assert isinstance(exc.message, str) and exc.message
        assert exc.cid is None or isinstance(exc.cid, str)
        return exc
    kind = getattr(msg, "type", None)
    assert isinstance(kind, str) and type(msg) is MODELS.get(kind), msg
    return msg


def string_cid(raw: Any) -> str | None:
    cid = raw.get("cid") if isinstance(raw, dict) else None
    return cid if isinstance(cid, str) else None


def carries_cid(got: str | None, raw: Any) -> bool:
    """The refusal carries the frame's cid when it is one the server can ack (1-64 characters, no control
    characters), so the client gets it as its `ack`; any other cid is never carried (an error frame)."""
    cid = string_cid(raw)
    if cid is not None and 0 < len(cid) <= 64 and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in cid):
        return got == cid
    return got is None


def holds_nul(value: Any) -> bool:
    """A NUL anywhere (key or string): docs/protocol.md section 2 makes the whole frame `bad_message`."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False


def check(data: bytes | str) -> ClientMessage | ProtocolError:
    """Parse `data` and check the outcome against the schemas: exactly one outcome is right for any input."""
    result = parse(data)
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError:
        assert isinstance(result, ProtocolError) and result.code == ErrorCode.BAD_JSON, result
        assert result.cid is None
        return result
    if not isinstance(raw, dict):
        assert isinstance(result, ProtocolError) and result.code == ErrorCode.BAD_MESSAGE, result
        assert result.cid is None
        return result
    if holds_nul(raw):
        assert isinstance(result, ProtocolError) and result.code == ErrorCode.BAD_MESSAGE, result
        assert carries_cid(result.cid, raw), (raw, result.cid)
        return result
    if "type" not in raw:  # "An object without `type` is `bad_message`"
        assert isinstance(result, ProtocolError) and result.code == ErrorCode.BAD_MESSAGE, result
        assert carries_cid(result.cid, raw), (raw, result.cid)
        return result
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in MODELS:
        assert isinstance(result, ProtocolError) and result.code == ErrorCode.UNKNOWN_TYPE, result
        assert carries_cid(result.cid, raw), (raw, result.cid)
        return result
    if matches(SCHEMAS[kind], without_nulls(kind, raw)):
        assert not isinstance(result, ProtocolError), (raw, result.code, result.message)
        assert result.model_dump() == expected_dump(kind, raw)
    else:
        assert isinstance(result, ProtocolError), (raw, result)
        assert result.code == ErrorCode.BAD_MESSAGE and carries_cid(result.cid, raw), (raw, result.code)
    return result


# --- generators --------------------------------------------------------------------------------------


def valid_value(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that satisfy one property schema (and that orjson encodes and decodes as they are)."""
    _check_keywords(schema)
    if "anyOf" in schema:
        return st.one_of([valid_value(branch) for branch in schema["anyOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        lo, hi = schema.get("minLength", 0), schema.get("maxLength")
        if "pattern" in schema:  # (the only pattern: a cid, no control characters)
            printable = st.characters(blacklist_categories=("Cc", "Cs"))
            return st.text(printable, min_size=lo, max_size=hi if hi is not None else 300)
        # a NUL makes any frame bad_message; a lone surrogate is not valid JSON text (orjson refuses it)
        no_nul = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
        return st.text(no_nul, min_size=lo, max_size=hi if hi is not None else 300)
    if kind == "integer":
        lo, hi = schema.get("minimum", INT_MIN), schema.get("maximum", INT_MAX)
        return st.integers(lo, hi)
    if kind == "number":
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if "exclusiveMinimum" in schema:
            above = schema["exclusiveMinimum"]
            return st.integers(math.floor(above) + 1, hi if hi is not None else INT_MAX) | st.floats(
                above, hi, exclude_min=True, allow_nan=False, allow_infinity=False
            )
        return st.integers(lo if lo is not None else INT_MIN, hi if hi is not None else INT_MAX) | st.floats(
            lo, hi, allow_nan=False, allow_infinity=False
        )
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "object" and "properties" not in schema:  # free-form (an ICE candidate): small, no NUL
        text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)
        return st.dictionaries(text, st.integers(0, 9) | text | st.booleans(), max_size=4)
    if kind == "array":
        return st.lists(
            valid_value(schema["items"]),
            min_size=schema.get("minItems", 0),
            max_size=schema.get("maxItems", 8),
        )
    if kind == "object":  # a nested part of a frame (its optional fields left out, never null)
        props, required = schema["properties"], set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {name: valid_value(props[name]) for name in props if name in required},
            optional={name: valid_value(props[name]) for name in props if name not in required},
        )
    raise NotImplementedError(f"this fuzzer does not understand schema {schema}")


def valid_frame(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    return valid_object(SCHEMAS[kind])


def valid_object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    _check_keywords(schema)
    props, required = schema["properties"], set(schema.get("required", ()))
    return st.fixed_dictionaries(
        {name: valid_value(props[name]) for name in props if name in required},
        optional={name: valid_value(props[name]) | st.none() for name in props if name not in required},
    )


_ANY_SMALL_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(INT_MIN, INT_MAX)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def invalid_value(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that break one property schema: a wrong JSON type, or the right type out of range."""
    candidates: list[st.SearchStrategy[Any]] = [
        st.none(),
        st.booleans(),
        st.integers(INT_MIN, INT_MAX),
        st.integers(min_value=INT_MAX + 1) | st.integers(max_value=INT_MIN - 1),  # arrive as floats
        st.floats(allow_nan=False, allow_infinity=False),
        st.floats(allow_nan=False, allow_infinity=False).map(lambda f: float(math.floor(f))),  # 2.0 for 2
        st.text(max_size=80),
        st.lists(_ANY_SMALL_JSON, max_size=3),
        st.dictionaries(st.text(max_size=6), _ANY_SMALL_JSON, max_size=3),
    ]
    for branch in schema.get("anyOf", [schema]):
        if "minLength" in branch and branch["minLength"] > 0:
            candidates.append(st.text(max_size=branch["minLength"] - 1))
        if "maxLength" in branch:
            candidates.append(st.text(min_size=branch["maxLength"] + 1, max_size=branch["maxLength"] + 40))
        if "minimum" in branch:
            candidates.append(st.integers(INT_MIN, branch["minimum"] - 1))
        if "maximum" in branch:
            candidates.append(st.integers(branch["maximum"] + 1, INT_MAX))
        if "exclusiveMinimum" in branch:
            candidates.append(st.sampled_from([branch["exclusiveMinimum"], -0.5, -1]))
        if "items" in branch:  # a list too short, too long, or with one bad item
            item = valid_value(branch["items"])
            if branch.get("minItems", 0) > 0:
                candidates.append(st.lists(item, max_size=branch["minItems"] - 1))
            if "maxItems" in branch:
                candidates.append(
                    st.lists(item, min_size=branch["maxItems"] + 1, max_size=branch["maxItems"] + 3)
                )
            candidates.append(st.lists(invalid_value(branch["items"]), min_size=1, max_size=3))
        if branch.get("type") == "object":  # a nested part with one field wrong, missing, or unknown
            candidates.append(st.builds(_break_part, valid_value(branch), st.just(branch), st.data()))
        if "const" in branch or "enum" in branch:
            known = [branch["const"]] if "const" in branch else branch["enum"]
            near = [v.upper() for v in known] + [v + " " for v in known] + [" " + v for v in known]
            candidates.append(st.sampled_from(near) | st.text(max_size=12))
    return st.one_of(candidates).filter(lambda v: not matches(schema, v))


def _break_part(part: dict[str, Any], schema: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    props = schema["properties"]
    how = data.draw(st.sampled_from(["replace", "drop", "extra"]), label="part how")
    broken = dict(part)
    if how == "drop" and schema.get("required"):
        del broken[data.draw(st.sampled_from(schema["required"]), label="part dropped")]
    elif how == "extra":
        broken[data.draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in props))] = 1
    else:
        name = data.draw(st.sampled_from(sorted(props)), label="part field")
        broken[name] = data.draw(invalid_value(props[name]), label="part bad value")
    return broken


_SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc00b", "\udc00\ud800", "x\ud83d"])
_TEXTS = (
    st.text(max_size=30)
    | st.text(st.characters(codec="utf-8"), max_size=10)
    | _SURROGATES
    | st.builds(lambda ch, n: ch * n, st.characters(), st.integers(200, 20_000))  # very long strings
    | st.sampled_from(["", " ", "\x00", "\u2028", "\ufeff", "null", "NaN", "评论", "c" * 64, "c" * 65])
)
_NUMBERS = (
    st.integers()  # unbounded: huge integers too
    | st.sampled_from([2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**70, -(2**63) - 1, -(2**70), 10**400])
    | st.floats()  # NaN and ±Infinity included: json.dumps writes them as the NaN / Infinity literals
)
_LEAVES = st.none() | st.booleans() | _NUMBERS | _TEXTS
_JSON = st.recursive(
    _LEAVES,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_TEXTS, children, max_size=5),
    max_leaves=20,
)
_TYPE_VALUES = (
    st.sampled_from(
        [*MODELS, "", "dance", "COMMENT", "comment ", " ping", "batch", "ack", "error", "welcome"]
    )
    | _LEAVES
)
# values for one field of one model: often valid, often odd (null, another type, NaN, huge, surrogates...)
_FIELD_VALUES = {
    (kind, name): valid_value(prop) | valid_value(prop) | _LEAVES | _JSON
    for kind, schema in SCHEMAS.items()
    for name, prop in schema["properties"].items()
    if name != "type"
}
_KIND_FIELDS = {
    kind: st.fixed_dictionaries(
        {}, optional={n: _FIELD_VALUES[kind, n] for n in s["properties"] if n != "type"}
    )
    for kind, s in SCHEMAS.items()
}
_OTHER_FIELDS = st.dictionaries(st.sampled_from(ALL_FIELDS) | _TEXTS, _LEAVES, max_size=2)


@st.composite
def frame_like(draw: st.DrawFn) -> dict[str, Any]:
    """An object shaped like a frame of some type: any subset of its fields with any values, and a `type`
    that is right, wrong, odd or missing, sometimes with fields of other types or unknown keys."""
    kind = draw(st.sampled_from(sorted(MODELS)))
    frame: dict[str, Any] = draw(_KIND_FIELDS[kind])
    if draw(st.integers(0, 4)) == 0:
        frame = {**draw(_OTHER_FIELDS), **frame}
    which = draw(st.sampled_from(["right", "right", "right", "odd", "missing"]))
    if which == "right":
        frame["type"] = kind
    elif which == "odd":
        frame["type"] = draw(_TYPE_VALUES)
    return frame


@st.composite
def as_wire(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> bytes | str:
    """Encode with the standard library, which is lax where orjson is strict: NaN / Infinity literals, lone
    surrogates (as \\ud800 escapes, or raw in the str / as invalid UTF-8 in the bytes), huge integers."""
    text = json.dumps(draw(values), ensure_ascii=draw(st.booleans()), allow_nan=True)
    return text if draw(st.booleans()) else text.encode("utf-8", "surrogatepass")


@st.composite
def mangled(draw: st.DrawFn, frames: st.SearchStrategy[dict[str, Any]]) -> bytes:
    """A valid frame's bytes, damaged: cut short, a byte changed, a byte inserted or removed, padded."""
    data = bytearray(orjson.dumps(draw(frames)))
    at = draw(st.integers(0, len(data)))
    how = draw(st.sampled_from(["cut", "set", "insert", "delete", "pad"]))
    byte = draw(st.integers(0, 255))
    if how == "cut":
        del data[at:]
    elif how == "set" and at < len(data):
        data[at] = byte
    elif how == "insert":
        data.insert(at, byte)
    elif how == "delete" and at < len(data):
        del data[at]
    elif how == "pad":
        data = bytearray(draw(st.sampled_from([b" ", b"\n", b"\xef\xbb\xbf", b"\x00", b"{}"]))) + data
    return bytes(data)


ANY_VALID_FRAME = st.one_of([valid_frame(kind) for kind in sorted(MODELS)])


# built once: hypothesis validates a strategy the first time it draws from it
VALID_FRAMES = {kind: valid_frame(kind) for kind in MODELS}


def _invalid_value(kind: str, name: str) -> st.SearchStrategy[Any]:
    schema = SCHEMAS[kind]
    values = invalid_value(schema["properties"][name])
    if name == "type":  # another client type would be a different message, not a wrong one
        return values.filter(lambda v: not (isinstance(v, str) and v in MODELS))
    if name not in schema.get("required", ()):  # null in an optional field is the field left out
        return values.filter(lambda v: v is not None)
    return values


INVALID_VALUES = {
    (kind, name): _invalid_value(kind, name) for kind in MODELS for name in SCHEMAS[kind]["properties"]
}
EXTRA_KEYS = {
    kind: st.text(min_size=1, max_size=12).filter(lambda k, props=schema["properties"]: k not in props)
    for kind, schema in SCHEMAS.items()
}


@st.composite
def invalid_variant(draw: st.DrawFn, kind: str) -> tuple[dict[str, Any], str]:
    """A valid frame with one thing wrong: a field replaced by a wrong type or an out-of-range value, a
    required field missing, or one unknown field. Returns the frame and the code it must get."""
    schema = SCHEMAS[kind]
    props, required = schema["properties"], [n for n in schema.get("required", ()) if n != "type"]
    frame = dict(draw(VALID_FRAMES[kind], label="valid"))
    how = draw(st.sampled_from(["replace", "replace", "replace", "drop", "extra"]), label="how")
    if how == "drop" and required:
        del frame[draw(st.sampled_from(required), label="dropped")]
        return frame, ErrorCode.BAD_MESSAGE
    if how == "extra":
        frame[draw(EXTRA_KEYS[kind], label="extra")] = draw(_ANY_SMALL_JSON, label="extra value")
        return frame, ErrorCode.BAD_MESSAGE
    name = draw(st.sampled_from(sorted(props)), label="field")
    frame[name] = draw(INVALID_VALUES[kind, name], label="bad value")
    return frame, ErrorCode.UNKNOWN_TYPE if name == "type" else ErrorCode.BAD_MESSAGE


INVALID_VARIANTS = {kind: invalid_variant(kind) for kind in MODELS}


# --- tests -------------------------------------------------------------------------------------------


def test_registered_types_are_the_documented_ones() -> None:
    """The router a node builds accepts exactly the client messages of docs/protocol.md section 3."""
    doc = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = doc.split("## 3.", 1)[1].split("## 4.", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE))
    assert set(MODELS) == documented


@fuzz(300)
@given(st.binary(max_size=300) | mangled(ANY_VALID_FRAME))
def test_arbitrary_bytes(data: bytes) -> None:
    check(data)


@fuzz(250)
@given(as_wire(_JSON))
def test_arbitrary_json(data: bytes | str) -> None:
    check(data)


@fuzz(300)
@given(as_wire(frame_like()))
def test_frame_shaped_json(data: bytes | str) -> None:
    """Objects made of the protocol's own field names, with any values: null in every optional field, wrong
    types in every field, NaN, huge numbers, lone surrogates, long strings, missing or unknown `type`."""
    check(data)


@pytest.mark.parametrize("kind", sorted(MODELS))
@fuzz(80)
@given(data=st.data())
def test_valid_frames_parse_and_round_trip(kind: str, data: st.DataObject) -> None:
    frame = data.draw(VALID_FRAMES[kind], label="frame")
    assert matches(SCHEMAS[kind], without_nulls(kind, frame))
    for wire in (orjson.dumps(frame), json.dumps(frame, ensure_ascii=True)):
        msg = parse(wire)
        assert not isinstance(msg, ProtocolError), (frame, msg.code, msg.message)
        assert type(msg) is MODELS[kind]
        assert msg.model_dump() == expected_dump(kind, frame)
        # the model's own JSON is a valid frame of the same message
        again = parse(msg.model_dump_json())
        assert again == msg


@pytest.mark.parametrize("kind", sorted(MODELS))
@fuzz(100)
@given(data=st.data())
def test_invalid_variants_are_bad_message_with_their_cid(kind: str, data: st.DataObject) -> None:
    frame, code = data.draw(INVALID_VARIANTS[kind], label="variant")
    if holds_nul(frame):
        code = ErrorCode.BAD_MESSAGE  # a NUL anywhere makes the frame bad_message, whatever else is wrong
    wire = json.dumps(frame, ensure_ascii=data.draw(st.booleans(), label="ascii"))
    result = check(wire)
    assert isinstance(result, ProtocolError), frame
    assert result.code == code, (frame, result.code, result.message)
    assert carries_cid(result.cid, frame), (frame, result.cid)


def _example(schema: dict[str, Any]) -> Any:
    """One simple valid value of a property schema."""
    if "anyOf" in schema:
        return _example(next((b for b in schema["anyOf"] if b.get("type") != "null"), schema["anyOf"][0]))
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "string":
        return "x" * max(1, min(schema.get("minLength", 1), schema.get("maxLength", 1)))
    if kind in ("integer", "number"):
        return schema.get("minimum", math.floor(schema.get("exclusiveMinimum", 0)) + 1)
    if kind == "boolean":
        return True
    if kind == "array" and schema.get("minItems", 0) > 0:
        return [_example(schema["items"])] * schema["minItems"]
    if kind == "object" and "properties" not in schema:
        return {}
    if kind == "object":
        return {name: _example(schema["properties"][name]) for name in schema.get("required", ())}
    return None


def minimal_frame(kind: str, *, full: bool = False) -> dict[str, Any]:
    schema = SCHEMAS[kind]
    names = schema["properties"] if full else schema.get("required", ())
    frame = {name: _example(schema["properties"][name]) for name in names}
    if "cid" in frame:
        frame["cid"] = f"cid-{kind}"
    return frame


ODD_VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, 2.0, 1e300, 2**63, 2**64, 2**70, -(2**70), "", "x", "c" * 65, "评论",
    [], [1], {}, {"a": 1},
]  # fmt: skip
FIELD_CASES = [
    (kind, name, value)
    for kind in sorted(MODELS)
    for name in SCHEMAS[kind]["properties"]
    if name != "type"
    for value in ODD_VALUES
]


@pytest.mark.parametrize(("kind", "name", "value"), FIELD_CASES, ids=lambda v: repr(v)[:16])
def test_every_field_with_odd_values(kind: str, name: str, value: Any) -> None:
    """Every field of every model, in turn: null, booleans, floats for ints, huge ints, long / empty strings,
    lists, objects. The schema says whether the frame must parse or be bad_message (with its cid)."""
    frame = {**minimal_frame(kind, full=True), name: value}
    check(json.dumps(frame))


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_missing_and_wrong_type_field(kind: str) -> None:
    """No `type`: bad_message; a `type` that is not a client message type: unknown_type; a required field
    missing: bad_message. The cid comes back each time."""
    frame = minimal_frame(kind, full=True)
    assert not isinstance(check(json.dumps(frame)), ProtocolError)
    cid = string_cid(frame)
    result = check(json.dumps({k: v for k, v in frame.items() if k != "type"}))
    assert isinstance(result, ProtocolError) and result.code == ErrorCode.BAD_MESSAGE
    assert result.cid == cid
    for mutated in (
        {**frame, "type": kind.upper()},
        {**frame, "type": None},
        {**frame, "type": [kind]},
        {**frame, "type": {"type": kind}},
    ):
        result = check(json.dumps(mutated))
        assert isinstance(result, ProtocolError) and result.code == ErrorCode.UNKNOWN_TYPE
        assert result.cid == cid
    for name in SCHEMAS[kind].get("required", ()):
        if name != "type":
            result = check(json.dumps({k: v for k, v in frame.items() if k != name}))
            assert isinstance(result, ProtocolError) and result.code == ErrorCode.BAD_MESSAGE
            assert result.cid == (cid if name != "cid" else None)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "null",
        "true",
        "1",
        '"comment"',
        "[]",
        "{}",
        '{"type": NaN}',
        '{"type": "ping", "t": NaN}',
        '{"type": "ping", "t": Infinity}',
        '{"type": "ping", "t": -Infinity}',
        '{"type": "ping", "t": 1e400}',
        '{"type": "like", "count": 1e400, "cid": "c"}',
        '{"type": "like", "count": 100000000000000000000000}',
        '{"type": "comment", "cid": "\\ud800", "text": "x"}',
        '{"type": "comment", "cid": "c", "text": "\\udfff"}',
        '{"type": "comment", "cid": "c", "text": "x"} {}',
        '{"type": "comment", "cid": "c", "text": "x"',
        '{"type": "comment", "cid": "c", "cid": 5, "text": "x"}',
        "[" * 5000 + "]" * 5000,
        '{"type": "ping", "t": ' + "[" * 2000 + "]" * 2000 + "}",
        '{"a": ' * 3000 + "1" + "}" * 3000,
        '{"type": "comment", "cid": "c", "text": "' + "长" * 30_000 + '"}',
        '{"type": "' + "t" * 10_000 + '", "cid": "c"}',
    ],
    ids=lambda raw: repr(raw)[:40],
)
def test_hand_picked_nasty_frames(raw: str) -> None:
    for data in (raw, raw.encode("utf-8", "surrogatepass")):
        check(data)


@pytest.mark.parametrize(
    ("text", "refused"),
    [("\x00", True), ("a\\\x00", True), ("\\u0000", False), ("\\\\u0000", False), ("u0000", False)],
)
def test_only_a_real_nul_refuses_a_frame_not_a_backslash_before_u0000(text: str, refused: bool) -> None:
    """Found by hypothesis: the text `\\u0000` (a backslash, then "u0000") is JSON `\\\\u0000`, no NUL."""
    frame = {"type": "luckybag_join", "bag_id": "b1", "cid": "c1", "x": text}
    for wire in (orjson.dumps(frame), json.dumps(frame, ensure_ascii=True), json.dumps(frame)):
        msg = parse(wire)
        got = isinstance(msg, ProtocolError) and "NUL" in msg.message
        assert got is refused, (text, wire, msg)
