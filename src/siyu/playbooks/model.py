"""A playbook file: pydantic models (discriminated unions on `type`) and the loader that names what is wrong.

A file holds one room's or one shop's playbooks:

    version: 1
    scenario: ecommerce            # optional: which shipped template it came from
    planned_minutes: 120           # the live session's planned length (schedule `before_end_s`, wait bound)
    quiet_hours: {start: "23:00", end: "08:00"}   # no personal contact then (Asia/Shanghai)
    welcome: "欢迎{{ nickname }}…"  # optional: the room's personal welcome template
    playbooks:
      - id: welcome_gift
        trigger: {type: dwell, seconds: 20}
        conditions: [{type: viewer, new: true}]
        actions: [{type: send_private, text: "…"}]

Triggers, conditions and actions are registered by their modules (`register_trigger`, ...); the unions are
built from the registries when `load_file` first runs, so a later issue adds a trigger by adding a module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

MAX_PLAYBOOKS = 200
MAX_SOURCE = 256 * 1024
MAX_NODES = 50_000
MAX_ACTIONS = 40
Id = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
Clock = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class Strict(BaseModel):
    """Every playbook model: unknown keys are errors (a typo must not silently do nothing)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class QuietHours(Strict):
    start: Clock
    end: Clock


class Variant(Strict):
    name: Id
    weight: float = Field(1.0, gt=0, le=1000)
    actions: list[Any] | None = None  # validated as actions by the Playbook validator


class Experiment(Strict):
    """Weighted variants and a holdout, assigned by sha256(viewer, experiment id): stable everywhere."""

    id: Id
    holdout: float = Field(0.0, ge=0, lt=1)
    variants: list[Variant] = Field(default_factory=list, max_length=10)


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}


def printable(text: str) -> str:
    """`text` with lone surrogates and control characters (but newline and tab) escaped."""
    text = text.translate(_CONTROL)
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def bad_text(text: str) -> bool:
    """A lone surrogate or a control character other than newline, tab and carriage return."""
    return any(("\ud800" <= ch <= "\udfff") or (ch < " " and ch not in "\n\t\r") or ch == "\x7f"
               for ch in text)  # fmt: skip


class PlaybookIssue(ValueError):
    """A playbook file does not validate: `errors` name the path inside the document and what was expected."""

    code = "playbook.invalid"

    def __init__(self, source: str, errors: list[dict[str, str]]) -> None:
        self.source = source
        # what the document said may come back in a path or a message: never a lone surrogate or a control
        # character in the answer (it could not be encoded as JSON, or would reach a terminal raw)
        self.errors = [{k: printable(v) for k, v in e.items()} for e in errors]
        errors = self.errors
        lines = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:5])
        super().__init__(f"{source}: {lines}")


@dataclass(frozen=True, slots=True)
class Registered:
    """One trigger, condition or action type: its model and what it is (`subject`: viewer/room/any)."""

    name: str
    model: type[BaseModel]
    subject: str = "any"


TRIGGERS: dict[str, Registered] = {}
CONDITIONS: dict[str, Registered] = {}
ACTIONS: dict[str, Registered] = {}


def _register(table: dict[str, Registered], subject: str) -> Any:
    def add(model: type[BaseModel]) -> type[BaseModel]:
        name = model.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
        if name in table:
            raise ValueError(f"{name!r} is registered twice")
        table[name] = Registered(name, model, subject)
        _union_cache.clear()
        _list_cache.clear()
        return model

    return add


def register_trigger(subject: str) -> Any:
    """A trigger model; `subject` is "viewer" (it fires about one viewer) or "room"."""
    return _register(TRIGGERS, subject)


def register_condition(model: type[BaseModel]) -> type[BaseModel]:
    return _register(CONDITIONS, "any")(model)  # type: ignore[no-any-return]


def register_action(subject: str) -> Any:
    """An action model; `subject` "viewer" needs a viewer (a personal message), "any" works for both."""
    return _register(ACTIONS, subject)


_union_cache: dict[str, TypeAdapter[Any]] = {}


