"""One decoder per registry event (attest.chain.events), checked against web3's ABI decoding on the
logs of a real node, in both forms a log comes in: formatted by web3, and raw from a JSON-RPC batch."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from conftest import Consortium

from attest.chain import events
from attest.chain.anchoring import revoke
from attest.core.contracts import Kind


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.anvil
def test_each_event_decodes_as_web3_decodes_it(anvil_consortium: Consortium) -> None:
    c = anvil_consortium
    dep = c.dep
    figures = dep.attest(c.bank, sha("figures"), Kind.FIGURES, 2022, uri="https://example.org/f.json")
    dep.attest(c.verifier, sha("statement"), Kind.STATEMENT, 2022, ref=figures.attestation.uid)
    dep.attest(c.bank, sha("restated"), Kind.FIGURES, 2022, ref=figures.attestation.uid)
    revoke(dep, c.bank, figures.attestation.uid, "restated: see the new figures")

    query: dict[str, Any] = {"address": dep.registry.address, "fromBlock": dep.manifest.registry.block_number}
    formatted = list(c.chain.w3.eth.get_logs(query))  # type: ignore[arg-type]
    raw_query = {**query, "fromBlock": hex(query["fromBlock"])}
    (answer,) = c.chain.batch([("eth_getLogs", [raw_query])])
    raw = c.chain.result(answer, "eth_getLogs")
    assert len(formatted) == len(raw) == 6  # 3 Attested, then Covered, Superseded, Revoked
    t = events.topics()
    seen: set[str] = set()
    for log, raw_log in zip(formatted, raw, strict=True):
        for form in (log, raw_log):
            topic = events.topic0(form)
            if topic == t.attested:
                ours = events.attested(form)
                args = dep.registry.events.Attested().process_log(log)["args"]
                assert (ours.uid, ours.digest, ours.org_id, ours.attester) == (
                    "0x" + args["uid"].hex(),
                    args["digest"].hex(),
                    args["orgId"],
                    args["attester"],
                )
                assert (ours.kind, ours.year, ours.ref, ours.uri) == (
                    Kind(args["kind"]),
                    args["year"],
                    "0x" + args["ref"].hex(),
                    args["uri"],
                )
                assert (ours.block_number, ours.log_index, ours.transaction_hash, ours.block_hash) == (
                    log["blockNumber"],
                    log["logIndex"],
                    log["transactionHash"].to_0x_hex(),
                    log["blockHash"].to_0x_hex(),
                )
                seen.add("Attested")
            elif topic == t.covered:
                covered = events.covered(form)
                args = dep.registry.events.Covered().process_log(log)["args"]
                assert covered == events.Covered(
                    "0x" + args["figuresUid"].hex(), "0x" + args["statementUid"].hex(), args["verifierOrgId"]
                )
                seen.add("Covered")
            elif topic == t.superseded:
                args = dep.registry.events.Superseded().process_log(log)["args"]
                assert events.superseded(form) == ("0x" + args["uid"].hex(), "0x" + args["replacement"].hex())
                seen.add("Superseded")
            elif topic == t.revoked:
                uid, revocation = events.revoked(form)
                args = dep.registry.events.Revoked().process_log(log)["args"]
                assert uid == "0x" + args["uid"].hex()
                assert (revocation.org_id, revocation.by, revocation.reason) == (
                    args["orgId"],
                    args["by"],
                    args["reason"],
                )
                assert revocation.block_number == log["blockNumber"]
                seen.add("Revoked")
    assert seen == {"Attested", "Covered", "Superseded", "Revoked"}


def test_attested_by_keeps_only_the_registry_s_own_events(consortium: Consortium) -> None:
    """A receipt's logs may hold an `Attested` of the same shape from another contract: only the
    manifest's registry counts."""
    c = consortium
    sent = c.dep.attest(c.bank, sha("one"), Kind.FILE, 2022)
    receipt = c.chain.w3.eth.get_transaction_receipt(sent.attestation.transaction_hash)  # type: ignore[arg-type]
    logs = list(receipt["logs"])
    (found,) = events.attested_by(logs, c.dep.registry.address)
    assert found.uid == sent.attestation.uid
    impostor = {**logs[0], "address": c.dep.governance.address}
    assert events.attested_by([impostor], c.dep.registry.address) == []


def testattested_data_decodes_as_eth_abi_and_refuses_what_it_refuses() -> None:
    import os
    import random

    from eth_abi import decode, encode
    from eth_abi.exceptions import DecodingError

    from attest.chain.events import attested_data

    types = ["address", "uint8", "uint16", "bytes32", "string"]
    rng = random.Random(7)
    for n in range(200):
        uri = "".join(rng.choice("aé€😀/:") for _ in range(rng.randrange(0, 90)))
        values = ["0x" + os.urandom(20).hex(), rng.randrange(256), rng.randrange(65536), os.urandom(32), uri]
        data = encode(types, values)
        attester, kind, year, ref, text = attested_data(data)
        expected = decode(types, data)
        assert ("0x" + attester.hex(), kind, year, ref, text) == (expected[0].lower(), *expected[1:]), n
    good = bytearray(encode(types, ["0x" + "11" * 20, 3, 2022, b"\0" * 32, "https://x"]))
    broken = {
        "address padding": (0, 1),
        "uint8 overflow": (32 + 30, 1),
        "uint16 overflow": (64 + 29, 1),
        "offset": (128 + 31, 0x20),
        "length": (160 + 31, 0x40),
        "string padding": (len(good) - 1, 1),
    }
    for what, (at, value) in broken.items():
        bad = bytearray(good)
        bad[at] = value
        with pytest.raises(ValueError):
            attested_data(bytes(bad))
            pytest.fail(what)
        with pytest.raises((DecodingError, ValueError)):  # eth_abi refuses it too (it is not our quirk)
            decode(types, bytes(bad))
    with pytest.raises(ValueError):
        attested_data(bytes(good[:-32]))  # truncated
    with pytest.raises(UnicodeDecodeError):
        attested_data(
            encode(
                ["address", "uint8", "uint16", "bytes32", "bytes"],
                ["0x" + "11" * 20, 3, 2022, b"\0" * 32, b"\xff"],
            )
        )
