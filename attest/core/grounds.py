"""What each report line rests on: the kinds of fact a check decides on, and how firmly each was
established in one verification.

Pure data. A check unit (`attest.core.verification.CHECKS`) names the kinds of fact its rule decides
on (`FACTS`); whoever read those facts says, for each kind, how it was established (`Grounds`): from
the file at hand, proven against a block header that independent nodes or a checkpoint agree on,
proven against a header only one node (or one organisation's nodes) gave, or simply the node's
answer. A line rests on the weakest of its facts (`Grounds.weakest`); `--require-proofs` fails every
line that rests on less than a proof (`Ground.PROVEN`).

The order matters and is the enum's: a header one node alone gave is no better than that node's word
against a lying node, but it is said apart, because a second node or a checkpoint makes it a proof.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal

#: The kinds of fact a check can decide on, and what each covers. A check unit names them; a test
#: holds every unit to this list, and docs/trust-model.md's table of lines to the units.
Fact = Literal[
    "file",
    "code",
    "record",
    "status",
    "others",
    "names",
    "standing",
    "logs",
    "head",
    "root",
    "figures",
    "statement",
    "binding",
]
FACTS: Mapping[Fact, str] = {
    "file": "the document, receipt or digest at hand, and what the reader gave (no chain fact)",
    "code": "the registry's code, and the governance it is immutably bound to",
    "record": "the attestation records relied on: organisation, account, block, year, kind",
    "status": "whether those records are revoked or superseded",
    "others": "the other organisations' records only coverage and credit lines read: the statements "
    "covering the figures and those claiming the same credits (record and status)",
    "names": "the organisations' names in governance storage",
    "standing": "the organisations' roles and the accounts' keys in governance storage",
    "logs": "the registry's events: references, coverage, credit claims, revocations, the receipt's block",
    "head": "the chain's head (how deep an attestation is)",
    # verify-disclosure's own lines (attest.core.disclosure_checks) also decide on whole verifications,
    # each as firm as its weakest line, and on one more storage slot
    "root": "a disclosure root's own verification (`attest verify` of its digest by the organisation named)",
    "figures": "the own verification of the figures a disclosure's root commits to",
    "statement": "the own verification of the statement given with --statement",
    "binding": "the disclosure root the registry binds to the figures (its disclosureOf slot)",
}


class Ground(IntEnum):
    """How firmly a fact was established, weakest first."""

    NODE = 0  # the node's answer, believed as it came
    ONE_NODE = 1  # proven, but against a block header only one node (or one organisation) vouched for
    PROVEN = 2  # proven against a header independent nodes or a checkpoint agree on
    FILE = 3  # the file at hand: no chain fact

    @property
    def label(self) -> str:
        """The short tag a report line carries."""
        return _LABELS[self]

    @classmethod
    def of_label(cls, label: str) -> Ground:
        """The ground a line's tag names (an untagged line: the node's word)."""
        return next((g for g, text in _LABELS.items() if text == label), cls.NODE)


_LABELS = {
    Ground.NODE: "node's word",
    Ground.ONE_NODE: "one node",
    Ground.PROVEN: "proven",
    Ground.FILE: "the file",
}


@dataclass(frozen=True)
class Grounds:
    """How each kind of chain fact was established in one verification: `facts` maps a kind to its
    ground and a few words saying why (which block, vouched for by whom; or why nothing was proven).
    A kind not in `facts` rests on the node's word, for `default_why`."""

    facts: Mapping[str, tuple[Ground, str]] = field(default_factory=dict)
    default_why: str = "nothing was proven"
    _memo: dict[tuple[str, ...], tuple[Ground, str]] = field(default_factory=dict, compare=False, repr=False)

    def of(self, fact: str) -> tuple[Ground, str]:
        """The ground of one kind of fact (the file is always the file)."""
        if fact == "file":
            return Ground.FILE, "the file at hand"
        return self.facts.get(fact, (Ground.NODE, self.default_why))

    def weakest(self, facts: Iterable[str]) -> tuple[Ground, str]:
        """The weakest ground among `facts`, with why (the first such fact's reason); the file when
        none is named."""
        key = tuple(facts)
        found = self._memo.get(key)
        if found is None:
            found = min(
                (self.of(f) for f in key), key=lambda g: g[0], default=(Ground.FILE, "the file at hand")
            )
            self._memo[key] = found
        return found

    @classmethod
    def node_only(cls, why: str) -> Grounds:
        """Every chain fact on the node's word (no trusted block: no URL, no proofs served)."""
        return cls({}, why)
