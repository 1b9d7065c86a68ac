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
    "canonical_bytes": "attest.core.canonical",
    "file_sha256": "attest.core.canonical",
    "load_strict": "attest.core.strictjson",
    "EsgFigures": "attest.core.figures",
    "load_figures": "attest.core.figures",
    "parse_figures": "attest.core.figures",
    "hash_document": "attest.core.documents",
    "HashedDocument": "attest.core.documents",
    "Receipt": "attest.core.receipt",
    "load_receipt": "attest.core.receipt",
    "Manifest": "attest.core.manifest",
    "load_manifest": "attest.core.manifest",
    "Kind": "attest.core.contracts",
    "Role": "attest.core.contracts",
    "Report": "attest.core.verification",
    "Check": "attest.core.verification",
    "decide": "attest.core.verification",
    # errors
    "AttestError": "attest.core.errors",
    "InputError": "attest.core.errors",
    "StrictJSONError": "attest.core.errors",
    "SchemaError": "attest.core.errors",
    "ChainError": "attest.core.errors",
    "TransactionReverted": "attest.core.errors",
    "NotAnchoredAsAsked": "attest.core.errors",
    "AttestationRevoked": "attest.core.errors",
    "AnchoredDifferently": "attest.core.errors",
    # shell
    "Chain": "attest.chain.connection",
    "Deployment": "attest.chain.deployment",
    "OrganisationInfo": "attest.chain.deployment",
    "publish": "attest.app.publishing",
    "verify_target": "attest.app.verify",
    "load_keystore": "attest.chain.keystore",
    "create_keystore": "attest.chain.keystore",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'attest' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
