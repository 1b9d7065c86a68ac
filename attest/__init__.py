"""esg-attest: anchor and verify sha256 digests of ESG disclosures on a permissioned EVM chain.

The public API is re-exported here and loaded lazily, so `import attest` (and `attest --help`)
stays fast: chain modules pull in web3 only when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    # pure core
    "canonical_bytes": "attest.canonical",
    "file_sha256": "attest.canonical",
    "load_strict": "attest.strictjson",
    "EsgFigures": "attest.figures",
    "load_figures": "attest.figures",
    "parse_figures": "attest.figures",
    "hash_document": "attest.documents",
    "HashedDocument": "attest.documents",
    "Receipt": "attest.receipt",
    "load_receipt": "attest.receipt",
    "Manifest": "attest.manifest",
    "load_manifest": "attest.manifest",
    "Kind": "attest.contracts",
    "Role": "attest.contracts",
    "Report": "attest.verification",
    "Check": "attest.verification",
    "decide": "attest.verification",
    # errors
    "AttestError": "attest.errors",
    "InputError": "attest.errors",
    "StrictJSONError": "attest.errors",
    "SchemaError": "attest.errors",
    "ChainError": "attest.errors",
    "TransactionReverted": "attest.errors",
    # shell
    "Chain": "attest.chain",
    "Deployment": "attest.client",
    "OrganisationInfo": "attest.client",
    "publish": "attest.publishing",
    "verify_target": "attest.verify",
    "load_keystore": "attest.keystore",
    "create_keystore": "attest.keystore",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'attest' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
