"""Prove a verdict's state facts against one trusted block header (the shell of attest.core.proven).

Order, once per command: settle on a block whose hash every node given (or `quorum` of them) agrees
on, or that a checkpoint names (attest.chain.quorum: the header is accepted only if its fields hash
to that hash); prove the registry's account at that block (EIP-1186, against the header's
stateRoot) and check that its code — the bytes whose keccak256 is the proven codeHash — is the
committed artifact's with the manifest's governance as its immutable `membership`. Then, per
target, one eth_getProof for every attestation slot the verdict rests on and one for the
organisations' names in governance storage; attest.core.proven compares them with what the node
said. A node that cannot serve proofs (eth-tester; FISCO BCOS; a Besu Bonsai node for an old block)
leaves the verdict on the node's word, said in the report, or failed with `--require-proofs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from attest.chain.proving import get_proofs
from attest.chain.quorum import agree_on_hash, settle_header
from attest.chain.rpc import HttpRpc, NodeRefused
from attest.core.chain_family import family
from attest.core.contracts import GOVERNANCE, REGISTRY
from attest.core.errors import ChainError
from attest.core.grounds import Ground, Grounds
from attest.core.header import Checkpoint, TrustedHeader
from attest.core.names import normalise_name
from attest.core.proof_errors import ProofError, ProofRootMismatch
from attest.core.proofs import verify_account_proof
from attest.core.proven import (
    ProvenRecord,
    ProvenState,
    accounts_to_prove,
    after_block,
    contradictions,
    orgs_to_prove,
    own_uid,
    proof_check,
    record_lies,
    uids_to_prove,
    unproven_check,
)
from attest.core.receipt import ProofPart
from attest.core.records import ZERO_REF, OnchainAttestation
from attest.core.report_summary import Basis
from attest.core.storage import contract_layout, word_of_address, word_of_bytes32, word_of_uint
from attest.core.verification import Check, Evidence, Report, rest

if TYPE_CHECKING:
    from attest.app.log_proofs import LogProver
    from attest.app.window import Window
    from attest.chain.deployment import Deployment


@dataclass(frozen=True)
class ProofPolicy:
    """How a verification settles on its trusted block, from the command line."""

    urls: tuple[str, ...]  # every node to ask for the block's hash (the first serves the proofs)
    quorum: int | None = None  # how many must agree (None: all)
    checkpoint: Checkpoint | None = None  # `--trust-block NUMBER:HASH`
    require: bool = False  # `--require-proofs`: an unproven verdict fails
    operators: Mapping[str, str] = field(default_factory=dict)  # who runs each node (the manifest's list)


class Prover:
    """Proofs for every report of one command, against one trusted header settled at the start."""

    def __init__(self, deployment: Deployment, policy: ProofPolicy) -> None:
        self.deployment = deployment
        self.policy = policy
        self.header: TrustedHeader | None = None
        self.unproven: str | None = None
        self.code = ""
        self.code_problem: str | None = None
        self.registry = contract_layout(REGISTRY)
        self.governance = contract_layout(GOVERNANCE)
        # proven at the trusted block, kept for every report of the command (a bulk run proves a
        # chunk of targets' slots in one eth_getProof, see `prefetch`)
        self._records_seen: dict[str, ProvenRecord] = {}
        self._names_seen: dict[int, str] = {}
        self._accounts_seen: dict[str, tuple[int, bool]] = {}
        self._orgs_seen: dict[int, tuple[int, bool]] = {}
        self._bindings_seen: dict[str, str] = {}  # figures uid → its proven disclosure root's uid
        self.logs: LogProver | None = None
        self._grounds: dict[tuple[tuple[str, tuple[Ground, str]], ...], Grounds] = {}
        self._base: tuple[Ground, str] | None = None
        self._code_done = False
        self._session: HttpRpc | None = None
        self._by_hash = True
        self._window: Window | None = None
        self._basis: tuple[str | None, Basis] | None = None
        self._settle()

    @property
    def node(self) -> str:
        assert self.header is not None
        return self.header.agreed[0]

    def _settle(self) -> None:
        if not self.policy.urls:
            self.unproven = "the chain is reached without a JSON-RPC URL, so no node can be asked for proofs"
            return
        chain_family = family(self.deployment.manifest.family)
        confirmations = max(1, self.deployment.chain.confirmations)
        if not chain_family.proves_state:
            # the nodes are still compared (by the hashes they report); nothing is proven
            agreed = agree_on_hash(
                self.policy.urls,
                quorum=self.policy.quorum,
                confirmations=confirmations,
                checkpoint=self.policy.checkpoint,
                family=chain_family,
            )
            self.unproven = (
                f"{chain_family.unproven}; block {agreed.number} 0x{agreed.hash.hex()}: hash reported "
                f"alike by {len(agreed.agreed)} of {len(agreed.agreed) + len(agreed.dissent)} node(s)"
            )
            return
        # QuorumError (exit 3) when the nodes disagree or the header does not hash to the agreed hash
        self.header = settle_header(
            self.policy.urls,
            quorum=self.policy.quorum,
            confirmations=confirmations,
            checkpoint=self.policy.checkpoint,
            family=chain_family,
        )
        from attest.app.log_proofs import LogProver

        self.logs = LogProver(self.deployment, self.policy, self.header)

    def prove_code(self) -> None:
        """Prove the registry's code at the trusted block (once; a verdict's first registry proof
        does it on the way: the account proof is the same). A node that serves no proofs leaves
        everything unproven, said in `unproven`."""
        if self.header is None or self.unproven is not None or self._code_done:
            return
        try:
            self._prove(self.deployment.manifest.registry.address, [])
        except NodeRefused as exc:
            self.unproven = f"{self.node} serves no state proof for block {self.header.number} ({exc})"

    def _check_code(self, account: Any) -> None:
        """The registry's code at the trusted block is the artifact's, bound to the manifest's
        governance: its proven codeHash is keccak256 of the code `expected_registry_code` builds."""
        from eth_utils import keccak, to_checksum_address

        from attest.app.deployment_check import expected_registry_code

        manifest = self.deployment.manifest
        address = manifest.registry.address
        self._code_done = True
        governance = to_checksum_address(manifest.governance.address)
        expected = bytes(
            keccak(expected_registry_code(manifest.chain_id, to_checksum_address(address), governance))
        )
        if account.code_hash != expected:
            self.code_problem = (
                f"the registry's proven codeHash 0x{account.code_hash.hex()} is not that of the committed "
                f"artifact with membership = governance {governance} (0x{expected.hex()})"
            )
        else:
            self.code = (
                f"registry codeHash 0x{account.code_hash.hex()[:12]}… is the artifact's with "
                f"membership = governance {governance}"
            )

    def window(self) -> Window:
        """The other nodes' answers about revocations after the trusted block (attest.app.window),
        one per command."""
        if self._window is None:
            from attest.app.window import Window

            self._window = Window(self)
        return self._window

    def prefetch(self, uids: Sequence[str]) -> None:
        """Prove these attestations' slots (and their organisations' names) ahead, in one go: what a
        bulk run's chunk of targets will ask about (`attest.app.bulk.IndexedFacts.prefetch`); and ask
        the other nodes about their revocations since the trusted block, one batch each."""
        if self.header is None or self.unproven is not None:
            return
        fresh = [u for u in (x.lower() for x in uids) if u not in self._records_seen]
        if not fresh:  # proven before, with their organisations and attesters (and asked of the others)
            return
        self.window().prefetch(fresh)
        try:
            records = self._records(fresh)
            found = [r for r in records.values() if r.exists]
            self._governance(sorted({r.org_id for r in found}), sorted({r.attester.lower() for r in found}))
        except NodeRefused as exc:
            self.unproven = f"{self.node} serves no state proof for block {self.header.number} ({exc})"

    def proven_record(self, uid: str) -> ProvenRecord | None:
        """Attestation `uid`'s slot as proven at the trusted block (after `prefetch`), or None when it
        was not proven (nothing settled, a node that serves no proofs, not asked)."""
        if self.header is None or self.unproven is not None:
            return None
        return self._records_seen.get(uid.lower())

    def record_lies(self, records: Sequence[OnchainAttestation]) -> list[str]:
        """Every way the node's answers about these attestations contradict their slots proven at the
        trusted block (`prefetch` them first); each id is computed here from (organisation, digest),
        never taken from the node. Empty when nothing was proven."""
        if self.header is None or self.unproven is not None:
            return []
        lies: list[str] = []
        for a in records:
            uid, lie = own_uid(a)
            if lie is not None:
                lies.append(lie)
                continue
            record = self._records_seen.get(uid)
            if record is not None:
                lies.extend(record_lies(a, record, self.header.number))
        return lies

    def prove_disclosure_binding(self, figures_uid: str) -> str | None:
        """The disclosure root's attestation the registry binds to figures attestation `figures_uid`
        at the trusted block — its `_disclosureOf[figures_uid]` slot, proven by eth_getProof
        (`ZERO_REF` while none is bound) — or None when nothing can be proven (no trusted block, a node
        that serves no proofs: `unproven` says why). A binding is never cleared or changed once set."""
        if self.header is None or self.unproven is not None:
            return None
        uid = figures_uid.lower()
        if uid not in self._bindings_seen:
            reg = self.registry
            slot = reg.entry(reg.variable("_disclosureOf"), word_of_bytes32(uid)).slot
            try:
                word = self._prove(self.deployment.manifest.registry.address, [slot])[slot]
            except NodeRefused as exc:
                self.unproven = f"{self.node} serves no state proof for block {self.header.number} ({exc})"
                return None
            self._bindings_seen[uid] = "0x" + word.to_bytes(32, "big").hex()
        return self._bindings_seen[uid]

    @property
    def trusted_block(self) -> str:
        """The trusted block and who vouched for it, as a report line names it: `block N 0x… (hash
        agreed by …)` or `(checkpoint …)`."""
        assert self.header is not None
        return f"block {self.header.number} 0x{self.header.hash.hex()} ({self._vouched()})"

    def prefetch_logs(self, blocks: Iterable[int]) -> None:
        """Prove the logs of these blocks ahead (attest.app.log_proofs.LogProver.prefetch)."""
        if self.logs is not None:
            self.logs.prefetch(blocks)

    def vouched_head(self) -> int | None:
        """The highest head the trusted block vouches for: every node that agreed on it had it at least
        `confirmations` deep, so no head below `number + confirmations - 1` (a checkpoint vouches for
        its own block only). None when nothing was settled: the head is the node's word."""
        if self.header is None or self.unproven is not None:
            return None
        if self.header.checkpoint is not None:
            return self.header.number
        return self.header.number + max(1, self.deployment.chain.confirmations) - 1

    def attach(self, report: Report, ev: Evidence) -> None:
        """Add the `proofs` line of one report, and its `logs` line (attest.app.log_proofs); then each
        line of the report says what it rests on (`attest.core.verification.rest`), and with
        `--require-proofs` the lines resting on less than a proof fail."""
        logs = self.logs.check(report, ev) if self.logs is not None else None
        state = self._state(ev)
        lies = contradictions(ev, state) if state is not None else []
        later = after_block(ev, state) if state is not None else {}
        proofs = (
            proof_check(report, ev, state, lies=lies, later=later)
            if state is not None
            else unproven_check(self.unproven or "no trusted block", required=self.policy.require)
        )
        report.basis = self.basis()
        a = report.attestation
        if self.logs is not None and a is not None and proofs.status != "fail":
            proven = self.logs.proven_time(a.block_number, a.block_hash)
            if proven is not None:  # the header's own time, its hash agreed: no longer the node's word
                report.anchored_at, report.anchored_at_proven = proven, True
            revoked = None if a.revocation is None else self.logs.proven_time_of(a.revocation.block_number)
            if revoked is not None:
                report.revoked_at, report.revoked_at_proven = revoked, True
        report.checks.extend([proofs, *([logs] if logs is not None else [])])
        grounds = self.grounds(report, ev, state, logs, lies=lies, later=later)
        rest(report, grounds, require=self.policy.require)

    def grounds(
        self,
        report: Report,
        ev: Evidence,
        state: ProvenState | None,
        logs: Check | None,
        *,
        lies: list[str],
        later: dict[str, list[str]],
    ) -> Grounds:
        """How each kind of fact of one report was established: proven against the trusted block
        (`Ground.PROVEN` when independent nodes or a checkpoint vouch for it, else `ONE_NODE`), or the
        node's word — where nothing could be proven, where the node contradicts the proofs, for a
        record or a change newer than the trusted block, and for logs the receipts did not prove."""
        if state is None or self.header is None:
            return Grounds.node_only(self.unproven or "no trusted block")
        at = f"block {self.header.number}"
        facts: dict[str, tuple[Ground, str]] = dict.fromkeys(
            ("code", "record", "status", "others", "names", "standing", "logs", "head"), self.trusted_ground()
        )
        if lies or state.code_problem is not None:
            for fact in ("code", "record", "status", "others", "names", "standing"):
                facts[fact] = (Ground.NODE, f"the node contradicts the proofs at {at} (the proofs line)")
        if self.header.checkpoint is not None:
            # a revocation, a restatement or a key frozen after the checkpoint's block is in no proof,
            # and whether there is any block after it is the node's word too (a node that calls the
            # checkpoint its head hides all that followed): still so is the node's word (offline
            # verification calls these unknowable)
            since = (
                Ground.NODE,
                f"whether it changed after checkpoint block {self.header.number} is the node's word (its "
                f"head, {ev.head}, too): to prove it current, ask the nodes of two parties (--rpc-url "
                "twice) without --trust-block",
            )
            a = report.attestation
            held = state.records.get(a.uid.lower()) if a is not None else None
            if held is None or not held.revoked:  # a revocation proven at the checkpoint is final
                facts["status"] = min(facts["status"], since)
            facts["others"] = min(facts["others"], since)  # a covering or claiming statement revoked since
            facts["standing"] = min(facts["standing"], since)
        for fact, said in later.items():
            if said:
                facts[fact] = (Ground.NODE, "not provable at that block: " + "; ".join(said))
        if logs is not None and logs.status != "pass":
            facts["logs"] = (Ground.NODE, "not all proven by their blocks' receipts (the logs line)")
        vouched, a = self.vouched_head(), report.attestation
        required = ev.deployment.confirmations_required
        if vouched is not None and a is not None and vouched - a.block_number + 1 < required:
            # deep enough only by the node's head: the trusted block does not vouch for it
            facts["head"] = (
                Ground.NODE,
                f"the node's head {ev.head}; the trusted block vouches for {vouched}",
            )
        # thousands of reports of a bulk run rest on the same grounds: one Grounds (its memo warm)
        key = tuple(sorted(facts.items()))
        return self._grounds.setdefault(key, Grounds(facts))

    def trusted_ground(self) -> tuple[Ground, str]:
        """What a fact proven against the trusted block rests on: `PROVEN` when a checkpoint or two
        parties' nodes vouch for the block, else `ONE_NODE` (worked out once per command)."""
        if self._base is None:
            assert self.header is not None
            basis, at = self.basis(), f"block {self.header.number}"
            self._base = (
                (Ground.PROVEN, f"proven against {at} ({self._vouched()})")
                if basis.independent
                else (
                    Ground.ONE_NODE,
                    f"proven against {at}, whose hash only {basis.vouched_by()} gave: ask another "
                    "organisation's node too (--rpc-url again) or give --trust-block",
                )
            )
        return self._base

    def basis(self) -> Basis:
        """What this command's answers rest on, for the plain summary (attest.core.report_summary):
        worked out once per command (again only if proofs stop being served midway)."""
        if self._basis is None or self._basis[0] != self.unproven:
            self._basis = (self.unproven, self._work_out_basis())
        return self._basis[1]

    def _work_out_basis(self) -> Basis:
        ops = self._operators()
        if self.header is None or self.unproven is not None:
            first = (self.policy.urls or (self.deployment.chain.name,))[0]
            run_by = ops.get(_url(first))
            return Basis("node", (f"{first}, run by {run_by}" if run_by else first,))
        if self.header.checkpoint is not None:
            return Basis("checkpoint", (), block=self.header.number, checkpoint=str(self.header.checkpoint))
        agreed = [_url(u) for u in self.header.agreed]
        nodes = tuple(ops.get(u, u) for u in agreed)
        operators = tuple(dict.fromkeys(ops[u] for u in agreed if u in ops))
        return Basis("nodes", nodes, operators, block=self.header.number)

    def _state(self, ev: Evidence) -> ProvenState | None:
        """What the proofs show at the trusted block of the records, names and standings `ev` rests
        on (None: nothing could be proven; `unproven` says why)."""
        if self.header is not None and self.unproven is None:
            try:
                uids, named, accounts = uids_to_prove(ev), orgs_to_prove(ev), accounts_to_prove(ev)
                # the registry's slots and governance's in one batch request (the code on the way)
                self._prove_state(uids, named, accounts)
                records = {u: self._records_seen[u] for u in uids}  # proven just now, or before
                orgs = sorted({*named, *(r.org_id for r in records.values() if r.exists)})
                if any(i not in self._orgs_seen for i in orgs):  # a record's organisation not named
                    self._governance(orgs, accounts)
                names = {i: self._names_seen[i] for i in named}
                standing = {a: self._accounts_seen[a] for a in accounts}
                org_roles = {i: self._orgs_seen[i] for i in orgs}
            except NodeRefused as exc:
                self.unproven = f"{self.node} serves no state proof for block {self.header.number} ({exc})"
            self.prove_code()  # when no record was asked for
        if self.header is None or self.unproven is not None:
            return None
        return ProvenState(
            block=self.header.number,
            block_hash="0x" + self.header.hash.hex(),
            vouched=self._vouched(),
            node=self.node,
            records=records,
            org_names=names,
            code=self.code,
            code_problem=self.code_problem,
            accounts=standing,
            organisations=org_roles,
            require=self.policy.require,
        )

    def summary(self) -> str:
        """One line for a bulk run: which block every report's facts were proven against, or why not."""
        if self.header is None or self.unproven is not None:
            required = " (--require-proofs: every report fails)" if self.policy.require else ""
            return f"unproven: node's word ({self.unproven or 'no trusted block'}){required}"
        return (
            f"state facts of every report proven against block {self.header.number} "
            f"0x{self.header.hash.hex()} ({self._vouched()})"
        )

    def _operators(self) -> dict[str, str]:
        return operators_by_url(self.policy.operators)

    def _vouched(self) -> str:
        assert self.header is not None
        if self.header.checkpoint is not None:
            return f"checkpoint {self.header.checkpoint}"
        asked = len(self.header.agreed) + len(self.header.dissent)
        ops = self._operators()
        named = [f"{u} (run by {ops[_url(u)]})" if _url(u) in ops else u for u in self.header.agreed]
        return f"hash agreed by {len(self.header.agreed)} of {asked} node(s): {', '.join(named)}"

    def _records(self, uids: list[str]) -> dict[str, ProvenRecord]:
        """The proven records of `uids`, those not proven before read in one eth_getProof."""
        self._prove_state(uids, [], [])
        return {u: self._records_seen[u] for u in uids}

    def _governance(self, org_ids: list[int], accounts: list[str]) -> None:
        """Prove what is not proven yet of these organisations (name, roles, active) and accounts
        (organisation, frozen)."""
        self._prove_state([], org_ids, accounts)

    def _prove_state(self, uids: list[str], org_ids: list[int], accounts: list[str]) -> None:
        """Prove, in one batch request (eth_getProof of the registry and of governance), what is not
        proven yet of these attestations' records and `supersededBy`, these organisations' names,
        roles and active flags, and these accounts' organisations and frozen flags."""
        reg, gov = self.registry, self.governance
        # what is proven already is not asked again (nor are its slots computed: thousands of reports
        # of a bulk run share a few organisations and accounts)
        missing = [u for u in dict.fromkeys(uids) if u not in self._records_seen]
        new_orgs = [i for i in dict.fromkeys(org_ids) if i not in self._orgs_seen]
        new_accounts = [a for a in dict.fromkeys(accounts) if a not in self._accounts_seen]
        new_names = [i for i in dict.fromkeys(org_ids) if i not in self._names_seen]
        if not (missing or new_orgs or new_accounts or new_names or not self._code_done):
            return
        record_at = {u: reg.entry(reg.variable("_attestations"), word_of_bytes32(u)) for u in missing}
        replaced_at = {u: reg.entry(reg.variable("_supersededBy"), word_of_bytes32(u)).slot for u in missing}
        orgs_at = {
            i: gov.entry(gov.variable("_organisations"), word_of_uint(i)) for i in {*new_orgs, *new_names}
        }
        accounts_at = {a: gov.entry(gov.variable("_accounts"), word_of_address(a)) for a in new_accounts}
        name_at = {i: gov.member(gov.member(orgs_at[i], "info"), "name") for i in new_names}
        registry_slots = [s for u in missing for s in (record_at[u].slot, replaced_at[u])]
        governance_slots = list(
            dict.fromkeys(
                [
                    *(orgs_at[i].slot for i in new_orgs),
                    *(accounts_at[a].slot for a in new_accounts),
                    # a name of 32 bytes or more continues at keccak256(slot): its first slots asked too
                    *(s for at in name_at.values() for s in _name_and_continuation(at.slot)),
                ]
            )
        )
        manifest = self.deployment.manifest
        wanted: list[tuple[str, list[int]]] = []
        if registry_slots or not self._code_done:
            wanted.append((manifest.registry.address, registry_slots))
        if governance_slots:
            wanted.append((manifest.governance.address, governance_slots))
        if not wanted:
            return
        proven = dict(zip((a for a, _ in wanted), self._prove_all(wanted), strict=True))
        words = proven.get(manifest.registry.address, {})
        for u in missing:
            at, w = record_at[u], words[record_at[u].slot]
            attester = reg.read(reg.member(at, "attester"), w)
            replacement = "0x" + words[replaced_at[u]].to_bytes(32, "big").hex()
            self._records_seen[u] = ProvenRecord(
                uid=u,
                exists=attester != 0,
                attester="0x" + attester.to_bytes(20, "big").hex(),
                org_id=reg.read(reg.member(at, "orgId"), w),
                block_number=reg.read(reg.member(at, "blockNumber"), w),
                year=reg.read(reg.member(at, "year"), w),
                kind=reg.read(reg.member(at, "kind"), w),
                revoked=bool(reg.read(reg.member(at, "revoked"), w)),
                superseded_by=None if replacement == ZERO_REF else replacement,
            )
        if not governance_slots:
            return
        gwords = proven[manifest.governance.address]
        for i in new_orgs:
            w = gwords[orgs_at[i].slot]
            self._orgs_seen[i] = (
                gov.read(gov.member(orgs_at[i], "roles"), w),
                bool(gov.read(gov.member(orgs_at[i], "active"), w)),
            )
        for a in new_accounts:
            at, w = accounts_at[a], gwords[accounts_at[a].slot]
            self._accounts_seen[a] = (
                gov.read(gov.member(at, "orgId"), w),
                bool(gov.read(gov.member(at, "frozen"), w)),
            )
        more = [
            s for at in name_at.values() for s in gov.string_slots(at, gwords[at.slot]) if s not in gwords
        ]
        if more:  # a name longer than the continuation slots asked: a second, proven, read
            gwords.update(self._prove_all([(manifest.governance.address, more)])[0])
        for i, at in name_at.items():
            self._names_seen[i] = gov.read_string(at, gwords.__getitem__)

    def _get_proofs(self, wanted: list[tuple[str, list[int]]]) -> list[Any]:
        """eth_getProof at the trusted block, named by its hash (EIP-1898), so the node cannot answer
        for another block of that number (anvil under load, asked by number at its head, answered
        from another state). A node that takes no block hash is asked by number."""
        assert self.header is not None
        if self._session is None:  # one connection to the node for every proof of the command
            self._session = HttpRpc(self.node)
        if self._by_hash:
            try:
                return get_proofs(self._session, wanted, self.header.hash)
            except NodeRefused:
                self._by_hash = False
        return get_proofs(self._session, wanted, self.header.number)

    def _prove(self, address: str, slots: list[int]) -> dict[int, int]:
        """The proven words at `slots` of `address`'s storage at the trusted block."""
        return self._prove_all([(address, slots)])[0]

    def _prove_all(self, wanted: list[tuple[str, list[int]]]) -> list[dict[int, int]]:
        """The proven words at each account's slots at the trusted block, asked in one batch."""
        assert self.header is not None
        registry = self.deployment.manifest.registry.address.lower()
        answers = self._get_proofs(wanted)
        out: list[dict[int, int]] = []
        for (address, slots), answer in zip(wanted, answers, strict=True):
            account = bytes.fromhex(address.removeprefix("0x"))
            try:
                try:
                    proven = verify_account_proof(
                        self.header.state_root, answer, address=account, slots=slots
                    )
                except ProofRootMismatch:
                    # asked once more: anvil under load (a 100,000-attestation chain being dumped) now
                    # and then answers from another block's state; a proof is only ever accepted if it holds
                    (answer,) = self._get_proofs([(address, slots)])
                    proven = verify_account_proof(
                        self.header.state_root, answer, address=account, slots=slots
                    )
            except ProofError as exc:
                raise type(exc)(f"{self.node}: {exc}") from None
            if address.lower() == registry and not self._code_done:
                self._check_code(proven.account)
            out.append(dict(proven.storage))
        return out


