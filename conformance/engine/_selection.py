"""Which operations and checks a run judges: the profile's offer and settings, --include and
--exclude, --shard. Pure: a function of its inputs, shared by runs, replays and validation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from conformance.checks import CheckInfo, registered_checks
from conformance.engine._profile import Profile


@dataclass(frozen=True)
class Selection:
    operations: tuple[str, ...]
    """Every operation of the contract, in its order."""
    profile: Profile
    include: tuple[str, ...] = ()
    """Operation ids, check ids or check groups to keep (empty: all)."""
    exclude: tuple[str, ...] = ()
    """Operation ids, check ids or check groups to leave out."""

    def _named_operations(self, names: tuple[str, ...]) -> set[str]:
        return set(names) & set(self.operations)

    def wants_operation(self, operation_id: str) -> bool:
        """--include/--exclude name operation ids and check ids or groups; operation ids filter here."""
        included = self._named_operations(self.include)
        return (not included or operation_id in included) and operation_id not in self.exclude

    def wants_check(self, info: CheckInfo) -> bool:
        if self.profile.check_setting(info.id) == "off" or {info.group, info.id} & set(self.exclude):
            return False
        selected = set(self.include) - self._named_operations(self.include)
        return not selected or bool({info.group, info.id} & selected)

    @property
    def excluded_operations(self) -> list[str]:
        return [op for op in self.operations if not self.wants_operation(op)]

    @property
    def deselected_checks(self) -> list[str]:
        return [info.id for info in registered_checks() if not self.wants_check(info)]


def in_shard(name: str, index: int, total: int) -> bool:
    """Whether a test (by its id) belongs to part `index` of `total`: a hash of the id, so the
    split is the same on every machine and does not move when other tests come or go."""
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % total == index - 1
