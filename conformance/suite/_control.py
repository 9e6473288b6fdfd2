"""pytest's side of a run: what makes a suite test skip, fail or end the run. The session judges;
these turn its state into pytest outcomes."""

from __future__ import annotations

import pytest

from conformance._exit import EXIT_UNREACHABLE, EXIT_USAGE
from conformance._reproduce import shorten
from conformance.engine import Session


def require(session: Session, *operation_ids: str) -> None:
    """Skip the calling test when the target does not offer (or the run excludes) an operation."""
    for operation_id in operation_ids:
        if not session.profile.offers(operation_id):
            session.mark_unsupported(operation_id, f"not offered by the {session.profile.name} profile")
            pytest.skip(f"unsupported: {operation_id} is not offered by the {session.profile.name} profile")
        if not session.selection.wants_operation(operation_id):
            pytest.skip(f"{operation_id} is excluded from this run")


def abort(session: Session, reason: str, code: int) -> None:
    """The run cannot go on: say why once, end it, and let every report say it did not complete."""
    session.record.aborted = session.record.aborted or reason
    session.record.abort_code = session.record.abort_code or code
    pytest.exit(f"conformance: {reason}", returncode=code)


def require_model(session: Session) -> str:
    """The model requests name; without one the run cannot proceed, and says so in one line."""
    model = session.model
    if model is None:
        abort(session, f"no model to test: the profile names none and {session.target.base_url}/v1/models lists "
                       "none; pass --model", EXIT_USAGE)
    assert model is not None
    return model


def unreachable(session: Session, reason: str) -> None:
    abort(session, f"target unreachable: {reason}", EXIT_UNREACHABLE)


def fail_on_errors(session: Session, where: str) -> None:
    """Fail the calling test with every error finding it produced."""
    errors = [f for f in session.current if f.severity == "error"]
    if not errors:
        return
    lines = "\n".join(f"[{f.check_id}] {f.message}" + (f" at {f.location}" if f.location else "") for f in errors[:20])
    reproducer = shorten(next((f.reproducer for f in errors if f.reproducer), "") or "")
    pytest.fail(f"{where}: {len(errors)} departure(s)\n{lines}\n\nReproduce with:\n  {reproducer}", pytrace=False)
