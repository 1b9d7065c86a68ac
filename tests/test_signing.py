"""Off-line signed verification statements: `attest.app.signing` on the embedded chain, and
`attest sign-statement` / `attest relay` through the real entry point against a real anvil node.

The signer's side never touches a chain (--nonce given, the manifest names no RPC URL); the relayer is
an account with no role at all, which is the point: the registry checks the signer, not the sender.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, Consortium, build_consortium
from worlds import run_attest

from attest.app.publishing import build_receipt, publish
from attest.app.signing import (
    ATTEST_TYPES,
    SignedRequest,
    deadline_in,
    load_signed,
    parse_signed,
    recover_signer,
    relay,
    sign_statement,
    signable,
)
from attest.app.verify import verify_target
from attest.chain.connection import Chain
from attest.chain.keystore import create_keystore
from attest.core.contracts import Kind
from attest.core.documents import hash_document
from attest.core.errors import InputError, SchemaError, TransactionReverted
from attest.core.receipt import receipt_path
from attest.devtools.node import AnvilNode, dev_private_keys

FIGURES = EXAMPLES / "webank-2022-figures.json"
STATEMENT = EXAMPLES / "illustrative-carbon-verification-2022.json"
PASSWORD = "signing test password 42"


@pytest.fixture(scope="module")
def _world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Consortium, str, Path]:
    work = tmp_path_factory.mktemp("signing")
    c = build_consortium(Chain.embedded())
    shutil.copy(FIGURES, work / FIGURES.name)
    shutil.copy(STATEMENT, work / STATEMENT.name)
    figures = publish(c.dep, c.bank, work / FIGURES.name, kind=Kind.FIGURES)
    return c, figures.published.attestation.uid, work / STATEMENT.name


@pytest.fixture
def world(_world: tuple[Consortium, str, Path]) -> Iterator[tuple[Consortium, str, Path]]:
    tester = _world[0].chain.tester
    snapshot = tester.take_snapshot()
    try:
        yield _world
    finally:
        tester.revert_to_snapshot(snapshot)


def signed(c: Consortium, figures_uid: str, statement: Path, **kw: Any) -> SignedRequest:
    doc = hash_document(statement, structured=True)
    args: dict[str, Any] = {"nonce": 0, "deadline": deadline_in(1)}
    args.update(kw)
    account = args.pop("account", c.verifier)
    return sign_statement(account, doc, year=2022, covers=figures_uid, manifest=c.dep.manifest, **args)


def test_typed_data_is_eth_sign_typed_data_v4_and_domain_matches_the_contract(
    world: tuple[Consortium, str, Path],
) -> None:
    c, uid, statement = world
    request = signed(c, uid, statement)
    data = json.loads(request.dump())
    assert data["schema"] == "esg-attest/signed-attestation/1"
    assert data["typed_data"]["primaryType"] == "Attest" and data["typed_data"]["types"] == ATTEST_TYPES
    assert signable(request.typed_data).header == c.dep.registry.functions.domainSeparator().call()
    assert data["typed_data"]["message"]["kind"] == int(Kind.STATEMENT)
    assert data["typed_data"]["message"]["ref"] == uid
    assert recover_signer(request) == c.verifier.address


def test_relay_by_an_account_without_any_role_anchors_for_the_signer(
    world: tuple[Consortium, str, Path],
) -> None:
    c, uid, statement = world
    request = parse_signed(json.loads(signed(c, uid, statement).dump()))
    assert c.dep.account_org(c.outsider.address) == 0
    published = relay(c.dep, c.outsider, request)
    a = published.attestation
    assert (a.attester, a.org_id, a.kind, a.ref, a.year) == (
        c.verifier.address,
        c.verifier_id,
        Kind.STATEMENT,
        uid,
        2022,
    )
    assert c.dep.registry.functions.nonces(c.verifier.address).call() == 1
    assert [s.uid for s in c.dep.covering_statements(uid)] == [a.uid]
    receipt = build_receipt(c.dep, hash_document(statement, structured=True), a)
    receipt_path(statement).write_bytes(receipt.dump())
    try:
        report = verify_target(c.dep, str(statement))
        assert report.verified, report.checks
    finally:
        receipt_path(statement).unlink()


def test_relay_is_journaled_and_a_lost_block_is_resent_as_the_same_bytes(
    world: tuple[Consortium, str, Path], tmp_path: Path
) -> None:
    """Relaying goes through the anchor path with the journal: the relayer's attestBySig transaction
    is recorded before it is sent, and when the node loses its block the re-run re-sends the SAME
    transaction (not a new one: the signer's nonce would be spent by it anyway)."""
    from attest.app.journal import Journal

    c, uid, statement = world
    request = signed(c, uid, statement)
    lost_tail = c.chain.tester.take_snapshot()
    with Journal(tmp_path / "j.sqlite") as journal:
        first = relay(c.dep, c.outsider, request, journal=journal)
        (intent,) = journal.intents()
        assert intent.status == "anchored" and intent.tx_hash == first.attestation.transaction_hash
    c.chain.tester.revert_to_snapshot(lost_tail)  # the node comes back without that block
    with Journal(tmp_path / "j.sqlite") as journal:
        again = relay(c.dep, c.outsider, request, journal=journal)
        assert [e for _, e, _ in journal.events()] == ["signed", "sent", "mined", "resent", "mined"]
    assert again.attestation.transaction_hash == first.attestation.transaction_hash
    assert again.attestation.attester == c.verifier.address
    with Journal(tmp_path / "j.sqlite") as journal:  # and once more: nothing sent
        assert relay(c.dep, c.outsider, request, journal=journal).already_anchored


def test_edited_message_no_longer_matches_its_signature(world: tuple[Consortium, str, Path]) -> None:
    c, uid, statement = world
    data = json.loads(signed(c, uid, statement).dump())
    data["typed_data"]["message"]["year"] = 2021
    with pytest.raises(InputError, match="field 'signature': the signature is by 0x"):
        parse_signed(data)


def test_signer_that_is_not_the_attester_is_a_schema_error(world: tuple[Consortium, str, Path]) -> None:
    c, uid, statement = world
    data = json.loads(signed(c, uid, statement).dump())
    data["signer"] = c.bank.address
    with pytest.raises(SchemaError, match="field 'signer'"):
        parse_signed(data)


def test_document_digest_must_be_the_signed_digest(world: tuple[Consortium, str, Path]) -> None:
    c, uid, statement = world
    data = json.loads(signed(c, uid, statement).dump())
    data["document"]["digest"] = "ab" * 32
    with pytest.raises(SchemaError, match=r"field 'document\.digest'"):
        parse_signed(data)


def test_only_statements_can_be_signed(world: tuple[Consortium, str, Path]) -> None:
    c, uid, _ = world
    with pytest.raises(InputError, match="carbon-verification/1"):
        sign_statement(
            c.verifier,
            hash_document(FIGURES),
            year=2022,
            covers=uid,
            manifest=c.dep.manifest,
            nonce=0,
            deadline=deadline_in(1),
        )


def test_stale_nonce_is_rejected_by_the_contract(world: tuple[Consortium, str, Path]) -> None:
    c, uid, statement = world
    with pytest.raises(TransactionReverted) as exc:
        relay(c.dep, c.outsider, signed(c, uid, statement, nonce=5))
    assert exc.value.error_name == "InvalidSignature"


def test_deadline_hours_must_be_positive() -> None:
    assert deadline_in(2, now=1000) == 1000 + 7200
    with pytest.raises(InputError, match="--deadline-hours"):
        deadline_in(0)


# -- the command line, against a real anvil node


def run(*args: str | Path, password: str | None = PASSWORD) -> subprocess.CompletedProcess[str]:
    return run_attest(*args, env={} if password is None else {"ATTEST_PASSWORD": password}, timeout=120)


def test_cli_sign_offline_then_relay_then_verify(tmp_path: Path) -> None:
    node = AnvilNode(tmp_path / "node")
    node.start()
    try:
        c = build_consortium(Chain.connect(node.rpc_url), funder_key=dev_private_keys(1)[0])
        offline = tmp_path / "offline.json"  # what the air-gapped machine has: no RPC URL
        offline.write_bytes(c.dep.manifest.dump())
        online = tmp_path / "deployment.json"
        online.write_bytes(c.dep.manifest.model_copy(update={"rpc_url": node.rpc_url}).dump())
        shutil.copy(FIGURES, tmp_path / FIGURES.name)
        statement = tmp_path / STATEMENT.name
        shutil.copy(STATEMENT, statement)
        figures = publish(c.dep, c.bank, tmp_path / FIGURES.name, kind=Kind.FIGURES)
        verifier_ks, relayer_ks = tmp_path / "verifier.json", tmp_path / "relayer.json"
        create_keystore(verifier_ks, PASSWORD, private_key=c.verifier.key.hex())
        create_keystore(relayer_ks, PASSWORD, private_key=c.outsider.key.hex())
        figures_receipt = receipt_path(tmp_path / FIGURES.name)

        no_nonce = run("sign-statement", statement, "--covers", figures_receipt, "-d", offline,
                       "--keystore", verifier_ks)  # fmt: skip
        assert no_nonce.returncode == 2 and "pass --nonce" in no_nonce.stderr

        out = tmp_path / "signed.json"
        sign = run("sign-statement", statement, "--covers", figures_receipt, "-d", offline, "--keystore",
                   verifier_ks, "--nonce", "0", "--deadline-hours", "2", "--out", out, "--json")  # fmt: skip
        assert sign.returncode == 0, sign.stderr
        assert json.loads(sign.stdout)["covers"] == figures.published.attestation.uid
        assert load_signed(out).signer == c.verifier.address
        assert PASSWORD not in sign.stdout + sign.stderr

        relayed = run("relay", out, "-d", online, "--keystore", relayer_ks, "--json")
        assert relayed.returncode == 0, relayed.stderr
        result = json.loads(relayed.stdout)
        assert result["signer"] == c.verifier.address
        assert Path(result["receipt"]) == receipt_path(statement) and receipt_path(statement).is_file()

        verified = run("verify", statement, "-d", online, password=None)
        assert verified.returncode == 0, verified.stdout + verified.stderr

        head = c.chain.head()
        again = run("relay", out, "-d", online, "--keystore", relayer_ks)  # safe to re-run: nothing sent
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith("already anchored (nothing relayed):") and c.chain.head() == head
        # (a replay that reaches the registry anyway reverts: tests/test_adversarial.py)

        bad = run("sign-statement", statement, "--covers", "0x1234", "-d", offline, "--keystore",
                  verifier_ks, "--nonce", "1")  # fmt: skip
        assert bad.returncode == 2 and "--covers" in bad.stderr
    finally:
        node.stop()
