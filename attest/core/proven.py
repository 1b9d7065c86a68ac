"""What the node said, judged against what storage proofs show at a trusted block.

The shell (attest.app.proven) settles on a block whose hash independent nodes agree on (or a
checkpoint names), asks a node for EIP-1186 proofs of the registry's and governance's storage at
that block, and checks every proof against the header's stateRoot (attest.core.proofs). What the
proofs hold is a `ProvenState`; this module compares it with the evidence the verdict was decided
from (the node's answers) and says, as one `proofs` check, which facts are proven and which still
rest on the node's word.

A proven fact that contradicts the node is a lie by the node: the check fails and names the node.
Only facts that cannot change back are compared strictly: a record written at or before the
trusted block (attester, organisation, block, year, kind) never changes, a revocation is never
undone, an organisation's name never changes. Facts that may legitimately differ between the
trusted block and the node's head (a revocation or restatement after it, a key frozen since)
are shown as proven at that block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attest.core.records import OnchainAttestation, attestation_uid
from attest.core.verification import Check, Evidence, Report


@dataclass(frozen=True)
class ProvenRecord:
    """An attestation slot as its storage proof shows it (`exists` False: the slot is empty)."""

    uid: str
    exists: bool
    attester: str = ""
    org_id: int = 0
    block_number: int = 0
    year: int = 0
    kind: int = 0
    revoked: bool = False
    superseded_by: str | None = None


@dataclass(frozen=True)
class ProvenState:
    """What the proofs showed at one trusted block, and who vouched for that block."""

    block: int
    block_hash: str
    vouched: str  # "agreed by 2 of 2 nodes: …" or "checkpoint N:0x…"
    node: str  # the node that served the proofs
    records: dict[str, ProvenRecord] = field(default_factory=dict)
    org_names: dict[int, str] = field(default_factory=dict)
    code: str = ""  # how the registry's code was proven ("" when it was not)
    code_problem: str | None = None
    # governance storage at the block: each attester account's (organisation, frozen), and each
    # organisation's (roles, active)
    accounts: dict[str, tuple[int, bool]] = field(default_factory=dict)
    organisations: dict[int, tuple[int, bool]] = field(default_factory=dict)
    require: bool = False  # `--require-proofs`: a fact the verdict rests on that is the node's word fails


def _reported(ev: Evidence) -> list[OnchainAttestation]:
    """Every attestation record the node reported that the verdict can rest on: each one read for
    this target (`Evidence.read`, kept as it was read — the digest's attestations, covering statements,
    the referenced figures, the statements claiming the same credits). Nothing is derived here from
    the verdict, so nothing read can be forgotten."""
    return list(ev.read.records.values()) if ev.read is not None else []


def only_shown(ev: Evidence) -> set[str]:
    """The records read that the verdict only shows (lower-case uids): another organisation's
    attestation of the same digest when whose counts is known — the `anchored` line names it "not
    relied on" — unless it was read as something relied on too (a covering statement, the reference,
    the paired figures, a statement claiming the same credits). Newer than the trusted block, such a
    record is said, not failed: no line's decision rests on it."""
    if ev.expected_org is None:
        return set()
    relied = {s.uid.lower() for s in ev.covering_statements}
    relied |= {a.uid.lower() for a in (ev.referenced, ev.paired_figures) if a is not None}
    for c in (ev.credits, *ev.figures_credits):
        if c is not None:
            relied |= {u.lower() for u in c.claimants}
    return {a.uid.lower() for a in ev.attestations if a.org_id != ev.expected_org} - relied


def others_read(ev: Evidence) -> set[str]:
    """The records read that only the coverage and credit lines decide on (lower-case uids): the
    statements covering the figures and those claiming the same credits, unless read as something
    other lines rely on too (the attestation itself or another of the digest, the reference, the
    paired figures)."""
    read = {s.uid.lower() for s in ev.covering_statements}
    for c in (ev.credits, *ev.figures_credits):
        if c is not None:
            read |= {u.lower() for u in c.claimants}
    relied = {a.uid.lower() for a in (*ev.attestations, ev.referenced, ev.paired_figures) if a is not None}
    return read - relied


def _own_uid(ev: Evidence) -> str | None:
    """The expected organisation's attestation id for the digest, computed here."""
    if ev.expected_org is None:
        return None
    return attestation_uid(ev.expected_org, bytes.fromhex(ev.lookup)).lower()


