"""Scoring of assistant answers against a QA file, exactly as ``shared/data/README.md`` ("Scoring") says.

Per item: (1) intent equals ``expect.intent``; (2) product_id equals ``expect.product_id`` (null must be
null); (3) every ``must_contain_any`` group has one string in the answer; (4) no ``must_not_contain`` string
is in the answer. Strings are compared after NFKC normalisation with all whitespace removed, as plain
case-sensitive substrings. Fact accuracy counts (3) and (4) together; an item passes when all four hold. A
question with no answer fails all four. Latency is measured around ``Assistant.ask``.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siyu.assistant.engine import Assistant

_SPACE = re.compile(r"\s+")


class QAFormatError(ValueError):
    """A QA / questions file line is not valid."""


def normalize_text(text: str) -> str:
    """NFKC (full-width -> half-width) and all whitespace removed."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


@dataclass(slots=True, frozen=True)
class Expectation:
    intent: str
    product_id: str | None
    must_contain_any: tuple[tuple[str, ...], ...] = ()
    must_not_contain: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class QAItem:
    id: str
    question: str
    current_product: str | None
    expect: Expectation | None = None


def _read_jsonl(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise QAFormatError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise QAFormatError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from exc
            if not isinstance(obj, dict):
                raise QAFormatError(f"{path}:{lineno}: expected a JSON object")
            yield lineno, obj


def _question(path: Path, lineno: int, obj: Mapping[str, Any]) -> tuple[str, str, str | None]:
    qid, question, current = obj.get("id"), obj.get("question"), obj.get("current_product")
    if not isinstance(qid, str | int) or not isinstance(question, str):
        raise QAFormatError(f"{path}:{lineno}: needs a string 'id' and 'question'")
    if current is not None and not isinstance(current, str):
        raise QAFormatError(f"{path}:{lineno}: 'current_product' must be a string or null")
    return str(qid), question, current


def load_questions(path: str | Path) -> list[QAItem]:
    """Read only ``id``, ``question`` and ``current_product`` of each line (expectations are ignored)."""
    path = Path(path)
    return [QAItem(*_question(path, lineno, obj)) for lineno, obj in _read_jsonl(path)]


def load_qa(path: str | Path) -> list[QAItem]:
    """Read a QA file with expectations (``qa_dev.jsonl`` format)."""
    path = Path(path)
    items = []
    for lineno, obj in _read_jsonl(path):
        qid, question, current = _question(path, lineno, obj)
        exp = obj.get("expect")
        if not isinstance(exp, Mapping) or not isinstance(exp.get("intent"), str):
            raise QAFormatError(f"{path}:{lineno}: needs 'expect' with an 'intent'")
        groups = exp.get("must_contain_any") or []
        banned = exp.get("must_not_contain") or []
        if not isinstance(groups, list) or not all(
            isinstance(g, list) and all(isinstance(s, str) for s in g) for g in groups
        ):
            raise QAFormatError(f"{path}:{lineno}: 'must_contain_any' must be a list of string lists")
        if not isinstance(banned, list) or not all(isinstance(s, str) for s in banned):
            raise QAFormatError(f"{path}:{lineno}: 'must_not_contain' must be a list of strings")
        expect = Expectation(
            intent=exp["intent"],
            product_id=exp.get("product_id"),
            must_contain_any=tuple(tuple(g) for g in groups),
            must_not_contain=tuple(banned),
        )
        items.append(QAItem(qid, question, current, expect))
    return items


@dataclass(slots=True, frozen=True)
class ItemScore:
    intent: bool
    product: bool
    fact: bool

    @property
    def passed(self) -> bool:
        return self.intent and self.product and self.fact


def check_facts(expect: Expectation, answer: str) -> bool:
    text = normalize_text(answer)
    for group in expect.must_contain_any:
        if not any(normalize_text(s) in text for s in group):
            return False
    return not any(normalize_text(s) in text for s in expect.must_not_contain)


def score_item(expect: Expectation, prediction: Mapping[str, Any] | None) -> ItemScore:
    if prediction is None or not isinstance(prediction.get("answer"), str):
        return ItemScore(False, False, False)
    return ItemScore(
        intent=prediction.get("intent") == expect.intent,
        product=prediction.get("product_id") == expect.product_id,
        fact=check_facts(expect, prediction["answer"]),
    )


@dataclass(slots=True)
class Tally:
    n: int = 0
    intent: int = 0
    product: int = 0
    fact: int = 0
    passed: int = 0

    def add(self, score: ItemScore) -> None:
        self.n += 1
        self.intent += score.intent
        self.product += score.product
        self.fact += score.fact
        self.passed += score.passed

    def rates(self) -> dict[str, float]:
        n = self.n or 1
        return {
            "n": self.n,
            "intent_acc": self.intent / n,
            "product_acc": self.product / n,
            "fact_acc": self.fact / n,
            "pass_rate": self.passed / n,
        }


@dataclass(slots=True)
class EvalReport:
    n: int
    intent_acc: float
    product_acc: float
    fact_acc: float
    pass_rate: float
    per_intent: dict[str, dict[str, float]]
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "intent_acc": self.intent_acc,
            "product_acc": self.product_acc,
            "fact_acc": self.fact_acc,
            "pass_rate": self.pass_rate,
            "per_intent": self.per_intent,
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p99_ms": self.latency_p99_ms,
            "failures": self.failures,
        }


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def score_predictions(
    items: Sequence[QAItem],
    predictions: Mapping[str, Mapping[str, Any]],
    *,
    latencies_ms: Sequence[float] = (),
) -> EvalReport:
    """Score answers (``{"id", "intent", "product_id", "answer"}`` by id) against the items' expectations."""
    total = Tally()
    per_intent: dict[str, Tally] = {}
    failures = []
    for item in items:
        if item.expect is None:
            raise QAFormatError(f"item {item.id} has no expectations")
        pred = predictions.get(item.id)
        score = score_item(item.expect, pred)
        total.add(score)
        per_intent.setdefault(item.expect.intent, Tally()).add(score)
        if not score.passed:
            failures.append(
                {
                    "id": item.id,
                    "question": item.question,
                    "expected": {"intent": item.expect.intent, "product_id": item.expect.product_id},
                    "got": dict(pred) if pred is not None else None,
                    "intent_ok": score.intent,
                    "product_ok": score.product,
                    "fact_ok": score.fact,
                }
            )
    rates = total.rates()
    return EvalReport(
        n=total.n,
        intent_acc=rates["intent_acc"],
        product_acc=rates["product_acc"],
        fact_acc=rates["fact_acc"],
        pass_rate=rates["pass_rate"],
        per_intent={intent: t.rates() for intent, t in sorted(per_intent.items())},
        latency_p50_ms=percentile(latencies_ms, 50) if latencies_ms else None,
        latency_p99_ms=percentile(latencies_ms, 99) if latencies_ms else None,
        failures=failures,
    )


def answer_all(
    assistant: Assistant, items: Sequence[QAItem], *, rounds: int = 1
) -> tuple[dict[str, dict[str, Any]], list[float]]:
    """Ask every question (`rounds` times, for latency); the first round's answers and all latencies."""
    predictions: dict[str, dict[str, Any]] = {}
    latencies: list[float] = []
    for r in range(max(1, rounds)):
        for item in items:
            start = time.perf_counter()
            answer = assistant.ask(item.question, item.current_product)
            latencies.append((time.perf_counter() - start) * 1000)
            if r == 0:
                predictions[item.id] = {"id": item.id, **answer.to_dict()}
    return predictions, latencies


def evaluate(assistant: Assistant, items: Sequence[QAItem], *, rounds: int = 3) -> EvalReport:
    """Answer and score a QA set; latency p50/p99 over all `rounds` passes."""
    predictions, latencies = answer_all(assistant, items, rounds=rounds)
    return score_predictions(items, predictions, latencies_ms=latencies)
