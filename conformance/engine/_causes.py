"""One cause, one finding: the run's findings grouped by what caused them, ranked by impact.

The run record keeps one finding per check, operation and message (engine._ledger), which is
what the matrix, baselines and `compare` count. A reader wants causes: a 500 served as text/plain
fails four checks on every operation, and an ignored `max_tokens` fails one check at each value
sent. Findings are one cause when they come from the same exchanges (the same sample, or judged
together), or when one check reports the same thing on several operations or values. The cause
is shown as its most telling finding, with the others listed under it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import replace

from conformance._exchange import Finding
from conformance.engine._sample import finding_key

IMPACT = ("transport", "acceptance.no_server_error", "sse", "equivalence", "meaning", "tokens", "pagination",
          "batches", "files", "errors", "acceptance", "schema")
"""What a cause breaks, most first: the connection, a server error, streams, what the answer
means, the lists and objects of the other operations, error envelopes, then status codes and
shapes. A check id ranks by its own entry, else by its group's."""

INDEPENDENT = frozenset({"schema.request_id", "errors.retry_after"})
"""Checks of one header that nothing else on the exchange depends on: never a part of another
finding's cause (a missing request-id would otherwise tie every departure of a server together)."""
ROOT = ("transport", "acceptance.no_server_error", "errors", "schema", "sse", "meaning", "equivalence", "tokens",
        "pagination", "batches", "files", "acceptance")
"""Which finding of one exchange explains the others, first first: a broken connection, a server
error, an error or a body in the wrong shape, a broken stream, then what the answer means, then
what several exchanges show. (A wrong list shape breaks the pagination walk, not the reverse.)"""
ONE_KIND_ONE_CAUSE = frozenset({"transport.connection_lost", "transport.timeout", "transport.too_large",
                                "transport.malformed"})
"""Checks whose findings are one cause whatever their messages say: each message is an HTTP
library's wording of the failure, and one fault is worded differently by httpx and requests, by
where the read stopped (the status line, a header, the body) and by the exception it raised."""
_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|-?\d+(?:\.\d+)?")


def impact(check_id: str, order: Sequence[str] = IMPACT) -> int:
    """The rank of a check in IMPACT, or another order (lower first); unknown groups rank last."""
    for name in (check_id, check_id.split(".")[0]):
        if name in order:
            return order.index(name)
    return len(order)


def shape(message: str) -> str:
    """A message without its values: the same departure at max_tokens 1 and at 8 reads the same."""
    return _VALUES.sub("…", message)


class _Groups:
    """Union-find over finding positions."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, first: int, second: int) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def group_causes(findings: Sequence[Finding], samples: Mapping[str, str] | None = None,
                 generated: Set[str] = frozenset()) -> list[Finding]:
    """The causes behind `findings` (each a Finding whose `related` holds the others it caused),
    ranked: errors first, then by what they break (IMPACT), then in the order the run met them.

    `samples` maps a finding's key (finding_key) to the sample of the exchanges it was first found
    on; `generated` holds the keys of findings shown by a generated (fuzzed) request. Findings
    first found on one exchange are one cause, led by the one that explains the others (ROOT).
    Causes whose leads are the same departure (the same check and message but for its values) on
    any operation, or the same check at the same place of one operation's answers, are one. (A
    departure every error shows, such as the envelope, stays with the exchange it was first found
    on, and does not tie later causes to it.)
    """
    samples = samples or {}
    keys = [finding_key(f) for f in findings]
    clean = [key not in generated for key in keys]
    exchange = _Groups(len(findings))
    first_in_sample: dict[str, int] = {}
    for i, finding in enumerate(findings):
        if finding.check_id in INDEPENDENT:
            continue
        sample = samples.get(keys[i])
        if sample:
            exchange.join(first_in_sample.setdefault(sample, i), i)
    clusters: dict[int, list[int]] = {}
    for i in range(len(findings)):
        clusters.setdefault(exchange.find(i), []).append(i)
    cause = _Groups(len(findings))
    first_with: dict[tuple[str, str, str], int] = {}
    for root, cluster in clusters.items():
        for i in cluster:
            cause.join(root, i)
        head = findings[_lead(findings, cluster, clean)]
        signatures = [(head.check_id, "", "" if head.check_id in ONE_KIND_ONE_CAUSE else shape(head.message))]
        if head.location:  # the same place of the same operation's answers, whatever the value
            signatures.append((head.check_id, head.operation_id or "", head.location))
        for signature in signatures:
            cause.join(first_with.setdefault(signature, root), root)
    members: dict[int, list[int]] = {}
    for i in range(len(findings)):
        members.setdefault(cause.find(i), []).append(i)
    ranked = []
    for group in members.values():
        lead = _lead(findings, group, clean)
        related = tuple(findings[i] for i in group if i != lead)
        broken = min(impact(findings[i].check_id) for i in group)
        ranked.append(((findings[lead].severity != "error", broken, group[0]), replace(findings[lead], related=related)))
    return [item for _, item in sorted(ranked, key=lambda pair: pair[0])]


def _lead(findings: Sequence[Finding], group: Sequence[int], clean: Sequence[bool]) -> int:
    """The finding that stands for the cause: an error before a warning, the one that explains the
    others (ROOT), shown by the smallest clean request (a scenario's rather than a fuzzed one)."""
    return min(group, key=lambda i: (findings[i].severity != "error", impact(findings[i].check_id, ROOT),
                                     not clean[i], len(findings[i].reproducer or ""), i))