def uids_to_prove(ev: Evidence) -> list[str]:
    """Every attestation slot the verdict rests on: each record the node reported, and the
    expected organisation's slot for the digest (so a record the node left out is found too).
    Ids are computed here from (organisation, digest), never taken from the node."""
    uids = [
        attestation_uid(a.org_id, bytes.fromhex(a.digest.removeprefix("0x"))).lower() for a in _reported(ev)
    ]
    own = _own_uid(ev)
    return list(dict.fromkeys([*uids, *([own] if own else [])]))


def orgs_to_prove(ev: Evidence) -> list[int]:
    """The organisations whose names the report prints for the records it rests on: every record
    read (covering statements' verifiers, credit claimants too) and the one expected."""
    ids = {a.org_id for a in [*ev.attestations, *_reported(ev)]}
    if ev.expected_org is not None:
        ids.add(ev.expected_org)
    if ev.referenced is not None:  # `reference` compares a statement's organisation with its name
        ids.add(ev.referenced.org_id)
    return sorted(ids)


def accounts_to_prove(ev: Evidence) -> list[str]:
    """The attester accounts of the records the verdict rests on (lower case): their standing now
    (organisation, frozen) is what the `authorised` and `key` lines say."""
    return sorted({a.attester.lower() for a in _reported(ev)})


def own_uid(a: OnchainAttestation) -> tuple[str, str | None]:
    """The registry's id of `a`'s (organisation, digest), computed here (lower case), and the lie
    when the node reports `a` under another id (None when it does not)."""
    digest = a.digest.removeprefix("0x").lower()
    uid = attestation_uid(a.org_id, bytes.fromhex(digest)).lower()
    if a.uid.lower() == uid:
        return uid, None
    return uid, (
        f"the node reports attestation {a.uid} of digest 0x{digest}, but the registry's id of "
        f"(org #{a.org_id}, that digest) is {uid}: another document's record"
    )


def contradictions(ev: Evidence, proven: ProvenState) -> list[str]:
    """Every way the node's answers contradict the proofs (empty: none)."""
    lies: list[str] = []
    lookup = ev.lookup
    by_uid: dict[str, OnchainAttestation] = {}
    for a in _reported(ev):
        uid, lie = own_uid(a)
        if lie is not None:
            lies.append(lie)
        by_uid[uid] = a
    for a in ev.attestations:
        if a.digest.removeprefix("0x").lower() != lookup:
            lies.append(
                f"the node answers the question about digest 0x{lookup} with attestation {a.uid} "
                f"of digest {a.digest}"
            )
    own = _own_uid(ev)
    for uid, record in proven.records.items():
        said = by_uid.get(uid)
        if said is None:
            if uid == own and record.exists and record.block_number <= proven.block:
                lies.append(
                    f"attestation {uid} exists at block {proven.block} (proven), but the node's logs "
                    "left it out"
                )
            continue
        lies.extend(record_lies(said, record, proven.block))
    lies.extend(_standing_lies(ev, proven))
    for org_id, name in proven.org_names.items():
        if org_id in ev.org_names and ev.org_names[org_id] != name:
            lies.append(
                f"organisation #{org_id} is named {name!r} in governance storage (proven), the node "
                f"said {ev.org_names[org_id]!r}"
            )
    return lies


def _standing_lies(ev: Evidence, proven: ProvenState) -> list[str]:
    """Where the node's governance history, replayed to the trusted block, disagrees with governance
    storage at that block: an account's organisation or frozen flag, an organisation's roles or
    whether it is active. (Storage is what the registry reads when it accepts an attestation.)"""
    if ev.history is None:
        return []
    lies: list[str] = []
    at = (proven.block + 1, 0)  # after every event of the trusted block
    for account, (org_id, frozen) in proven.accounts.items():
        said = ev.history.standing(account, at)
        if (said.org_id, said.frozen) != (org_id, frozen):
            lies.append(
                f"account {account} is in org #{org_id}{', frozen' if frozen else ''} in governance storage "
                f"at block {proven.block} (proven); the node's governance history says org #{said.org_id}"
                f"{', frozen' if said.frozen else ''}"
            )
        stored = proven.organisations.get(said.org_id)
        if said.org_id and stored is not None and (said.roles, said.org_active) != stored:
            lies.append(
                f"organisation #{said.org_id} holds roles {stored[0]}{'' if stored[1] else ', removed'} in "
                f"governance storage at block {proven.block} (proven); the node's governance history says "
                f"roles {said.roles}{'' if said.org_active else ', removed'}"
            )
    return list(dict.fromkeys(lies))


