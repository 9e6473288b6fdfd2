"""The engine: the target, profiles, the session that judges exchanges, and how a run is driven.

What other packages may use is exported here; the `_modules` are private.
"""

from conformance.engine._negative import mutation_expectation
from conformance.engine._profile import Profile, ProfileError, builtin_profiles, load_profile
from conformance.engine._session import Budget, Judged, RunRecord, Session
from conformance.engine._target import DEFAULT_VERSION, Target, TargetUnreachable

__all__ = [
    "DEFAULT_VERSION",
    "Budget",
    "Judged",
    "Profile",
    "ProfileError",
    "RunRecord",
    "Session",
    "Target",
    "TargetUnreachable",
    "builtin_profiles",
    "load_profile",
    "mutation_expectation",
]
