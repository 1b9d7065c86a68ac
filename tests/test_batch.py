"""attest.app.batch: many files, one Merkle root, one transaction, one receipt per file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import attest.app.batch
from attest.app.batch import publish_batch
from attest.core.batch_receipt import verify_batch_receipt
from attest.core.canonical import file_sha256
from attest.core.contracts import Kind
from attest.core.errors import InputError, UnfinishedOutput
from attest.core.merkle import verify_proof
from attest.core.receipt import Receipt, load_receipt, parse_receipt, receipt_path


def make_files(tmp_path: Path, n: int) -> list[Path]:
    files = []
    for i in range(n):
        p = tmp_path / f"loan-{i:03}.txt"
        p.write_text(f"green loan {i}\n")
        files.append(p)
    return files


def edited(receipt: Receipt, **merkle: Any) -> Receipt:
    data = json.loads(receipt.dump())
    data["merkle"].update(merkle)
    return parse_receipt(data)


def test_batch_on_chain(consortium: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = consortium
    files = make_files(tmp_path, 50)
    monkeypatch.setattr(attest.app.batch, "PROGRESS_EVERY", 20)
    calls: list[tuple[int, int]] = []
    head = c.chain.head()
    result = publish_batch(c.dep, c.bank, files, year=2024, progress=lambda d, t: calls.append((d, t)))
    assert c.chain.head() == head + 1  # exactly one transaction
    assert not result.published.already_anchored
    assert result.files == result.leaves == 50
    # every 20 files and at the end of each phase (hashing: 1..50, receipts: 51..100)
    assert calls == [(20, 100), (40, 100), (50, 100), (60, 100), (80, 100), (100, 100)]

    onchain = c.dep.attestation_of(c.bank_id, result.root)
    assert onchain is not None and onchain.kind is Kind.BATCH and onchain.year == 2024
    assert onchain.digest.removeprefix("0x") == result.root
    for f, out in zip(files, result.receipt_paths, strict=True):
        assert out == receipt_path(f) and out.exists()
        r = load_receipt(out)
        assert r.document.digest == file_sha256(f) and r.document.name == f.name
        assert r.attestation.uid == onchain.uid and r.chain.block_number == onchain.block_number
        assert r.merkle is not None and r.merkle.root == "0x" + result.root
        assert verify_batch_receipt(r)
        assert verify_proof(
            "0x" + onchain.digest.removeprefix("0x"), ["bytes32"], r.merkle.value, r.merkle.proof
        )

    # idempotent: no new block, same receipts; right ones are left untouched, a damaged one is mended
    before = [p.read_bytes() for p in result.receipt_paths]
    inodes = [p.stat().st_ino for p in result.receipt_paths]
    result.receipt_paths[3].write_bytes(before[3][:100])  # as if cut short
    result.receipt_paths[4].unlink()
    again = publish_batch(c.dep, c.bank, files, year=2024)
    assert c.chain.head() == head + 1
    assert again.published.already_anchored and again.root == result.root
    assert [p.read_bytes() for p in again.receipt_paths] == before
    after = [p.stat().st_ino for p in again.receipt_paths]
    assert all(after[i] == inodes[i] for i in range(50) if i not in (3, 4))  # not rewritten

    # an edited proof or value fails
    r = load_receipt(result.receipt_paths[7])
    assert r.merkle is not None
    other = load_receipt(result.receipt_paths[8]).merkle
    assert other is not None
    assert not verify_batch_receipt(edited(r, proof=other.proof))
    assert not verify_batch_receipt(edited(r, proof=[*r.merkle.proof[:-1], "0x" + "00" * 32]))
    assert not verify_batch_receipt(edited(r, proof=r.merkle.proof[:-1]))
    assert not verify_batch_receipt(edited(r, value=other.value))
    assert not verify_batch_receipt(edited(r, value=["0x1234"]))
    assert not verify_batch_receipt(edited(r, root="0x" + "00" * 32))

    # a file changed after publishing no longer matches its receipt
    files[7].write_text("green loan 7, quietly edited\n")
    assert "0x" + file_sha256(files[7]) != r.merkle.value[0]
    assert not verify_proof(r.merkle.root, ["bytes32"], ["0x" + file_sha256(files[7])], r.merkle.proof)


def test_duplicate_contents_share_a_leaf(consortium: Any, tmp_path: Path) -> None:
    c = consortium
    files = make_files(tmp_path, 3)
    twin = tmp_path / "twin.bin"
    twin.write_bytes(files[0].read_bytes())
    result = publish_batch(c.dep, c.bank, [*files, twin, files[1]], year=2024)
    assert result.leaves == 3 and result.files == 4  # same path twice counts once
    a, b = load_receipt(receipt_path(files[0])), load_receipt(receipt_path(twin))
    assert a.merkle == b.merkle and a.document.name != b.document.name
    assert verify_batch_receipt(a) and verify_batch_receipt(b)


def test_single_file_batch(consortium: Any, tmp_path: Path) -> None:
    c = consortium
    (f,) = make_files(tmp_path, 1)
    result = publish_batch(c.dep, c.bank, [f], year=2024)
    r = load_receipt(result.receipt_paths[0])
    assert r.merkle is not None and r.merkle.proof == []
    assert verify_batch_receipt(r)


def test_bad_input_never_reaches_the_chain(consortium: Any, tmp_path: Path) -> None:
    c = consortium
    head = c.chain.head()
    files = make_files(tmp_path, 2)
    with pytest.raises(InputError):
        publish_batch(c.dep, c.bank, [], year=2024)
    with pytest.raises(InputError):
        publish_batch(c.dep, c.bank, [*files, tmp_path / "missing"], year=2024)
    with pytest.raises(InputError):
        publish_batch(c.dep, c.bank, [*files, tmp_path], year=2024)
    with pytest.raises(InputError):
        publish_batch(c.dep, c.bank, files, year=1800)
    clash = tmp_path / "loan-000"  # loan-000 and loan-000.json share a receipt path
    clash.write_text("x")
    clash_json = tmp_path / "loan-000.json"
    clash_json.write_text("{}")
    with pytest.raises(InputError):
        publish_batch(c.dep, c.bank, [clash, clash_json], year=2024)
    assert c.chain.head() == head


def test_verify_batch_receipt_is_false_without_a_merkle_part(tmp_path: Path) -> None:
    from attest.core.receipt import AttestationPart, ChainPart, DocumentPart

    r = Receipt(
        document=DocumentPart(
            name="x", media_type="application/octet-stream", digest="ab" * 32, digest_rule="sha256-raw"
        ),
        attestation=AttestationPart(
            uid="0x" + "00" * 32,
            org_id=1,
            attester="0x" + "11" * 20,
            kind="batch",
            year=2024,
            ref="0x" + "00" * 32,
            uri="",
        ),
        chain=ChainPart(
            chain_id=1,
            registry="0x" + "22" * 20,
            transaction_hash="0x" + "33" * 32,
            block_number=1,
            block_hash="0x" + "44" * 32,
            timestamp=0,
        ),
    )
    assert not verify_batch_receipt(r)


def test_a_receipt_that_cannot_be_written_is_named_and_a_rerun_finishes(
    consortium: Any, tmp_path: Path
) -> None:
    c = consortium
    files = make_files(tmp_path, 5)
    blocked = receipt_path(files[2])
    blocked.mkdir()  # a directory where the receipt of the third file goes
    with pytest.raises(UnfinishedOutput, match=r"loan-002\.txt\.receipt\.json.*run the same command again"):
        publish_batch(c.dep, c.bank, files, year=2024)
    assert receipt_path(files[1]).is_file() and not receipt_path(files[3]).exists()
    blocked.rmdir()
    head = c.chain.head()
    again = publish_batch(c.dep, c.bank, files, year=2024)
    assert again.published.already_anchored and c.chain.head() == head
    assert all(verify_batch_receipt(load_receipt(p)) for p in again.receipt_paths)


def test_a_fifo_where_a_receipt_goes_is_replaced_not_read(consortium: Any, tmp_path: Path) -> None:
    """Reading a receipt back (to leave a right one untouched) must never open a FIFO: it would block."""
    import os
    import signal

    files = make_files(tmp_path, 3)
    os.mkfifo(receipt_path(files[1]))
    signal.alarm(60)  # a hang fails the test instead of stalling the suite
    try:
        result = publish_batch(consortium.dep, consortium.bank, files, year=2024)
    finally:
        signal.alarm(0)
    assert receipt_path(files[1]).is_file() and verify_batch_receipt(load_receipt(result.receipt_paths[1]))