def record_lies(said: OnchainAttestation, record: ProvenRecord, block: int) -> list[str]:
    """Every way the node's answer `said` about one attestation contradicts its slot as proven at
    `block` (`record`): its fields, a revocation or restatement the proof shows and the node hides,
    one the node dates no later than `block` that the proof does not show (empty: none)."""
    if not record.exists and said.block_number > block:
        return []  # written after the trusted block: not provable there yet (`after_block` says so)
    if not record.exists:
        return [
            f"the node reports attestation {said.uid} at block {said.block_number}, but its slot is "
            f"empty at block {block} (proven): no such attestation"
        ]
    # the record exists at the trusted block, so every field is compared — its block number too: a
    # node that dates it after the trusted block would otherwise escape every comparison
    facts = {
        "attester": (said.attester.lower(), record.attester.lower()),
        "organisation": (said.org_id, record.org_id),
        "block": (said.block_number, record.block_number),
        "year": (said.year, record.year),
        "kind": (int(said.kind), record.kind),
    }
    lies = [
        f"attestation {said.uid}: the node says {name} {node!r}, storage holds {stored!r} (proven)"
        for name, (node, stored) in facts.items()
        if node != stored
    ]
    if record.revoked and not said.revoked:
        lies.append(f"attestation {said.uid} was revoked by block {block} (proven), the node says it is live")
    # revoked later than the trusted block is no lie; a revocation the node puts no later (or shows no
    # Revoked log of, which the registry writes in the same transaction) is one: a claim on credits, say,
    # stops counting when its statement is revoked
    when = said.revocation.block_number if said.revocation is not None else None
    if said.revoked and not record.revoked and (when is None or when <= block):
        at = f" at block {when}" if when is not None else ""
        lies.append(
            f"attestation {said.uid} is live at block {block} (proven), the node says it was revoked{at}"
        )
    lies.extend(_supersession_lies(said, record, block))
    return lies


def _supersession_lies(said: OnchainAttestation, record: ProvenRecord, block: int) -> list[str]:
    """A restatement the proofs show at the trusted block that the node hides (answering
    `supersededBy` with zero, or with another id): a lie, unless the node shows that restatement
    revoked after that block, which frees the original again. (The node calling a record superseded
    that is not at the trusted block makes the verdict fail on its own: `status` or `reference`.)"""
    proven = record.superseded_by
    if proven is None or (said.superseded_by or "").lower() == proven.lower():
        return []
    for w in said.withdrawn_restatements:
        if w.uid.lower() == proven.lower() and w.revocation is not None and w.revocation.block_number > block:
            return []  # withdrawn after the trusted block: the node's word (`after_block` says so)
    now = f"superseded by {said.superseded_by}" if said.superseded_by else "not superseded"
    return [
        f"attestation {said.uid} is superseded by restatement {proven} at block {block} (proven), the node "
        f"says it is {now}"
    ]


def after_block(ev: Evidence, proven: ProvenState) -> dict[str, list[str]]:
    """The facts the verdict rests on that the proofs cannot settle because the node puts them after
    the trusted block, by kind (attest.core.grounds.FACTS): a record written since ("record"); a
    revocation since, a restatement withdrawn since ("status"); either of them for a statement only
    the coverage and credit lines read — one covering the figures, one claiming the same credits
    ("others"), so a statement anyone publishes after the trusted block weakens those lines, not the
    record's own. The node's word, said on the lines and failed by `--require-proofs`."""
    block = proven.block
    out: dict[str, list[str]] = {"record": [], "status": [], "others": []}
    shown, others = only_shown(ev), others_read(ev)
    for a in _reported(ev):
        if a.uid.lower() in shown:
            continue
        uid = attestation_uid(a.org_id, bytes.fromhex(a.digest.removeprefix("0x"))).lower()
        record = proven.records.get(uid)
        other = a.uid.lower() in others
        if record is not None and not record.exists and a.block_number > block:
            out["others" if other else "record"].append(
                f"attestation {a.uid} at block {a.block_number}, after block {block}"
            )
        when = a.revocation.block_number if a.revocation is not None else None
        if a.revoked and record is not None and record.exists and not record.revoked and (when or 0) > block:
            out["others" if other else "status"].append(
                f"the revocation of {a.uid} at block {when}, after block {block}"
            )
        if a.superseded_by and record is not None and record.exists and record.superseded_by is None:
            out["others" if other else "status"].append(
                f"the restatement of {a.uid} by {a.superseded_by}, after block {block}"
            )
        for w in a.withdrawn_restatements:
            at = w.revocation.block_number if w.revocation is not None else None
            if at is not None and at > block:
                out["others" if other else "status"].append(
                    f"the withdrawal of restatement {w.uid} of {a.uid} at block {at}, after block {block}"
                )
    if ev.read is not None:  # their credit and neutrality claims, which only the credit lines read
        out["others"] += [
            f"a credit claim of {c.statement_uid} at block {c.block_number}, after block {block}"
            for c in ev.read.claims.values()
            if c.block_number > block and c.statement_uid.lower() in others
        ]
        out["others"] += [
            f"the neutrality claim of {r.statement_uid} at block {r.block_number}, after block {block}"
            for r in ev.read.neutrality.values()
            if r.block_number > block and r.statement_uid.lower() in others
        ]
    return {k: list(dict.fromkeys(v)) for k, v in out.items()}


