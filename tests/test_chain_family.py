"""The chain-family seam: the manifest names its chain's family, and what is proven follows from it.

On a FISCO BCOS deployment (`"family": "fisco-bcos"`) nothing can be proven — its nodes serve no
eth_getProof and its block hash is not computable here — so every state fact is the node's word:
said on the `proofs` line (the nodes still compared by the block hashes they report), failed by
`--require-proofs`. Shown against a real anvil with a manifest saying "fisco-bcos" (no FISCO BCOS
node can run here); an old manifest without the field reads as Ethereum-style and is proven.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import EXAMPLES, Consortium, second_party
from worlds import run_attest

from attest.app.publishing import publish
from attest.core.contracts import Kind
from attest.core.manifest import load_manifest, write_atomic

pytestmark = pytest.mark.anvil


def verify(target: Path, manifest: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return run_attest("verify", str(target), "-d", str(manifest), *more, timeout=120)


def proofs_line(done: subprocess.CompletedProcess[str]) -> str:
    return next(x for x in done.stdout.splitlines() if x.lstrip()[2:].startswith("proofs "))


def test_a_fisco_bcos_manifest_proves_nothing_and_says_so(
    anvil_consortium: Consortium, tmp_path: Path
) -> None:
    c = anvil_consortium
    figures = tmp_path / "webank-2022-figures.json"
    shutil.copy(EXAMPLES / "webank-2022-figures.json", figures)
    publish(c.dep, c.bank, figures, kind=Kind.FIGURES)
    data = {**json.loads(c.dep.manifest.dump()), "rpc_url": c.chain.name}
    assert data["family"] == "ethereum"  # written by every new deployment
    ethereum, old, fisco = tmp_path / "ethereum.json", tmp_path / "old.json", tmp_path / "fisco.json"
    write_atomic(ethereum, json.dumps(data).encode())
    write_atomic(old, json.dumps({k: v for k, v in data.items() if k != "family"}).encode())
    write_atomic(fisco, json.dumps({**data, "family": "fisco-bcos"}).encode())
    assert load_manifest(old).family == "ethereum"

    for manifest in (ethereum, old):
        nodes = ["--rpc-url", c.chain.name, *second_party(c.chain.name)]
        done = verify(figures, manifest, "--require-proofs", *nodes)
        assert done.returncode == 0, done.stdout + done.stderr
        assert proofs_line(done).lstrip().startswith("✓")

    done = verify(figures, fisco)
    assert done.returncode == 0, done.stdout + done.stderr
    line = proofs_line(done)
    assert (
        line.lstrip().startswith("·") and "unproven: node's word (FISCO BCOS serves no eth_getProof" in line
    )
    assert "hash reported alike by 1 of 1 node(s)" in line, line
    done = verify(figures, fisco, "--require-proofs")
    assert done.returncode == 1 and proofs_line(done).lstrip().startswith("✗"), done.stdout


def test_an_unknown_family_is_one_line_naming_the_known_ones(
    anvil_consortium: Consortium, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    write_atomic(
        bad,
        json.dumps({**json.loads(anvil_consortium.dep.manifest.dump()), "family": "hyperledger"}).encode(),
    )
    done = verify(EXAMPLES / "webank-2022-figures.json", bad)
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "family" in line and "unknown chain family 'hyperledger'" in line and "fisco-bcos" in line, line
