"""The deployed consortium: deploy it, govern it, attest to it, read it back.

A `Deployment` pairs a `Chain` with a `Manifest`. Logs and records are only ever read from the
addresses in the manifest, so an event of the right shape emitted by another contract is never seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from web3.logs import DISCARD

from attest.chain.connection import Chain, SentTransaction
from attest.core.contracts import GOVERNANCE, REGISTRY, Action, Kind, load_artifact
from attest.core.errors import InputError, NoContract
from attest.core.manifest import ContractDeployment, Manifest, load_manifest
from attest.core.membership_history import GovernanceEvent, MembershipHistory
from attest.core.records import OnchainAttestation as OnchainAttestation
from attest.core.records import Organisation, OrganisationInfo, Published, Revocation, attestation_uid

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from eth_typing import ChecksumAddress

ZERO32 = b"\x00" * 32
DEFAULT_PROPOSAL_LIFETIME = 7 * 24 * 3600


class Deployment:
    """The governance and registry contracts of one deployment, on one chain."""

    def __init__(self, chain: Chain, manifest: Manifest) -> None:
        self.chain = chain
        self.manifest = manifest
        w3 = chain.w3
        gov_address, reg_address = (
            to_checksum(manifest.governance.address),
            to_checksum(manifest.registry.address),
        )
        self.governance = w3.eth.contract(address=gov_address, abi=load_artifact(GOVERNANCE).abi)
        self.registry = w3.eth.contract(address=reg_address, abi=load_artifact(REGISTRY).abi)

    # ---------------------------------------------------------------- lifecycle

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        deployer: LocalAccount,
        *,
        committee: Sequence[str],
        threshold: int,
        network: str,
        rpc_url: str | None = None,
    ) -> Deployment:
        """Deploy governance (with its first committee) and the registry bound to it."""
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
            deployed_at=int(chain.block(reg_tx.block_number)["timestamp"]),
            compiler=reg_art.compiler,
            governance=_deployed(gov_tx, str(gov_address), gov_art.sha256),
            registry=_deployed(reg_tx, str(reg_tx.receipt["contractAddress"]), reg_art.sha256),
        )
        return cls(chain, manifest)

    @classmethod
    def open(
        cls, manifest_path: str | Path, *, rpc_url: str | None = None, confirmations: int | None = None
    ) -> Deployment:
        """Connect to the chain a manifest names (or `rpc_url`) and check it is that deployment."""
        manifest = load_manifest(manifest_path)
        url = rpc_url or manifest.rpc_url
        if not url:
            raise InputError(
                "the manifest names no RPC URL (an embedded-chain deployment?): pass --rpc-url",
                path=manifest_path,
            )
        chain = Chain.connect(
            url,
            expected_chain_id=manifest.chain_id,
            confirmations=confirmations if confirmations is not None else manifest.confirmations,
        )
        for name, part in (("governance", manifest.governance), ("registry", manifest.registry)):
            if not chain.has_code(part.address):
                raise NoContract(f"no contract code at the manifest's {name} address {part.address} on {url}")
        return cls(chain, manifest)

    # ---------------------------------------------------------------- governance

    def propose(
        self, member: LocalAccount, action: Action, data: bytes, *, lifetime: int = DEFAULT_PROPOSAL_LIFETIME
    ) -> int:
        """Propose a governance action (the proposer's vote counts); return the proposal id."""
        expires = int(self.chain.block("latest")["timestamp"]) + lifetime
        sent = self._transact(member, self.governance.functions.propose(int(action), data, expires))
        (event,) = self.governance.events.ProposalCreated().process_receipt(sent.receipt, errors=DISCARD)
        return int(event["args"]["proposalId"])

    def vote(self, member: LocalAccount, proposal_id: int) -> SentTransaction:
        return self._transact(member, self.governance.functions.vote(proposal_id))

    def execute(self, member: LocalAccount, proposal_id: int) -> SentTransaction:
        return self._transact(member, self.governance.functions.execute(proposal_id))

    def enact(self, members: Sequence[LocalAccount], action: Action, data: bytes) -> SentTransaction:
        """Propose, collect the votes of `members`, execute: for scripts that hold enough committee keys."""
        proposal_id = self.propose(members[0], action, data)
        for member in members[1:]:
            self.vote(member, proposal_id)
        return self.execute(members[0], proposal_id)

    def admit(
        self, members: Sequence[LocalAccount], info: OrganisationInfo, roles: int, accounts: Sequence[str]
    ) -> int:
        """Admit an organisation by committee vote; return its id."""
        from attest.core.governance import admit_organisation

        sent = self.enact(members, Action.ADMIT_ORGANISATION, admit_organisation(info, roles, accounts).data)
        (event,) = self.governance.events.OrganisationAdmitted().process_receipt(sent.receipt, errors=DISCARD)
        return int(event["args"]["orgId"])

    def organisation(self, org_id: int) -> Organisation:
        raw = self.governance.functions.organisation(org_id).call()
        roles, active, info = raw
        accounts = self.governance.functions.organisationAccounts(org_id).call()
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
        count = int(self.governance.functions.organisationCount().call())
        return [self.organisation(i) for i in range(1, count + 1)]

    def find_organisation(self, name_or_id: str) -> int:
        """An organisation id from `--org`: a number, or an admitted organisation's exact name."""
        if name_or_id.isdigit():
            return int(name_or_id)
        matches = [o.org_id for o in self.organisations() if o.info.name == name_or_id]
        if len(matches) != 1:
            raise InputError(f"no single admitted organisation is named {name_or_id!r}", field="--org")
        return matches[0]

    def membership_history(self) -> MembershipHistory:
        """Every governance event since deployment, in order, in one log query."""
        logs = self.chain.rpc(
            lambda: self.chain.w3.eth.get_logs(
                {"address": self.governance.address, "fromBlock": self.manifest.governance.block_number}
            )
        )
        events_by_topic = {}
        for item in self.governance.abi:
            if item["type"] == "event":
                from eth_utils import event_abi_to_log_topic

                events_by_topic[event_abi_to_log_topic(item)] = item["name"]
        out = []
        for log in logs:
            name = events_by_topic.get(bytes(log["topics"][0]))
            if name is None:
                continue
            decoded = self.governance.events[name]().process_log(log)
            out.append(
                GovernanceEvent(int(log["blockNumber"]), int(log["logIndex"]), name, _plain(decoded["args"]))
            )
        return MembershipHistory.from_events(out)

    # ---------------------------------------------------------------- registry

    def attest(
        self,
        account: LocalAccount,
        digest: str,
        kind: Kind,
        year: int,
        *,
        ref: str | None = None,
        uri: str = "",
    ) -> Published:
        """Anchor `digest` for the account's organisation — unless that organisation already has.

        Idempotent: re-running a publish after a crash or error finds the existing attestation and
        reports it as done instead of failing or anchoring twice.
        """
        existing = self.anchored_by(account.address, digest)
        if existing is not None:
            return Published(existing, gas_used=None, already_anchored=True)
        sent = self._transact(account, self._attest_call(digest, kind, year, ref, uri))
        (event,) = self.registry.events.Attested().process_receipt(sent.receipt, errors=DISCARD)
        found = self.attestation(event["args"]["uid"].hex())
        assert found is not None  # just mined in a successful transaction
        return Published(found, gas_used=sent.gas_used, already_anchored=False)

    def attest_transaction(
        self,
        account: LocalAccount,
        digest: str,
        kind: Kind,
        year: int,
        *,
        ref: str | None = None,
        uri: str = "",
    ) -> dict[str, Any]:
        """The unsigned `attest` call (to, data), for senders that sign and record before sending."""
        return unsigned_call(self._attest_call(digest, kind, year, ref, uri), account)

    def _attest_call(self, digest: str, kind: Kind, year: int, ref: str | None, uri: str) -> Any:
        return self.registry.functions.attest(
            bytes.fromhex(digest), int(kind), year, bytes.fromhex(ref[2:]) if ref else ZERO32, uri
        )

    def anchored_by(self, address: str, digest: str) -> OnchainAttestation | None:
        """The attestation of `digest` that `address`'s organisation already has (None if it has
        none, or the address belongs to no organisation): what makes publishing safe to re-run."""
        org_id = self.account_org(address)
        return self.attestation_of(org_id, digest) if org_id else None

    def account_org(self, address: str) -> int:
        """The organisation an account signs for today (0 if none)."""
        return int(self.governance.functions.accountStatus(address).call()[0])

    def uid_of(self, org_id: int, digest: str) -> str:
        return attestation_uid(org_id, bytes.fromhex(digest))

    def attestation_of(self, org_id: int, digest: str) -> OnchainAttestation | None:
        """The organisation's attestation of `digest` (one storage read, then its event), or None."""
        return self.attestation(self.uid_of(org_id, digest))

    def attestation(self, uid: str) -> OnchainAttestation | None:
        uid_bytes = bytes.fromhex(uid.removeprefix("0x"))
        record = self.registry.functions.getAttestation(uid_bytes).call()
        if int(record[0], 16) == 0:
            return None
        (log,) = self.registry.events.Attested().get_logs(
            from_block=self.manifest.registry.block_number, argument_filters={"uid": uid_bytes}
        )
        return self._assemble(log, record)

    def attestations_of_digest(self, digest: str) -> list[OnchainAttestation]:
        """Every organisation's attestation of `digest`, found through the indexed digest topic."""
        logs = self.registry.events.Attested().get_logs(
            from_block=self.manifest.registry.block_number,
            argument_filters={"digest": bytes.fromhex(digest)},
        )
        out = []
        for log in logs:
            record = self.registry.functions.getAttestation(log["args"]["uid"]).call()
            out.append(self._assemble(log, record))
        return out

    def attestations_by_org(self, org_id: int) -> list[OnchainAttestation]:
        """Every attestation an organisation made, through the indexed orgId topic."""
        logs = self.registry.events.Attested().get_logs(
            from_block=self.manifest.registry.block_number, argument_filters={"orgId": org_id}
        )
        return [
            self._assemble(log, self.registry.functions.getAttestation(log["args"]["uid"]).call())
            for log in logs
        ]

    def covering_statements(self, figures_uid: str) -> list[OnchainAttestation]:
        """Verification statements whose reference is this figures attestation."""
        logs = self.registry.events.Covered().get_logs(
            from_block=self.manifest.registry.block_number,
            argument_filters={"figuresUid": bytes.fromhex(figures_uid.removeprefix("0x"))},
        )
        found = [self.attestation("0x" + log["args"]["statementUid"].hex()) for log in logs]
        return [a for a in found if a is not None]

    def block_hash(self, number: int) -> str | None:
        """The hash of block `number` on this chain, or None if it does not exist."""
        if number > self.chain.head():
            return None
        block = self.chain.block(number)
        return None if block is None else str(block["hash"].to_0x_hex())

    def revoke(self, account: LocalAccount, uid: str, reason: str) -> SentTransaction:
        return self._transact(
            account, self.registry.functions.revoke(bytes.fromhex(uid.removeprefix("0x")), reason)
        )

    def _assemble(self, log: Any, record: Sequence[Any]) -> OnchainAttestation:
        args = log["args"]
        uid = args["uid"]
        attester, org_id, _block, year, kind, revoked = record
        revocation = None
        if revoked:
            (rlog, *_) = self.registry.events.Revoked().get_logs(
                from_block=int(log["blockNumber"]), argument_filters={"uid": uid}
            )
            r = rlog["args"]
            revocation = Revocation(int(rlog["blockNumber"]), int(r["orgId"]), r["by"], r["reason"])
        replacement = self.registry.functions.supersededBy(uid).call()
        return OnchainAttestation(
            uid="0x" + uid.hex(),
            digest=args["digest"].hex(),
            org_id=int(org_id),
            attester=attester,
            kind=Kind(int(kind)),
            year=int(year),
            ref="0x" + args["ref"].hex(),
            uri=args["uri"],
            block_number=int(log["blockNumber"]),
            log_index=int(log["logIndex"]),
            block_hash=log["blockHash"].to_0x_hex(),
            transaction_hash=log["transactionHash"].to_0x_hex(),
            revoked=bool(revoked),
            revocation=revocation,
            superseded_by=None if replacement == ZERO32 else "0x" + replacement.hex(),
        )

    def _transact(self, account: LocalAccount, fn: Any) -> SentTransaction:
        return self.chain.send(account, unsigned_call(fn, account))


def unsigned_call(fn: Any, account: LocalAccount) -> dict[str, Any]:
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


def _plain(value: Any) -> Any:
    """AttributeDicts and tuples from web3 into plain dicts/lists (struct args become dicts)."""
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