def adapter(kind: str) -> TypeAdapter[Any]:
    """The discriminated union of every registered model of one kind (trigger / condition / action)."""
    got = _union_cache.get(kind)
    if got is None:
        got = _union_cache[kind] = TypeAdapter(_union_of(kind))
    return got


def validate_list(kind: str, items: list[Any]) -> list[Any]:
    """Validate a list of triggers / conditions / actions as one list, so an error keeps the item's index."""
    got = _list_cache.get(kind)
    if got is None:
        union = _union_of(kind)
        got = _list_cache[kind] = TypeAdapter(list[union])  # type: ignore[valid-type]
    return list(got.validate_python(items))


_list_cache: dict[str, TypeAdapter[Any]] = {}


def _union_of(kind: str) -> Any:
    table = {"trigger": TRIGGERS, "condition": CONDITIONS, "action": ACTIONS}[kind]
    models = tuple(r.model for r in table.values())
    return models[0] if len(models) == 1 else Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007


class Playbook(Strict):
    id: Id
    name: str = Field("", max_length=60)
    description: str = Field("", max_length=500)
    stage: Literal["entry", "immersion", "conversion", "any"] = "any"
    enabled: bool = True
    mode: Literal["single", "restart", "queued", "parallel"] = "single"
    max: int = Field(10, ge=1, le=10_000)
    max_runs_per_viewer: int | None = Field(None, ge=1, le=1000)
    cooldown_s: float = Field(0, ge=0, le=86_400)
    trigger: list[Any] = Field(min_length=1, max_length=10)
    conditions: list[Any] = Field(default_factory=list, max_length=20)
    actions: list[Any] = Field(min_length=1, max_length=MAX_ACTIONS)
    experiment: Experiment | None = None

    @field_validator("trigger", mode="before")
    @classmethod
    def _triggers(cls, v: Any) -> Any:
        """One trigger (a mapping: its errors are at `trigger`) or a list of them (at `trigger[i]`)."""
        if isinstance(v, dict):
            return [adapter("trigger").validate_python(v)]
        if isinstance(v, list) and 1 <= len(v) <= 10:
            return validate_list("trigger", v)
        return v  # the field's own check says what is wrong (not a list, empty, too many)

    @field_validator("conditions")
    @classmethod
    def _conditions(cls, v: list[Any]) -> list[Any]:
        return validate_list("condition", v)

    @field_validator("actions")
    @classmethod
    def _actions(cls, v: list[Any]) -> list[Any]:
        return validate_list("action", v)

    @property
    def subject(self) -> str:
        """ "viewer" when every trigger fires about a viewer, "room" when none does, else "mixed"."""
        kinds = {TRIGGERS[t.type].subject for t in self.trigger}
        return kinds.pop() if len(kinds) == 1 else "mixed"


class PlaybookFile(Strict):
    version: Literal[1] = 1
    scenario: str | None = Field(None, max_length=40)
    title: str = Field("", max_length=60)
    planned_minutes: int = Field(240, ge=5, le=24 * 60)
    quiet_hours: QuietHours | None = None
    welcome: str | None = Field(None, max_length=2000)
    playbooks: list[Playbook] = Field(default_factory=list, max_length=MAX_PLAYBOOKS)


_LOC_INT = re.compile(r"^\d+$")


