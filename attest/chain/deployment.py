"""The deployed consortium: deploy or open it, read it back.

A `Deployment` pairs a `Chain` with a `Manifest`. Logs and records are only ever read from the
addresses in the manifest, so an event of the right shape emitted by another contract is never seen.
The writes live apart, each taking the `Deployment`: the committee's governance in
`attest.chain.committee`, the registry's write path (anchoring, revoking) in `attest.chain.anchoring`
(`Deployment.attest` is one request through it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attest.chain import events
from attest.chain.connection import Chain, SentTransaction
from attest.chain.contract import BoundContract, selector
from attest.core.chain_family import DEFAULT_FAMILY
from attest.core.contracts import GOVERNANCE, REGISTRY, Kind, load_artifact
from attest.core.credits import ClaimRecord, NeutralityRecord
from attest.core.errors import ChainError, InputError, NoContract
from attest.core.manifest import ContractDeployment, Manifest, load_manifest
from attest.core.membership_history import GovernanceEvent, MembershipHistory
from attest.core.records import OnchainAttestation as OnchainAttestation
from attest.core.records import (
    Organisation,
    OrganisationInfo,
    Published,
    Revocation,
    StoredState,
    attestation_uid,
    settled,
)

if TYPE_CHECKING:
    from eth_typing import ChecksumAddress

    from attest.chain.signer import Signer

STATES_PER_BATCH = 250  # attestations whose storage one JSON-RPC batch reads (two eth_calls each)
OR_TOPICS = 100  # uids one log query names; for more, the event's logs are read whole and filtered


class Deployment:
    """The governance and registry contracts of one deployment, on one chain."""

    def __init__(self, chain: Chain, manifest: Manifest) -> None:
        self.chain = chain
        self.manifest = manifest
        self.governance = BoundContract(chain, manifest.governance.address, GOVERNANCE)
        self.registry = BoundContract(chain, manifest.registry.address, REGISTRY)

    # ---------------------------------------------------------------- lifecycle

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        deployer: Signer,
        *,
        committee: Sequence[str],
        threshold: int,
        network: str,
        rpc_url: str | None = None,
        family: str = DEFAULT_FAMILY,
    ) -> Deployment:
        """Deploy governance (with its first committee) and the registry bound to it; the manifest
        names the chain's family (attest.core.chain_family)."""
        if not committee:
            raise InputError("the committee needs at least one member")
        if not 1 <= threshold <= len(committee):
            raise InputError(
                f"threshold {threshold} must be between 1 and the committee size {len(committee)}"
            )
        gov_art, reg_art = load_artifact(GOVERNANCE), load_artifact(REGISTRY)
        w3 = chain.w3
        gov_factory = w3.eth.contract(abi=gov_art.abi, bytecode=gov_art.bytecode)
        gov_tx = chain.send(
            deployer, unsigned_call(gov_factory.constructor(list(committee), threshold), deployer)
        )
        gov_address = gov_tx.receipt["contractAddress"]
        reg_factory = w3.eth.contract(abi=reg_art.abi, bytecode=reg_art.bytecode)
        reg_tx = chain.send(deployer, unsigned_call(reg_factory.constructor(gov_address), deployer))
        manifest = Manifest(
            network=network,
            chain_id=chain.chain_id,
            rpc_url=rpc_url,
            confirmations=chain.confirmations,
            deployed_at=chain.timestamp(reg_tx.block_number),
            compiler=reg_art.compiler,
            governance=_deployed(gov_tx, str(gov_address), gov_art.sha256),
            registry=_deployed(reg_tx, str(reg_tx.receipt["contractAddress"]), reg_art.sha256),
            family=family,
        )
        return cls(chain, manifest)

    @classmethod
    def open(
        cls, manifest_path: str | Path, *, rpc_url: str | None = None, confirmations: int | None = None
    ) -> Deployment:
        """Connect to the chain a manifest names (or `rpc_url`) and check it is that deployment."""
        manifest = load_manifest(manifest_path)
        url = rpc_url or next(iter(manifest.node_urls()), None)
        if not url:
            raise InputError(
                "the manifest names no RPC URL (an embedded-chain deployment?): pass --rpc-url",
                path=manifest_path,
            )
        chain = Chain.connect(
            url, confirmations=confirmations if confirmations is not None else manifest.confirmations
        )
        parts = (("governance", manifest.governance), ("registry", manifest.registry))
        # the chain's id and both contracts' code in one round trip
        answers = chain.batch(
            [("eth_chainId", []), *(("eth_getCode", [part.address, "latest"]) for _, part in parts)]
        )
        chain.expect_chain_id(manifest.chain_id, chain.result(answers[0], "eth_chainId"))
        for (name, part), answer in zip(parts, answers[1:], strict=True):
            if str(chain.result(answer, "eth_getCode") or "0x") in ("0x", "0x0"):
                raise NoContract(f"no contract code at the manifest's {name} address {part.address} on {url}")
        return cls(chain, manifest)

    # ---------------------------------------------------------------- governance: reading

    def organisation(self, org_id: int) -> Organisation:
        roles, active, info = self.governance.call("organisation", org_id)
        accounts = self.governance.call("organisationAccounts", org_id)
        return Organisation(
            org_id=org_id,
            roles=int(roles),
            active=bool(active),
            info=OrganisationInfo(
                name=info[0],
                country=info[1],
                kind=info[2],
                accreditation_body=info[3],
                accreditation_number=info[4],
                uri=info[5],
                documents_digest=info[6].hex(),
            ),
            accounts=tuple(accounts),
        )

    def organisations(self) -> list[Organisation]:
        count = int(self.governance.call("organisationCount"))
        return [self.organisation(i) for i in range(1, count + 1)]

    def find_organisation(self, name_or_id: str) -> int:
        """An organisation id from `--org`: a number, or an admitted organisation's name.

        Names compare by their normalised form (`attest.core.names`), computed here from the display
        names read back, never from the keys admissions stored: the contract cannot check those. Two
        organisations with the same normalised name (admitted by a client that skipped the key, or
        before names were unique) make the name ambiguous: refused, naming both ids.
        """
        from attest.core.names import organisation_id

        if name_or_id.isdigit():
            return int(name_or_id)
        return organisation_id(name_or_id, {o.org_id: o.info.name for o in self.organisations()})

    def membership_history(self) -> MembershipHistory:
        """Every governance event since deployment, in order, in one log query (in ranges the node
        accepts, when it refuses the whole span: `attest.chain.index.scan_logs`)."""
        from attest.core.errors import ChainError, ChainUnreachable

        start = self.manifest.governance.block_number
        try:
            logs = events.matching(
                self.chain.call(
                    "eth_getLogs", [{"address": self.governance.address, "fromBlock": hex(start)}]
                ),
                self.governance.address,
                from_block=start,
                where=self.chain.name,
            )
        except ChainUnreachable:
            raise
        except ChainError:  # e.g. "block range too large": ask again in ranges
            from attest.chain.index import scan_logs

            logs = scan_logs(self, self.governance.address, start, self.chain.head())
        out = []
        for log in logs:
            decoded = self.governance.decode_log(log)
            if decoded is None:
                continue
            name, args = decoded
            out.append(
                GovernanceEvent(events.as_int(log["blockNumber"]), events.as_int(log["logIndex"]), name, args)
            )
        return MembershipHistory.from_events(out)

    # ---------------------------------------------------------------- registry: anchoring

    def attest(
        self,
        account: Signer,
        digest: str,
        kind: Kind,
        year: int,
        *,
        ref: str | None = None,
        uri: str = "",
    ) -> Published:
        """Anchor `digest` for the account's organisation — unless that organisation already has.

        Idempotent: re-running a publish after a crash or error finds the existing attestation and
        reports it as done instead of failing or anchoring twice. One request through
        `attest.chain.anchoring.anchor` (without a journal: for tests, the demo and scripts that need
        no crash safety).
        """
        from attest.chain.anchoring import AnchorRequest, anchor

        request = AnchorRequest(digest, kind, year, ref=ref, uri=uri)
        ((result,),) = anchor(self, account, [request])
        return result.unwrap()

    # ---------------------------------------------------------------- registry: reading

    def anchored_by(self, address: str, digest: str) -> OnchainAttestation | None:
        """The attestation of `digest` that `address`'s organisation already has (None if it has
        none, or the address belongs to no organisation): what makes publishing safe to re-run."""
        org_id = self.account_org(address)
        return self.attestation_of(org_id, digest) if org_id else None

    def account_org(self, address: str) -> int:
        """The organisation an account signs for today (0 if none)."""
        return int(self.governance.call("accountStatus", address)[0])

    def uid_of(self, org_id: int, digest: str) -> str:
        return attestation_uid(org_id, bytes.fromhex(digest))

    def attestation_of(self, org_id: int, digest: str) -> OnchainAttestation | None:
        """The organisation's attestation of `digest` (one storage read, then its event), or None."""
        return self.attestation(self.uid_of(org_id, digest))

    def attestation(self, uid: str) -> OnchainAttestation | None:
        found = self.attestations(["0x" + uid.removeprefix("0x").lower()])
        return found[0] if found else None

    def attestations(self, uids: Sequence[str]) -> list[OnchainAttestation]:
        """The attestations with these uids (0x-hex, lower case) that exist, in the order given."""
        logs = self._logs_of(events.topics().attested, uids)
        by_uid = {a.uid: a for a in map(events.attested, logs)}
        return self.settle([by_uid[u] for u in dict.fromkeys(uids) if u in by_uid])

    def attestations_of_digest(self, digest: str) -> list[OnchainAttestation]:
        """Every organisation's attestation of `digest`, found through the indexed digest topic."""
        logs = self._logs(events.topics().attested, None, "0x" + digest)
        return self.settle([events.attested(log) for log in logs])

    def attestations_by_org(self, org_id: int) -> list[OnchainAttestation]:
        """Every attestation an organisation made, through the indexed orgId topic."""
        logs = self._logs(events.topics().attested, None, None, "0x" + org_id.to_bytes(32, "big").hex())
        return self.settle([events.attested(log) for log in logs])

    def attested_logs_by_org(
        self, org_id: int, from_block: int | None = None, to_block: int | None = None
    ) -> list[Any]:
        """Every `Attested` log of an organisation, undecoded (`events.attested` decodes one,
        `events.attested_place` reads where and what it is): a history decodes only the page it
        shows. Read raw, in block ranges (`chain.index.scan_logs`): web3's formatting of 10,000
        logs costs a second or more. From the registry's deployment (or `from_block`) to the head
        (or `to_block`)."""
        from attest.chain.index import scan_logs

        topics = ["0x" + events.topics().attested.hex(), None, None, "0x" + org_id.to_bytes(32, "big").hex()]
        start = self.manifest.registry.block_number if from_block is None else from_block
        end = self.chain.head() if to_block is None else to_block
        return scan_logs(self, self.registry.address, start, end, topics)

    def covering_statements(self, figures_uid: str) -> list[OnchainAttestation]:
        """Verification statements whose reference is this figures attestation."""
        logs = self._logs(events.topics().covered, "0x" + figures_uid.removeprefix("0x").lower())
        covered = [events.covered(log) for log in logs]
        statements = self.attestations([c.statement_uid for c in covered])
        events.covering_checked(covered, {a.uid.lower(): a for a in statements}, self.chain.name)
        return statements

    def covering_statements_of(self, figures_uids: Sequence[str]) -> dict[str, list[OnchainAttestation]]:
        """`covering_statements` of each of these figures attestations (by lower-case uid), in one
        `Covered` query and one read of the statements: a history page's figures together."""
        uids = list(dict.fromkeys("0x" + u.removeprefix("0x").lower() for u in figures_uids))
        if not uids:
            return {}
        covered = [events.covered(log) for log in self._logs_of(events.topics().covered, uids)]
        statements = {a.uid.lower(): a for a in self.attestations([c.statement_uid for c in covered])}
        events.covering_checked(covered, statements, self.chain.name)
        out: dict[str, list[OnchainAttestation]] = {u: [] for u in uids}
        for c in covered:
            s, mine = statements.get(c.statement_uid.lower()), out.setdefault(c.figures_uid.lower(), [])
            if s is not None and s not in mine:
                mine.append(s)
        return out

    def neutrality_claims(self, statement_uids: Sequence[str]) -> dict[str, NeutralityRecord]:
        """The `NeutralityClaimed` record of each of these statements that has one."""
        out: dict[str, NeutralityRecord] = {}
        for log in self._logs_of(events.topics().neutrality_claimed, [u.lower() for u in statement_uids]):
            record = events.neutrality_claimed(log)
            out.setdefault(record.statement_uid, record)
        return out

    def credit_claims_of(self, statement_uid: str) -> list[ClaimRecord]:
        """The credit blocks a statement claims (`CreditClaimed`, by its indexed statement topic)."""
        logs = self._logs(events.topics().credit_claimed, None, statement_uid.lower())
        return [events.credit_claimed(log) for log in logs]

    def credit_claims_on(self, issuance_keys: Sequence[str]) -> list[ClaimRecord]:
        """Every claim, by any statement, on any of these issuances (by the indexed issuance topic)."""
        keys = list(dict.fromkeys(k.lower() for k in issuance_keys))
        return [events.credit_claimed(log) for log in self._logs_of(events.topics().credit_claimed, keys)]

    def credit_claims_all(self) -> list[ClaimRecord]:
        """Every claim on any issuance, by any statement (`CreditClaimed`, all of them, in log order)."""
        return [events.credit_claimed(log) for log in self._logs(events.topics().credit_claimed)]

    def settle(self, records: Sequence[OnchainAttestation]) -> list[OnchainAttestation]:
        """Attestations read from their `Attested` events, as they stand: revoked and superseded as the
        registry's storage says now (`stored_states`), with the history the events tell (who revoked
        and why, restatements since revoked). Those storage does not hold are left out."""
        states = self.stored_states([a.uid for a in records])
        present = [a for a in records if states[a.uid].exists]
        replacements: dict[str, list[str]] = {}
        for log in self._logs_of(events.topics().superseded, [a.uid for a in present]):
            uid, replacement = events.superseded(log)
            replacements.setdefault(uid, []).append(replacement)
        wanted = {a.uid for a in present if states[a.uid].revoked}
        for a in present:
            wanted.update(r for r in replacements.get(a.uid, ()) if r != states[a.uid].superseded_by)
        revocations: dict[str, Revocation] = {}
        for log in self._logs_of(events.topics().revoked, sorted(wanted)):
            uid, revocation = events.revoked(log)
            revocations.setdefault(uid, revocation)
        return [settled(a, states[a.uid], replacements.get(a.uid, ()), revocations) for a in present]

    def stored_states(self, uids: Sequence[str], *, block: int | None = None) -> dict[str, StoredState]:
        """What the registry's storage holds for each uid at `block` (default: the latest): whether
        it exists, its revoked flag (`getAttestation`) and its replacement (`supersededBy`).

        Both verify paths take revocation and supersession from here, never from events, which only
        tell the history. In JSON-RPC batch requests (STATES_PER_BATCH uids, two calls each)."""
        wanted = list(dict.fromkeys(uids))
        out: dict[str, StoredState] = {}
        tag = "latest" if block is None else hex(block)
        get, sup = selector(REGISTRY, "getAttestation"), selector(REGISTRY, "supersededBy")
        for i in range(0, len(wanted), STATES_PER_BATCH):
            chunk = wanted[i : i + STATES_PER_BATCH]
            calls = [
                ("eth_call", [{"to": self.registry.address, "data": "0x" + (selector + arg).hex()}, tag])
                for arg in (bytes.fromhex(u.removeprefix("0x")) for u in chunk)
                for selector in (get, sup)
            ]
            answers = iter(self.chain.batch(calls))
            for u in chunk:
                record = _as_bytes(self.chain.result(next(answers), "eth_call"))
                replacement = _as_bytes(self.chain.result(next(answers), "eth_call"))
                if len(record) != 6 * 32 or len(replacement) != 32:
                    raise ChainError(f"the registry answered getAttestation/supersededBy({u}) malformed")
                out[u] = _stored(any(record[:32]), any(record[5 * 32 :]), replacement)
        return out

    def disclosure_of(self, figures_uid: str) -> str | None:
        """The uid of the one disclosure root the registry binds to a figures attestation, or None."""
        bound = self.registry.call("disclosureOf", bytes.fromhex(figures_uid.removeprefix("0x")))
        return None if bound == bytes(32) else "0x" + bytes(bound).hex()

    def block_hash(self, number: int) -> str | None:
        """The hash of block `number` on this chain, or None if it does not exist."""
        if number > self.chain.head():
            return None
        return self.chain.block_hash(number)

    def _logs_of(self, topic0: bytes, uids: Sequence[str]) -> list[Any]:
        """The registry's logs with event `topic0` whose first indexed topic is one of `uids`, in
        order: one query naming them all, or, for more than OR_TOPICS, every such log, filtered here."""
        if not uids:
            return []
        if len(uids) <= OR_TOPICS:
            return self._logs(topic0, list(uids))
        wanted = {u.lower() for u in uids}
        return [log for log in self._logs(topic0) if "0x" + events.as_bytes(log["topics"][1]).hex() in wanted]

    def _logs(
        self, topic0: bytes, *indexed: str | list[str] | None, from_block: int | None = None
    ) -> list[Any]:
        """The registry's logs with event `topic0` and the given indexed topics (None: any; a list: any
        of them)."""
        start = self.manifest.registry.block_number if from_block is None else from_block
        topics = ["0x" + topic0.hex(), *indexed]
        query = {
            "address": self.registry.address,
            "fromBlock": hex(start),
            "toBlock": "latest",
            "topics": topics,
        }
        logs = self.chain.call("eth_getLogs", [query])
        if not isinstance(logs, list):
            raise ChainError(f"{self.chain.name} answered eth_getLogs with {logs!r:.80}, not a list")
        return events.matching(logs, self.registry.address, topics, from_block=start, where=self.chain.name)

    def transact(self, account: Signer, fn: Any) -> SentTransaction:
        return self.chain.send(account, unsigned_call(fn, account))


def _stored(exists: bool, revoked: bool, replacement: bytes) -> StoredState:
    return StoredState(exists, revoked, "0x" + replacement.hex() if any(replacement) else None)


def _as_bytes(data: Any) -> bytes:
    return bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)


def unsigned_call(fn: Any, account: Signer) -> dict[str, Any]:
    """Just `to` and `data` of a contract call: `Chain.send` fills gas (by a dry run), fees and nonce."""
    tx = fn.build_transaction({"from": account.address, "gas": 1, "gasPrice": 0, "nonce": 0, "chainId": 1})
    return {k: v for k, v in tx.items() if k in ("to", "data", "value")}


def to_checksum(address: str) -> ChecksumAddress:
    from eth_utils import to_checksum_address

    return to_checksum_address(address)


def _deployed(sent: SentTransaction, address: str, artifact_sha256: str) -> ContractDeployment:
    return ContractDeployment(
        address=address,
        transaction_hash=sent.tx_hash,
        block_number=sent.block_number,
        artifact_sha256=artifact_sha256,
    )
