"""Who anchored the registry exports a statement pins is read once, with the rest of the statement's
evidence, and so proven like every record read.

Found by an adversarial review: `verify FIGURES --statement S` (`verify_pair`) judged the statement's
registry records a second time and, to do so, asked the node again who anchored each pinned export —
outside the `Reading` of the statement's evidence, so that answer was in nothing the provers prove.
A node that answers the first time as the chain is (the export is anchored by no one) and forges the
second answer (an `Attested` log of the export's digest) had its forgery printed as "anchored by …",
unproven, under `--require-proofs`. Now `gather` keeps the pinned exports in the evidence
(`Evidence.pinned_exports`) and `verify_pair` uses them: no second read. The same forgery in every
answer is caught by the proofs. Real anvil, real CLI; the first node is a proxy in front of the same
anvil.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLES
from lying_proxy import ATTESTED, ForgingProxy
from worlds import STATEMENT_EXAMPLE, World, anvil_world, run_attest, show, write_json

from attest.app.publishing import publish
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil

EXPORT = b"Serial Number,Retirement Date\n(an export of the registry's records, anchored by no one)\n"
SHA = hashlib.sha256(EXPORT).hexdigest()


def _pinning_statement(w: World) -> dict[str, Any]:
    """A statement covering the figures that pins an export (by sha256) no one anchored."""
    doc = json.loads((EXAMPLES / STATEMENT_EXAMPLE).read_text(encoding="utf-8"))
    doc["registry_records_sha256"] = [SHA]
    path = write_json(w.root / "pinning-statement.json", doc)
    a = publish(w.c.dep, w.c.verifier, path, kind=Kind.STATEMENT, ref=w.figures_uid).published.attestation
    return {"pinning": path, "pinning_digest": a.digest.removeprefix("0x").lower()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with anvil_world(tmp_path_factory.mktemp("pinned"), setup=_pinning_statement) as w:
        yield w


def _export_attested(w: World, after: int) -> Any:
    """eth_getLogs for the export's digest answered as the chain has it `after` times, then with the
    statement's own `Attested` log carrying the export's digest: "anchored by the verifier"."""
    template = w.c.chain.client.call(
        "eth_getLogs",
        [{"address": w.c.dep.manifest.registry.address, "fromBlock": "0x0", "toBlock": "latest",
          "topics": [ATTESTED, None, "0x" + w.pinning_digest]}],
    )[0]  # fmt: skip
    asked = [0]

    def forge(call: dict[str, Any], result: Any) -> Any:
        params = call.get("params") or [{}]
        topics = params[0].get("topics") if isinstance(params[0], dict) else None
        if call.get("method") != "eth_getLogs" or not topics or len(topics) < 3:
            return result
        if str(topics[2]).lower() != "0x" + SHA:
            return result
        asked[0] += 1
        if asked[0] <= after:
            return result
        return [{**template, "topics": [*template["topics"][:2], "0x" + SHA, *template["topics"][3:]]}]

    return forge


def _verify(w: World, forge: Any) -> Any:
    proxy = ForgingProxy(w.rpc_url, forge)
    nodes = ["--rpc-url", proxy.url, "--rpc-url", w.rpc_url, "--require-proofs"]
    try:
        pair = ["verify", str(w.figures), "--statement", str(w.pinning), "-d", str(w.manifest)]
        return run_attest(*pair, *nodes, timeout=120)
    finally:
        proxy.close()


def _pinned(done: Any) -> str:
    return next(x for x in done.stdout.splitlines() if "credit records: pinned" in x)


def test_the_pinned_export_is_asked_once_so_a_second_answer_cannot_change_it(world: World) -> None:
    """Honest on the first question, forged on any later one: before the fix the pinned line said
    "anchored by Example Carbon Verification Body" from the unproven second answer."""
    done = _verify(world, _export_attested(world, after=1))
    pinned = _pinned(done)
    assert f"export sha256 {SHA}" in pinned, show(done)
    assert "not anchored in this registry" in pinned and "anchored by" not in pinned, show(done)


def test_the_same_forgery_in_every_answer_is_a_chain_error(world: World) -> None:
    """Forged in every answer, the forgery is read with the statement's evidence: here it gives the
    statement's own uid another digest, which `Read` refuses (exit 3, the node answered two ways)."""
    done = _verify(world, _export_attested(world, after=0))
    assert done.returncode == 3, show(done)
    assert "the node answered two ways about attestation" in done.stderr, show(done)
