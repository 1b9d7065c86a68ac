"""Every storage slot verification relies on is computed from the committed `storageLayout` and
proven here against the chain: the word read at the computed slot decodes to what the contract's
own view function answers. A layout change that moved a fact would fail here, not in an audit."""

from __future__ import annotations

import pytest
from conftest import VERIFIER_NAME, Consortium, build_consortium

from attest.chain.connection import Chain
from attest.core.contracts import GOVERNANCE, REGISTRY, Kind, load_artifact
from attest.core.storage import (
    LayoutError,
    Location,
    StorageLayout,
    word_of_address,
    word_of_bytes32,
    word_of_uint,
)


@pytest.fixture(scope="module")
def c() -> Consortium:
    consortium = build_consortium(Chain.embedded())
    dep = consortium.dep
    first = dep.attest(consortium.bank, "11" * 32, Kind.FIGURES, 2022).attestation
    dep.attest(consortium.bank, "22" * 32, Kind.FIGURES, 2022, ref=first.uid)
    dep.attest(consortium.bank, "33" * 32, Kind.FILE, 2023)
    return consortium


def layout(name: str) -> StorageLayout:
    return StorageLayout(load_artifact(name).storage_layout)


def word(c: Consortium, address: str, slot: int) -> int:
    return int.from_bytes(c.chain.w3.eth.get_storage_at(address, slot), "big")


def test_the_attestation_record_and_its_replacement_are_where_the_layout_says(c: Consortium) -> None:
    reg = layout(REGISTRY)
    address = c.dep.manifest.registry.address
    for a in c.dep.attestations_by_org(c.bank_id):
        record = reg.entry(reg.variable("_attestations"), word_of_bytes32(a.uid))
        w = word(c, address, record.slot)
        assert reg.read(reg.member(record, "attester"), w) == int(a.attester, 16)
        assert reg.read(reg.member(record, "orgId"), w) == a.org_id
        assert reg.read(reg.member(record, "blockNumber"), w) == a.block_number
        assert reg.read(reg.member(record, "year"), w) == a.year
        assert reg.read(reg.member(record, "kind"), w) == int(a.kind)
        assert reg.read(reg.member(record, "revoked"), w) == 0
        replaced = reg.entry(reg.variable("_supersededBy"), word_of_bytes32(a.uid))
        by = c.dep.registry.functions.supersededBy(bytes.fromhex(a.uid[2:])).call()
        assert word(c, address, replaced.slot).to_bytes(32, "big") == bytes(by)


def test_organisations_and_accounts_are_where_the_layout_says(c: Consortium) -> None:
    gov = layout(GOVERNANCE)
    address = c.dep.manifest.governance.address
    for org_id, name in ((c.bank_id, "WeBank"), (c.verifier_id, VERIFIER_NAME)):  # short and long
        org = gov.entry(gov.variable("_organisations"), word_of_uint(org_id))
        w = word(c, address, gov.member(org, "roles").slot)
        on_chain = c.dep.organisation(org_id)
        assert gov.read(gov.member(org, "roles"), w) == on_chain.roles
        assert gov.read(gov.member(org, "active"), w) == int(on_chain.active)
        at = gov.member(gov.member(org, "info"), "name")
        assert gov.read_string(at, lambda s: word(c, address, s)) == name == on_chain.info.name
        assert bool(gov.string_slots(at, word(c, address, at.slot))) == (len(name.encode()) >= 32)
    for account, org_id in ((c.bank.address, c.bank_id), (c.verifier.address, c.verifier_id)):
        entry = gov.entry(gov.variable("_accounts"), word_of_address(account))
        w = word(c, address, entry.slot)
        assert gov.read(gov.member(entry, "orgId"), w) == org_id
        assert gov.read(gov.member(entry, "frozen"), w) == 0


def test_a_wrong_question_is_refused() -> None:
    reg = layout(REGISTRY)
    with pytest.raises(LayoutError, match="no state variable"):
        reg.variable("_attestation")
    record = reg.entry(reg.variable("_attestations"), b"\0" * 32)
    with pytest.raises(LayoutError, match="no member"):
        reg.member(record, "digest")
    with pytest.raises(LayoutError, match="not a mapping"):
        reg.entry(record, b"\0" * 32)
    with pytest.raises(LayoutError, match="not a value type"):
        reg.read(record, 0)
    with pytest.raises(LayoutError, match="not a string"):
        reg.read_string(Location(0, 0, "t_bool"), lambda s: 0)


def test_the_registrys_code_is_known_from_the_artifact_and_the_manifest(c: Consortium) -> None:
    """What a proof of the registry's account must show as its codeHash, computed without the node:
    the artifact's code with each immutable (named by the compiler) filled in for this deployment."""
    from eth_utils import to_checksum_address

    from attest.app.deployment_check import expected_registry_code

    m = c.dep.manifest
    registry, governance = to_checksum_address(m.registry.address), to_checksum_address(m.governance.address)
    assert expected_registry_code(m.chain_id, registry, governance) == c.chain.code(registry)
    other = to_checksum_address("0x" + "11" * 20)
    assert expected_registry_code(m.chain_id, registry, other) != c.chain.code(registry)
