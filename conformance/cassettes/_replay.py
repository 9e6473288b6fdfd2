"""`conformance run --replay`: judge a recording again with the current checks (docs/cassettes.md).

The recording holds every exchange each test judged and the order it judged them in; the replay
makes the same judge calls on a session whose target is never reached. Nothing is generated, so
library versions do not matter; a recording is refused only when its requests would mean
something else today: another recording format, a contract whose request side changed for an
operation the recording covers, or an explicitly chosen profile that generates other requests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from conformance.cassettes._journal import FINGERPRINT_FILE, FORMAT, RecordedTest, recorded_tests
from conformance.cassettes._read import CassetteError
from conformance.contract import Contract, ContractError
from conformance.engine import Judged, Outcome, Profile, Session, Target, load_profile

# The profile fields that decide which requests a run sends: a replay under a profile that
# differs in one of them would judge requests that profile never asked for.
GENERATION_FIELDS = ("operations", "live", "max_examples", "phases", "max_tokens_cap", "budget_tokens", "negative",
                     "model")


class ReplayRefused(ContractError):
    """The recording cannot give a right answer here; one line saying why and what to do."""


@dataclass
class Recorded:
    """A recording as read back: run.json and every test, in suite order."""

    folder: Path
    header: dict[str, Any]
    tests: list[RecordedTest]

    @property
    def operation_ids(self) -> set[str]:
        return {op for test in self.tests for op in test.operation_ids}


def load_recorded(folder: Path) -> Recorded:
    path = folder / FINGERPRINT_FILE
    if not path.is_file():
        if not folder.is_dir():
            raise ReplayRefused(f"no recording in {folder} to replay: record one with `conformance run --record`")
        raise ReplayRefused(f"{path}: no such file; {folder} is not a complete recording "
                            "(re-record with `conformance run --record`)")
    try:
        header = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReplayRefused(f"{path}: not a recording's run.json: {exc}") from None
    if not isinstance(header, dict):
        raise ReplayRefused(f"{path}: not a recording's run.json")
    if header.get("format") != FORMAT:
        recorded = header.get("format", 1 if "fingerprint" in header else None)
        raise ReplayRefused(f"{folder} is a recording of format {recorded}, this version replays format {FORMAT}: "
                            "re-record it with `conformance run --record`")
    try:
        tests = recorded_tests(folder)
    except CassetteError as exc:
        raise ReplayRefused(str(exc)) from None
    return Recorded(folder, header, tests)


def replay_profile(recorded: Recorded, chosen: str | None, max_examples: int | None = None) -> Profile:
    """The recording's own profile, or the one chosen (with --max-examples applied, as a run
    applies it) if it would have sent the same requests."""
    kept = recorded.header.get("profile")
    if not isinstance(kept, dict):
        raise ReplayRefused(f"{recorded.folder / FINGERPRINT_FILE}: no profile recorded")
    known = {f.name for f in fields(Profile)}
    values: dict[str, Any] = {key: tuple(value) if isinstance(value, list) else value
                              for key, value in kept.items() if key in known}
    original = Profile(**values)
    if chosen is None:
        return original
    profile = load_profile(chosen)
    if max_examples is not None:
        profile = replace(profile, max_examples=max_examples)
    differing = [name for name in GENERATION_FIELDS if getattr(profile, name) != getattr(original, name)]
    if differing:
        raise ReplayRefused(
            f"profile {profile.name} would send other requests than the recorded profile {original.name} "
            f"({', '.join(differing)} differ): replay without --profile, or re-record with it")
    return profile


def check_contract(recorded: Recorded, contract: Contract) -> None:
    """Refuse when the contract judges the recorded requests differently (their request side changed)."""
    then = recorded.header.get("contract", {}).get("requests", {})
    known = {op.operation_id for op in contract.operations}
    changed = sorted(op for op in recorded.operation_ids
                     if op not in known or then.get(op) != contract.request_fingerprint(op))
    if changed:
        listed = ", ".join(changed[:4]) + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")
        raise ReplayRefused(
            f"the contract's requests changed since {recorded.folder} was recorded ({listed}): the recorded requests "
            "would be judged against rules they were not generated for; re-record with `conformance run --record`")


def replay_session(recorded: Recorded, contract: Contract, profile: Profile, *, include: Sequence[str] = (),
                   exclude: Sequence[str] = ()) -> tuple[Session, list[Outcome]]:
    """Judge every recorded test again; the session holds the findings, the outcomes say how each test ended."""
    header = recorded.header
    generation = header.get("generation") or {}
    target = Target(base_url=str(header.get("base_url") or ""),
                    anthropic_version=str(generation.get("anthropic_version") or ""))
    session = Session.create(contract, profile, target, include=include, exclude=exclude,
                             seed=int(generation.get("seed") or 0))
    target.budget.limit = generation.get("budget_tokens")
    outcomes: list[Outcome] = []
    for test in recorded.tests:
        session.begin_test()
        if test.operation_ids and not any(map(session.selection.wants_operation, test.operation_ids)):
            outcomes.append(Outcome(test.nodeid, "skipped", message="excluded from this replay"))
            continue
        for operation_id, reason in test.unsupported.items():
            session.mark_unsupported(operation_id, reason)
        session.replay(step for step in test.steps if _wanted(session, step))
        outcomes.append(_outcome(test, session))
    return session, outcomes


def _wanted(session: Session, step: Judged) -> bool:
    """A step of a test that is replayed: kept unless its operation is left out (a request that
    matches no operation, such as an unknown-route probe, goes with its test)."""
    exchange = step.exchange
    operation_id = step.scenario.operation_id if step.scenario is not None else exchange.operation_id if exchange else None
    return operation_id is None or session.selection.wants_operation(operation_id)


def _outcome(test: RecordedTest, session: Session) -> Outcome:
    operation = test.nodeid.split("test_operation[", 1)[1].rstrip("]") if "::test_operation[" in test.nodeid else None
    errors = [f for f in session.current if f.severity == "error"]
    if test.outcome in ("skipped",) or (test.outcome in ("failed", "error") and not test.steps):
        return Outcome(test.nodeid, test.outcome, test.duration, operation, test.message)
    if errors:
        lines = "\n".join(f"[{f.check_id}] {f.message}" for f in errors[:20])
        return Outcome(test.nodeid, "failed", test.duration, operation, f"{len(errors)} departure(s)\n{lines}",
                       departures=True)
    return Outcome(test.nodeid, "passed", test.duration, operation)


def recorded_versions(header: Mapping[str, Any]) -> dict[str, str]:
    """The library versions that generated a recording (shown, never checked)."""
    versions = header.get("versions")
    return {str(k): str(v) for k, v in versions.items()} if isinstance(versions, dict) else {}
