"""One conformance run: the contract, the profile, the target, the token budget, and the findings.

The pytest suite (conformance.suite) and `conformance run` share it; it is where an exchange
becomes findings, once, with the profile's severities applied.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import pytest

from conformance._exchange import Exchange, ExpectedStop, Finding, Scenario
from conformance.checks import CheckContext, CheckInfo, registered_checks, run_checks
from conformance.contract import Contract
from conformance.engine._profile import Profile
from conformance.engine._target import Target
from conformance.reports._sample import finding_key, sample_exchanges

REPRODUCER_CHARS = 1500


def shorten(text: str, limit: int = REPRODUCER_CHARS) -> str:
    """Keep failure messages readable: generated bodies can be hundreds of kilobytes."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more characters)"


class BudgetExhausted(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """The run spent its token budget; it stops cleanly and says so. A test cut short by it is
    reported as skipped (it did not finish, it did not fail), then the run ends."""


@dataclass
class Budget:
    """Tokens spent on the target, from the usage the target reports."""

    limit: int | None = None
    spent: int = 0

    def charge(self, exchange: Exchange) -> None:
        self.spent += tokens_used(exchange)



def tokens_used(exchange: Exchange) -> int:
    """input + output tokens of a Messages response, streamed or not (0 when it has no usage)."""
    response = exchange.response
    if response.status != 200:
        return 0
    if response.is_stream:
        total = 0
        for frame in response.frames:
            data = frame.json_or_none() or {}
            usage = (data.get("message") or {}).get("usage") if data.get("type") == "message_start" else data.get("usage")
            if isinstance(usage, dict):
                total = max(total, int(usage.get("input_tokens") or 0)) if data.get("type") == "message_start" else total
                if data.get("type") == "message_delta":
                    total += int(usage.get("output_tokens") or 0)
        return total
    body = response.json()
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return 0
    return int(usage.get("input_tokens") or 0) + int(usage.get("output_tokens") or 0)


@dataclass
class RunRecord:
    """What a run found, in a form that crosses process boundaries (pytest-xdist workers) and
    feeds the summary and reports."""

    base_url: str = ""
    profile: str = ""
    findings: list[Finding] = field(default_factory=list)
    exchanges: int = 0
    tokens: int = 0
    unsupported: dict[str, str] = field(default_factory=dict)
    stop_reason: str | None = None
    # What the reports need beyond the findings (docs/reports.md): where each check ran, and the
    # exchanges behind each finding.
    operations: list[str] = field(default_factory=list)
    """Every operation of the contract, in its order: the rows of the conformance matrix."""
    excluded: list[str] = field(default_factory=list)
    """Operations --include/--exclude leave out of the run."""
    deselected_checks: list[str] = field(default_factory=list)
    """Checks the profile turns off or --include/--exclude leave out."""
    checks_run: dict[str, dict[str, int]] = field(default_factory=dict)
    """operation id ('' where none matched) → check id → how many times the check ran there."""
    operation_exchanges: dict[str, int] = field(default_factory=dict)
    """operation id ('' where none matched) → exchanges judged."""
    samples: dict[str, dict[str, Any]] = field(default_factory=dict)
    """sample id → the exchanges behind findings, scrubbed and size-capped (reports._sample)."""
    finding_samples: dict[str, str] = field(default_factory=dict)
    """finding key (reports._sample.finding_key) → sample id."""
    contract_version: str = ""
    seed: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        known = {f.name for f in fields(cls)}  # a record from an older worker lacks the newer fields
        values = {name: value for name, value in data.items() if name in known}
        return cls(**{**values, "findings": [Finding(**f) for f in data["findings"]]})

    def merge(self, other: RunRecord) -> None:
        """Add another worker's record (findings already seen are kept once)."""
        seen = {(f.check_id, f.operation_id, f.message) for f in self.findings}
        self.findings += [f for f in other.findings if (f.check_id, f.operation_id, f.message) not in seen]
        self.exchanges += other.exchanges
        self.tokens += other.tokens
        self.base_url = self.base_url or other.base_url
        self.profile = self.profile or other.profile
        for key, value in other.unsupported.items():
            self.unsupported.setdefault(key, value)
        self.stop_reason = self.stop_reason or other.stop_reason
        self.operations = self.operations or other.operations
        self.excluded = self.excluded or other.excluded
        self.deselected_checks = self.deselected_checks or other.deselected_checks
        for operation_id, counts in other.checks_run.items():
            _add_counts(self.checks_run.setdefault(operation_id, {}), counts)
        _add_counts(self.operation_exchanges, other.operation_exchanges)
        for key, sample in other.samples.items():
            self.samples.setdefault(key, sample)
        for key, sample_id in other.finding_samples.items():
            self.finding_samples.setdefault(key, sample_id)
        self.contract_version = self.contract_version or other.contract_version
        self.seed = self.seed or other.seed


def _add_counts(into: dict[str, int], counts: dict[str, int]) -> None:
    for key, count in counts.items():
        into[key] = into.get(key, 0) + count


@dataclass
class Judged:
    """One call of the judge, kept so that a recording can make it again: an exchange alone, or
    a scenario (with its exchanges judged one by one first, unless they already were)."""

    exchange: Exchange | None = None
    scenario: Scenario | None = None
    judge_exchanges: bool = True


@dataclass
class Session:
    contract: Contract
    profile: Profile
    target: Target
    include: tuple[str, ...] = ()
    """Operation ids or check groups to keep (empty: all)."""
    exclude: tuple[str, ...] = ()
    seed: int = 0
    budget: Budget = field(default_factory=Budget)
    findings: list[Finding] = field(default_factory=list)
    exchanges: int = 0
    unsupported: dict[str, str] = field(default_factory=dict)
    """Operations the target does not offer, with the reason, reported once each."""
    stop_reason: str | None = None
    """Set when the run must stop cleanly (the token budget is spent)."""
    exiting: bool = False
    current: list[Finding] = field(default_factory=list)
    """Findings of the test now running (before de-duplication): what makes it pass or fail."""
    checks_run: dict[str, dict[str, int]] = field(default_factory=dict)
    operation_exchanges: dict[str, int] = field(default_factory=dict)
    samples: dict[str, dict[str, Any]] = field(default_factory=dict)
    finding_samples: dict[str, str] = field(default_factory=dict)
    """The RunRecord fields of the same names: what the reports show besides the findings."""
    journal: list[Judged] | None = None
    """Every judge call of the test now running, in order, when the run is recorded (None: not kept)."""
    _model: str | None = field(default=None, repr=False)
    _in_scenario: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _seen: set[tuple[str, str | None, str]] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self.target.guard = self._guard

    def _guard(self) -> None:
        """Called by the target before every request: no request once the budget is spent."""
        if self.budget.limit is not None and self.budget.spent >= self.budget.limit:
            reason = f"token budget of {self.budget.limit} reached ({self.budget.spent} tokens spent)"
            self.stop(reason)
            raise BudgetExhausted(reason)

    def to_record(self) -> RunRecord:
        operations = [op.operation_id for op in self.contract.operations]
        checks = registered_checks()
        with self._lock:
            return RunRecord(
                self.target.base_url, self.profile.name, list(self.findings), self.exchanges,
                self.budget.spent, dict(self.unsupported), self.stop_reason,
                operations=operations,
                excluded=[op for op in operations if not self.wants_operation(op)],
                deselected_checks=[info.id for info in checks if not self.wants_check(info)],
                checks_run={op: dict(counts) for op, counts in self.checks_run.items()},
                operation_exchanges=dict(self.operation_exchanges), samples=dict(self.samples),
                finding_samples=dict(self.finding_samples), contract_version=self.contract.version, seed=self.seed,
            )

    def stop(self, reason: str) -> None:
        self.stop_reason = self.stop_reason or reason

    @property
    def stopped(self) -> bool:
        return self.stop_reason is not None

    def __repr__(self) -> str:  # pytest shows fixture values in tracebacks: keep it one line
        return (f"Session(target={self.target.base_url!r}, profile={self.profile.name!r}, "
                f"exchanges={self.exchanges}, findings={len(self.findings)})")

    @property
    def context(self) -> CheckContext:
        return CheckContext(contract=self.contract, options=self.profile.check_options())

    def _operations_in(self, names: tuple[str, ...]) -> set[str]:
        known = {op.operation_id for op in self.contract.operations}
        return {name for name in names if name in known}

    def wants_operation(self, operation_id: str) -> bool:
        """--include/--exclude name operation ids and check ids or groups; operation ids filter here."""
        included = self._operations_in(self.include)
        return (not included or operation_id in included) and operation_id not in self.exclude

    def wants_check(self, info: CheckInfo) -> bool:
        if self.profile.check_setting(info.id) == "off" or {info.group, info.id} & set(self.exclude):
            return False
        selected = set(self.include) - self._operations_in(self.include)
        return not selected or bool({info.group, info.id} & selected)

    @property
    def model(self) -> str:
        """The model requests name: the profile's, else the first the target lists."""
        if self._model is None:
            self._model = self.profile.model or self._discover_model()
        return self._model

    def _discover_model(self) -> str:
        exchange = self.target.send("GET", "/v1/models", params={"limit": 1}, operation_id="listModels")
        body = exchange.response.json() if exchange.response.status == 200 else None
        data = body.get("data") if isinstance(body, dict) else None
        if data and isinstance(data[0], dict) and isinstance(data[0].get("id"), str):
            return str(data[0]["id"])
        pytest.exit("conformance: the profile names no model and GET /v1/models lists none; "
                    "set `model` in the profile", returncode=2)

    def require(self, *operation_ids: str) -> None:
        """Skip the calling test when the target does not offer (or the run excludes) an operation."""
        for operation_id in operation_ids:
            if not self.profile.offers(operation_id):
                self.mark_unsupported(operation_id, f"not offered by the {self.profile.name} profile")
                pytest.skip(f"unsupported: {operation_id} is not offered by the {self.profile.name} profile")
            if not self.wants_operation(operation_id):
                pytest.skip(f"{operation_id} is excluded from this run")

    def begin_test(self, *, keep_journal: bool = False) -> None:
        self.current = []
        self.journal = [] if keep_journal else None

    def replay(self, steps: Iterable[Judged]) -> None:
        """Make a recorded test's judge calls again, in order (conformance run --replay)."""
        for step in steps:
            if step.scenario is not None:
                self.judge_scenario(step.scenario, judge_exchanges=step.judge_exchanges)
            elif step.exchange is not None:
                self.judge(step.exchange)

    def fail_on_errors(self, operation_id: str | None, *, label: str = "", label_prefix: str = "") -> None:
        """Fail the calling test with every error finding it produced."""
        errors = [f for f in self.current if f.severity == "error"]
        if not errors:
            return
        lines = "\n".join(f"[{f.check_id}] {f.message}" + (f" at {f.location}" if f.location else "") for f in errors[:20])
        reproducer = shorten(next((f.reproducer for f in errors if f.reproducer), "") or "")
        where = label or operation_id or label_prefix or "scenario"
        pytest.fail(f"{where}: {len(errors)} departure(s)\n{lines}\n\nReproduce with:\n  {reproducer}", pytrace=False)

    def expect_stop_reason(self, exchange: Exchange, variant: str) -> list[Finding]:
        """The request was built so the API stops for a known reason: judge that it did."""
        scenario = ExpectedStop(operation_id=exchange.operation_id, exchange=exchange, stop_reason=variant,
                                stop_sequence="charlie" if variant == "stop_sequence" else None)
        return self.judge_scenario(scenario, judge_exchanges=False)

    def judge_scenario(self, scenario: Scenario, *, judge_exchanges: bool = True) -> list[Finding]:
        """Judge each exchange of a scenario (unless already judged), then the scenario as a whole."""
        if self.journal is not None:
            self.journal.append(Judged(scenario=scenario, judge_exchanges=judge_exchanges))
        self._in_scenario = True
        try:
            for exchange in scenario.exchanges if judge_exchanges else ():
                self.judge(exchange)
        finally:
            self._in_scenario = False
        ran: list[str] = []
        found = run_checks(scenario, self.context, select=self._counting(ran))
        self._tally(scenario.operation_id, ran)
        return self.record(found, exchanges=scenario.exchanges)

    def judge(self, exchange: Exchange) -> list[Finding]:
        """Run every selected check on one exchange; record and return the new findings."""
        if self.journal is not None and not self._in_scenario:
            self.journal.append(Judged(exchange=exchange))
        self.budget.charge(exchange)
        if self.budget.limit is not None and self.budget.spent >= self.budget.limit:
            self.stop(f"token budget of {self.budget.limit} reached ({self.budget.spent} tokens spent)")
        ran: list[str] = []
        found = run_checks(exchange, self.context, select=self._counting(ran))
        self._tally(exchange.operation_id, ran, exchange=True)
        return self.record(found, exchange_counted=True, exchanges=[exchange])

    def _counting(self, ran: list[str]) -> Callable[[CheckInfo], bool]:
        """wants_check, noting each check it lets run (the matrix tells passed from never run)."""
        def select(info: CheckInfo) -> bool:
            wanted = self.wants_check(info)
            if wanted:
                ran.append(info.id)
            return wanted
        return select

    def _tally(self, operation_id: str | None, ran: list[str], *, exchange: bool = False) -> None:
        key = operation_id or ""
        with self._lock:
            _add_counts(self.checks_run.setdefault(key, {}), dict.fromkeys(ran, 1))
            if exchange:
                self.operation_exchanges[key] = self.operation_exchanges.get(key, 0) + 1

    def record(self, found: Iterable[Finding], *, exchange_counted: bool = False,
               exchanges: Sequence[Exchange] = ()) -> list[Finding]:
        """Keep findings (the profile's severity applied), one per check, operation and message,
        with a sample of the exchanges behind each new one."""
        new: list[Finding] = []
        sample_id: str | None = None
        with self._lock:
            if exchange_counted:
                self.exchanges += 1
            for finding in filter(None, map(self.profile.judge, found)):
                self.current.append(finding)
                key = (finding.check_id, finding.operation_id, finding.message)
                if key in self._seen:
                    continue
                self._seen.add(key)
                self.findings.append(finding)
                new.append(finding)
                if exchanges:
                    if sample_id is None:
                        sample_id, sample = sample_exchanges(exchanges)
                        self.samples.setdefault(sample_id, sample)
                    self.finding_samples[finding_key(finding)] = sample_id
        return new

    def mark_unsupported(self, operation_id: str, reason: str) -> None:
        with self._lock:
            self.unsupported.setdefault(operation_id, reason)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]