def operators_by_url(operators: Mapping[str, str]) -> dict[str, str]:
    """Who runs each node the manifest lists, by URL as the quorum asks it (`_url`); one
    organisation written two ways (case, spacing, look-alike characters) is one name, the first
    written: two nodes of one operator are never counted as two parties."""
    first: dict[str, str] = {}
    return {_url(u): first.setdefault(normalise_name(o), o) for u, o in operators.items()}


def _url(url: str) -> str:
    """A node's URL as the quorum asks it (chain.quorum strips the trailing slash), so the manifest's
    operator of a node is found whichever way the URL was written."""
    return url.strip().rstrip("/")


def _name_and_continuation(slot: int) -> list[int]:
    """A string's slot and the first NAME_CONTINUATION_SLOTS it continues in (at keccak256(slot))."""
    from eth_utils import keccak

    start = int.from_bytes(keccak(slot.to_bytes(32, "big")), "big")
    return [slot, *(start + i for i in range(NAME_CONTINUATION_SLOTS))]


#: name slots proven into a receipt beyond the name's own: long names continue at keccak256(slot)
NAME_CONTINUATION_SLOTS = 4


def record_slot(uid: str) -> int:
    """The registry's storage slot of attestation `uid`'s record (`_attestations[uid]`)."""
    reg = contract_layout(REGISTRY)
    return reg.entry(reg.variable("_attestations"), word_of_bytes32(uid)).slot