def _path(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as a document path: `playbooks[2].actions[0].text`."""
    out = ""
    for part in loc:
        text = str(part)
        if isinstance(part, int) or _LOC_INT.match(text):
            out += f"[{text}]"
        elif text.startswith("function-") or text in ("list", "dict"):
            continue
        elif out.endswith("]") and (text in TRIGGERS or text in CONDITIONS or text in ACTIONS):
            continue  # the discriminated union's tag: the item's index says which one
        else:
            out += ("." if out else "") + text
    return out or "(document)"


def errors_of(exc: ValidationError) -> list[dict[str, str]]:
    return [{"path": _path(e["loc"]), "message": e["msg"], "type": e["type"]} for e in exc.errors()]


def parse_file(text: str, source: str = "<playbook>") -> PlaybookFile:
    """Parse and validate a playbook document (YAML or JSON), then the checks across fields (semantics.py).
    Raises PlaybookIssue naming `source`, each path and what was expected."""
    from siyu.playbooks import registry  # noqa: F401 - the trigger/condition/action modules register

    if len(text) > MAX_SOURCE or len(text.encode("utf-8", "surrogatepass")) > MAX_SOURCE:
        raise PlaybookIssue(source, [{"path": "(document)", "message": f"longer than {MAX_SOURCE} bytes",
                                      "type": "playbook.too_large"}])  # fmt: skip
    try:
        return _parse(text, source)
    except RecursionError as exc:
        issue = {"path": "(document)", "message": "nested too deeply", "type": "playbook.too_deep"}
        raise PlaybookIssue(source, [issue]) from exc


def _parse(text: str, source: str) -> PlaybookFile:
    from siyu.playbooks.semantics import check

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(document)"
        raise PlaybookIssue(source, [{"path": at, "message": f"not YAML: {exc}", "type": "yaml"}]) from exc
    if not isinstance(data, dict):
        raise PlaybookIssue(source, [{"path": "(document)", "message": "expected a mapping", "type": "type"}])
    budget = [MAX_NODES]
    bad_text: list[str] = []
    where = _cycle(data, [], "", budget, bad_text)
    if budget[0] < 0:
        message = f"more than {MAX_NODES} values once YAML aliases are expanded"
        raise PlaybookIssue(source, [{"path": "(document)", "message": message, "type": "playbook.too_large"}])  # noqa: E501
    if bad_text:
        message = "text with a lone surrogate or a control character"
        issues = [{"path": p, "message": message, "type": "playbook.bad_text"} for p in bad_text[:10]]
        raise PlaybookIssue(source, issues)
    if where is not None:
        message = "a YAML alias refers to its own parent (a cycle, e.g. through choose)"
        issue = {"path": where or "(document)", "message": message, "type": "playbook.cycle"}
        raise PlaybookIssue(source, [issue])
    try:
        doc = PlaybookFile.model_validate(data)
    except ValidationError as exc:
        raise PlaybookIssue(source, errors_of(exc)) from exc
    problems = check(doc)
    if problems:
        raise PlaybookIssue(source, problems)
    return doc


def _cycle(node: Any, parents: list[int], path: str, budget: list[int], bad: list[str]) -> str | None:
    """The path of the first node that contains one of its own parents (YAML aliases can build that); stops
    when the expanded document has more than `budget` values (aliases of aliases multiply)."""
    budget[0] -= 1
    if budget[0] < 0:
        return None
    if isinstance(node, str):
        if bad_text(node):
            bad.append(path or "(document)")
        return None
    if isinstance(node, dict | list):
        if id(node) in parents:
            return path
        parents.append(id(node))
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            sub = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
            if isinstance(key, str):
                _cycle(key, parents, sub, budget, bad)
            found = _cycle(child, parents, sub, budget, bad)
            if found is not None:
                return found
        parents.pop()
    return None


def load_file(path: str) -> PlaybookFile:
    with open(path, encoding="utf-8") as f:
        return parse_file(f.read(), path)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a playbook file (for editor completion), with every registered type."""
    from siyu.playbooks import registry  # noqa: F401

    schema = PlaybookFile.model_json_schema()
    defs = schema.setdefault("$defs", {})
    for kind, field in (("trigger", "trigger"), ("condition", "conditions"), ("action", "actions")):
        sub = adapter(kind).json_schema(ref_template="#/$defs/{model}")
        defs.update(sub.pop("$defs", {}))
        pb = defs["Playbook"]["properties"]
        if kind == "trigger":
            pb[field] = {"anyOf": [sub, {"type": "array", "items": sub}]}
        else:
            pb[field] = {"type": "array", "items": sub}
    defs["Variant"]["properties"]["actions"] = {
        "type": "array",
        "items": defs["Playbook"]["properties"]["actions"]["items"],
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "siyu playbook file"
    return schema
