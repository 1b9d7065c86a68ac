"""What the attacks on `attest history --neutrality` share (tests/test_attack_review*_history_*.py):
the later, unmet statement a row should follow, the lie that drops a transaction's logs, and the
command run through the bank's node beside an honest second party's, with --require-proofs."""

from __future__ import annotations

import json
from typing import Any

from conftest import EXAMPLES, second_party
from worlds import STATEMENT_EXAMPLE, World, run_attest, write_json

from attest.app.publishing import publish
from attest.core.contracts import Kind


def publish_unmet_statement(w: World) -> dict[str, Any]:
    """The verifier's later, live statement on the world's 2022 figures whose neutrality claim is not
    met: residual 6860 t, only 1900 t retired (forestry units of issuance FCS-EXAMPLE-01-2021-B,
    which the world's own statement does not claim). Honestly the 2022 row follows it: not met."""
    doc = json.loads((EXAMPLES / STATEMENT_EXAMPLE).read_text(encoding="utf-8"))
    doc["issued"] = "2023-09-30"
    claim = doc["neutrality_claim"]
    forestry = claim["retirements"][1]
    forestry["serial_blocks"][0]["issuance"] = "FCS-EXAMPLE-01-2021-B"
    claim["retirements"] = [forestry]
    path = write_json(w.root / "second-statement.json", doc)
    a = publish(w.c.dep, w.c.verifier, path, kind=Kind.STATEMENT, ref=w.figures_uid).published.attestation
    return {
        "second_uid": a.uid.lower(),
        "second_tx": a.transaction_hash.lower(),
        "second_block": a.block_number,
    }


def drop_transaction(tx: str) -> Any:
    """A forge for `lying_proxy.ForgingProxy`: every log of transaction `tx` left out of eth_getLogs."""

    def forge(call: dict[str, Any], result: Any) -> Any:
        if call.get("method") == "eth_getLogs" and isinstance(result, list):
            return [log for log in result if str(log.get("transactionHash", "")).lower() != tx]
        return result

    return forge


def neutrality_history(w: World, first: str, *more: str) -> Any:
    """`attest history --org WeBank --neutrality --json` reading from `first` (the bank's node), an
    honest second party's node beside it, with --require-proofs (and `more` options)."""
    return run_attest(
        "history", "--org", "WeBank", "--neutrality", "-d", str(w.manifest), "--json",
        "--rpc-url", first, *second_party(w.rpc_url), *more, "--require-proofs",
    )  # fmt: skip
