"""The session: where an exchange, or a scenario, becomes findings, once, with the profile's
severities applied, into the run's record (engine._ledger).

It knows nothing of pytest: the suite (conformance.suite) drives it test by test, a replay
(conformance.cassettes) drives it from a recording, `conformance validate` from cassettes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial

from conformance._exchange import Exchange, ExpectedStop, Finding, Scenario
from conformance.checks import CheckContext, CheckInfo, run_checks
from conformance.contract import Contract, load_contract
from conformance.engine._config import RunConfig
from conformance.engine._ledger import RunRecord, tokens_used
from conformance.engine._profile import Profile
from conformance.engine._sample import finding_key, sample_exchanges
from conformance.engine._selection import Selection
from conformance.engine._target import Target, discover_models


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
    selection: Selection
    record: RunRecord = field(default_factory=RunRecord)
    """What the run found so far (the ledger)."""
    current: list[Finding] = field(default_factory=list)
    """Findings of the test now running (before de-duplication): what makes it pass or fail."""
    journal: list[Judged] | None = None
    """Every judge call of the test now running, in order, when the run is recorded (None: not kept)."""
    restart_target: Callable[[], None] | None = None
    """Empties the embedded server's store before each test (None: a target the run does not own)."""
    _models: list[str] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _in_scenario: bool = field(default=False, repr=False)

    @classmethod
    def create(cls, contract: Contract, profile: Profile, target: Target, *, include: Sequence[str] = (),
               exclude: Sequence[str] = (), seed: int = 0) -> Session:
        operations = tuple(op.operation_id for op in contract.operations)
        selection = Selection(operations, profile, tuple(include), tuple(exclude))
        record = RunRecord(base_url=target.base_url, profile=profile.name, operations=list(operations),
                           excluded=selection.excluded_operations, deselected_checks=selection.deselected_checks,
                           contract_version=contract.version, seed=seed)
        target.budget.limit = profile.budget_tokens
        return cls(contract, profile, target, selection, record)

    def __repr__(self) -> str:  # pytest shows fixture values in tracebacks: keep it one line
        return (f"Session(target={self.target.base_url!r}, profile={self.profile.name!r}, "
                f"exchanges={self.record.exchanges}, findings={len(self.record.findings)})")

    @property
    def context(self) -> CheckContext:
        return CheckContext(contract=self.contract, options=self.profile.check_options())

    # -- the run's state ----------------------------------------------------------------------

    def stop(self, reason: str) -> None:
        self.record.stop_reason = self.record.stop_reason or reason

    @property
    def stopped(self) -> bool:
        return self.record.stop_reason is not None

    def mark_unsupported(self, operation_id: str, reason: str) -> None:
        with self._lock:
            self.record.unsupported.setdefault(operation_id, reason)

    @property
    def model(self) -> str | None:
        """The model requests name: the profile's (or --model), else the first the target lists."""
        return self.models[0] if self.models else None

    @property
    def models(self) -> list[str]:
        """The models generated requests name: the profile's (or --model), else those the target
        lists (GET /v1/models, its first page); [] when it lists none."""
        if self._models is None:
            self._models = [self.profile.model] if self.profile.model else discover_models(self.target)
        return self._models

    # -- judging ------------------------------------------------------------------------------

    def begin_test(self, *, keep_journal: bool = False) -> None:
        self.current = []
        self.journal = [] if keep_journal else None
        if self.restart_target is not None:
            self.restart_target()

    def replay(self, steps: Iterable[Judged]) -> None:
        """Make a recorded test's judge calls again, in order (conformance run --replay)."""
        for step in steps:
            if step.scenario is not None:
                self.judge_scenario(step.scenario, judge_exchanges=step.judge_exchanges)
            elif step.exchange is not None:
                self.judge(step.exchange)

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
        return self._keep(found, exchanges=scenario.exchanges)

    def judge(self, exchange: Exchange) -> list[Finding]:
        """Run every selected check on one exchange; record and return the new findings."""
        if self.journal is not None and not self._in_scenario:
            self.journal.append(Judged(exchange=exchange))
        budget = self.target.budget
        budget.spent += tokens_used(exchange)
        if budget.exhausted:
            self.stop(budget.reason)
        ran: list[str] = []
        found = run_checks(exchange, self.context, select=self._counting(ran))
        self._tally(exchange.operation_id, ran, exchange=True)
        return self._keep(found, exchanges=[exchange])

    def _counting(self, ran: list[str]) -> Callable[[CheckInfo], bool]:
        """The selection's wants_check, noting each check it lets run (the matrix tells passed
        from never run)."""
        def select(info: CheckInfo) -> bool:
            wanted = self.selection.wants_check(info)
            if wanted:
                ran.append(info.id)
            return wanted
        return select

    def _tally(self, operation_id: str | None, ran: list[str], *, exchange: bool = False) -> None:
        key = operation_id or ""
        record = self.record
        with self._lock:
            counts = record.checks_run.setdefault(key, {})
            for check_id in ran:
                counts[check_id] = counts.get(check_id, 0) + 1
            if exchange:
                record.exchanges += 1
                record.operation_exchanges[key] = record.operation_exchanges.get(key, 0) + 1
            record.tokens = self.target.budget.spent

    def _keep(self, found: Iterable[Finding], *, exchanges: Sequence[Exchange] = ()) -> list[Finding]:
        """Keep findings (the profile's severity applied), one per check, operation and message,
        with a sample of the exchanges behind each. A finding seen again keeps the cleaner
        reproducer (an engine-built request rather than a fuzzed one, then the shorter); where each
        was first found is kept too: findings first found together are one cause (engine._causes)."""
        new: list[Finding] = []
        sample_id: str | None = None
        record = self.record
        judged = list(filter(None, map(self.profile.judge, found)))
        with self._lock:
            index = {finding.key: i for i, finding in enumerate(record.findings)}
            for finding in judged:
                self.current.append(finding)
                known = index.get(finding.key)
                if known is not None and not self._cleaner(finding, exchanges, record.findings[known]):
                    continue
                if known is None:
                    index[finding.key] = len(record.findings)
                    record.findings.append(finding)
                    new.append(finding)
                else:
                    record.findings[known] = finding
                key = finding_key(finding)
                if exchanges:
                    if sample_id is None:
                        sample_id, sample = sample_exchanges(exchanges)
                        record.samples.setdefault(sample_id, sample)
                    record.finding_samples[key] = sample_id
                    if known is None:
                        record.first_seen[key] = sample_id
                if _generated(exchanges) and key not in record.generated:
                    record.generated.append(key)
                elif not _generated(exchanges) and key in record.generated:
                    record.generated.remove(key)
        return new

    def _cleaner(self, finding: Finding, exchanges: Sequence[Exchange], kept: Finding) -> bool:
        """The finding, seen again, shows by a cleaner request than the one kept: an engine-built
        one rather than a fuzzed one, else a shorter one."""
        was_generated = finding_key(kept) in self.record.generated
        return (_generated(exchanges), len(finding.reproducer or "")) < (was_generated, len(kept.reproducer or ""))

    @property
    def errors(self) -> list[Finding]:
        return self.record.errors


def _generated(exchanges: Sequence[Exchange]) -> bool:
    """Fuzzed by schemathesis: an expectation but no status the engine fixed (scenarios and
    probes are built by the engine)."""
    return any(e.expectation is not None and e.expected_status is None for e in exchanges)


@contextmanager
def open_session(config: RunConfig) -> Iterator[Session]:
    """A session for a run: the contract, the profile, the target (the embedded reference server,
    started for as long as the block lasts, unless the config names one)."""
    # The run's API version judges it: the header it sends, and what that version has without a beta.
    contract = load_contract(config.spec).for_version(config.anthropic_version)
    profile = config.load_profile()
    with ExitStack() as stack:
        base_url, restart = config.base_url, None
        if base_url is None:
            from conformance.server import ServerConfig, create_app, restart_store, serve_reference

            server_config = ServerConfig(seed=config.seed)
            app = create_app(server_config)
            base_url = stack.enter_context(serve_reference(server_config, app=app))
            restart = partial(restart_store, app)
        target = Target.from_config(config, base_url)
        stack.callback(target.close)
        session = Session.create(contract, profile, target, include=config.include, exclude=config.exclude,
                                 seed=config.seed)
        session.restart_target = restart
        yield session