def proof_check(
    report: Report,
    ev: Evidence,
    proven: ProvenState,
    *,
    lies: list[str] | None = None,
    later: dict[str, list[str]] | None = None,
) -> Check:
    """The `proofs` line: what is proven against which block, or the node's lies (`lies`, `later`:
    `contradictions` and `after_block` when the caller has them already)."""
    lies = list(contradictions(ev, proven) if lies is None else lies)
    if proven.code_problem is not None:
        lies.append(proven.code_problem)
    if lies:
        return Check(
            "proofs",
            "fail",
            f"node {proven.node} contradicts proofs at block {proven.block}: " + "; ".join(lies),
        )
    what = []
    chosen = report.attestation
    if chosen is not None:
        rec = proven.records.get(chosen.uid.lower())
        if rec is not None and rec.exists:
            state = (
                "revoked"
                if rec.revoked
                else (f"superseded by {rec.superseded_by}" if rec.superseded_by else "live, not superseded")
            )
            what.append(f"record {chosen.uid} ({state} at that block)")
        elif chosen.block_number > proven.block:
            what.append(f"record {chosen.uid}: newer than block {proven.block}, not proven yet")
    elif ev.expected_org is not None:
        what.append(f"no attestation by org #{ev.expected_org} of this digest at that block")
    if proven.org_names:
        names = ", ".join(f"#{i} {n!r}" for i, n in sorted(proven.org_names.items()))
        what.append(f"organisation name(s) {names}")
    if proven.accounts:
        keys = ", ".join(
            f"{a[:10]}… org #{o}{' frozen' if f else ''}" for a, (o, f) in sorted(proven.accounts.items())
        )
        roles = ", ".join(
            f"#{i} roles {r}{'' if active else ' removed'}"
            for i, (r, active) in sorted(proven.organisations.items())
        )
        what.append(
            f"governance standing: account(s) {keys}" + (f"; organisation(s) {roles}" if roles else "")
        )
    if proven.code:
        what.append(proven.code)
    detail = (
        f"proven against block {proven.block} {proven.block_hash} ({proven.vouched}): "
        + "; ".join(what)
        # a logs line follows only when a record was relied on (attest.app.log_proofs)
        + ("; the facts only logs carry are on the logs line" if chosen is not None else "")
    )
    later = after_block(ev, proven) if later is None else later
    if later.get("others"):  # those lines say it and rest on the node for it; this one does not
        detail += (
            "; read by the coverage and credit lines only, not provable at that block (the node's word, "
            f"said on those lines): {'; '.join(later['others'])}"
        )
    said = [x for fact, facts in later.items() if fact != "others" for x in facts]
    if not said:
        return Check("proofs", "pass", detail)
    unproven = f"; the node's word, not provable at that block: {'; '.join(said)}"
    if proven.require:
        return Check("proofs", "fail", detail + unproven + " (--require-proofs)", unproven=True)
    return Check("proofs", "info", detail + unproven)


def unproven_check(why: str, *, required: bool) -> Check:
    """The `proofs` line when nothing could be proven: the verdict rests on the node's word."""
    if required:
        return Check("proofs", "fail", f"unproven: {why} (--require-proofs)", unproven=True)
    return Check("proofs", "info", f"unproven: node's word ({why})")