def name_slots(org_id: int) -> list[int]:
    """The governance slots that hold organisation `org_id`'s name, for names up to 128 bytes."""
    gov = contract_layout(GOVERNANCE)
    info = gov.member(gov.entry(gov.variable("_organisations"), word_of_uint(org_id)), "info")
    return _name_and_continuation(gov.member(info, "name").slot)


def receipt_proofs(
    deployment: Deployment, attestations: Sequence[OnchainAttestation]
) -> dict[str, ProofPart]:
    """For each attestation, what its receipt needs to verify offline (receipt/2): its block's header
    and the proofs, at that block, of its record and its organisation's name. One JSON-RPC batch for
    all, with one eth_getProof per contract per block (every slot of that block's attestations in
    it; each receipt keeps the account proof and its own slots' entries); each proof is checked here
    before it is written. Empty when the node serves no proofs (the embedded chain, a node without
    eth_getProof, a block whose state the node no longer keeps): the receipt then stays receipt/1."""
    from attest.chain.proving import account_proof_from_rpc, as_int, header_from_block
    from attest.core.header import encode_header

    chain = deployment.chain
    chain_family = family(deployment.manifest.family)
    if not attestations or not chain.batches or not chain_family.proves_state:
        return {}
    registry, governance = deployment.manifest.registry.address, deployment.manifest.governance.address
    by_block: dict[int, list[OnchainAttestation]] = {}
    for a in attestations:
        by_block.setdefault(a.block_number, []).append(a)
    numbers = sorted(by_block)
    calls: list[tuple[str, list[Any]]] = []
    for n in numbers:
        records = sorted({record_slot(a.uid) for a in by_block[n]})
        names = sorted({s for a in by_block[n] for s in name_slots(a.org_id)})
        at = {"blockHash": by_block[n][0].block_hash}  # EIP-1898: that very block (see Prover._get_proof)
        calls.append(("eth_getBlockByNumber", [hex(n), False]))
        calls.append(("eth_getProof", [registry, [_key(s) for s in records], at]))
        calls.append(("eth_getProof", [governance, [_key(s) for s in names], at]))
    try:
        raw = chain.batch(calls)
    except ChainError:
        return {}  # no batch, no proofs: online verification only
    # an error answer (no eth_getProof; a block whose state is gone) leaves those receipts receipt/1
    answers: list[Any] = [a.get("result") if "error" not in a else None for a in raw]
    out: dict[str, ProofPart] = {}
    for i, n in enumerate(numbers):
        block, reg_answer, gov_answer = answers[3 * i : 3 * i + 3]
        first = by_block[n][0]
        try:
            header = chain_family.accept(header_from_block(block), bytes.fromhex(first.block_hash[2:]))
            for answer, address in ((reg_answer, registry), (gov_answer, governance)):
                asked = [as_int(e.get("key"), "key") for e in answer.get("storageProof", [])]
                verify_account_proof(
                    header.state_root, account_proof_from_rpc(answer), address=_address(address), slots=asked
                )
        except (ProofError, ChainError, AttributeError, TypeError, ValueError):
            continue  # the node's proof does not hold: write no proof rather than a wrong one
        encoded = "0x" + encode_header(header).hex()
        for a in by_block[n]:
            out[a.uid] = ProofPart(
                header=encoded,
                registry=_only(reg_answer, [record_slot(a.uid)]),
                governance=_only(gov_answer, name_slots(a.org_id)),
            )
    return out


def _only(answer: dict[str, Any], slots: list[int]) -> dict[str, Any]:
    """An eth_getProof answer with only the storage entries of `slots` (the account part whole)."""
    from attest.chain.proving import as_int

    wanted = set(slots)
    kept = [e for e in answer.get("storageProof", []) if as_int(e.get("key"), "key") in wanted]
    return {**answer, "storageProof": kept}


def _key(slot: int) -> str:
    return "0x" + slot.to_bytes(32, "big").hex()


def _address(address: str) -> bytes:
    return bytes.fromhex(address.removeprefix("0x"))
