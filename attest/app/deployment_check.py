"""Is the code deployed at the manifest's addresses the code compiled from this repository's source?

An auditor runs this once per engagement (`attest verify-deployment`): every later `verify` trusts
logs and records from the manifest's addresses, which is only worth something if those addresses run
the reviewed contracts. Three links are checked, each reported as its own line:

1. the manifest's artifact digests are the committed artifacts' (the manifest describes this build);
2. the runtime code at each address equals the artifact's `deployedBytecode` with immutables masked,
   and the masked immutable values are the ones this deployment must have (the registry's
   `membership` is the manifest's governance; its EIP-712 domain is this chain id and this address);
3. optionally, a fresh compile of `contracts/` reproduces the committed artifacts byte for byte.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from attest.core.contracts import GOVERNANCE, REGISTRY, Artifact, load_artifact
from attest.core.errors import AttestError, ChainError
from attest.core.verification import Check

if TYPE_CHECKING:
    from attest.chain.deployment import Deployment
    from attest.core.manifest import ContractDeployment

# The registry's EIP-712 domain (AttestationRegistry's constructor): shared with attest.app.signing.
EIP712_NAME = "esg-attest AttestationRegistry"
EIP712_VERSION = "1"
_EIP712_DOMAIN_TYPE = b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"


class CompilerUnavailable(ChainError):
    """The pinned compiler cannot be run here, so the artifacts cannot be re-derived (exit 3)."""


def mask(code: bytes, references: dict[str, list[dict[str, int]]]) -> bytes:
    """`code` with every immutable's bytes zeroed, as the compiler leaves them in `deployedBytecode`."""
    out = bytearray(code)
    for refs in references.values():
        for ref in refs:
            start, length = ref["start"], ref["length"]
            out[start : start + length] = bytes(min(length, max(0, len(out) - start)))
    return bytes(out)


def immutable_values(code: bytes, references: dict[str, list[dict[str, int]]]) -> dict[str, set[bytes]]:
    """Each immutable's value(s) as read from deployed code: one value per id unless the code is forged."""
    return {
        ast_id: {code[r["start"] : r["start"] + r["length"]] for r in refs}
        for ast_id, refs in references.items()
    }


def expected_immutables(chain_id: int, registry: str, governance: str) -> dict[str, bytes]:
    """The values the registry's immutables must hold in this deployment, by what they mean.

    The artifact identifies immutables only by AST id, which moves whenever any source changes; so
    they are matched by value, and every value here must be found exactly once.
    """
    from eth_abi import encode
    from eth_utils import keccak

    hashed_name, hashed_version = keccak(text=EIP712_NAME), keccak(text=EIP712_VERSION)
    separator = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [keccak(_EIP712_DOMAIN_TYPE), hashed_name, hashed_version, chain_id, registry],
        )
    )
    return {
        "membership (the manifest's governance)": _word_address(governance),
        "EIP-712 cached chain id": chain_id.to_bytes(32, "big"),
        "EIP-712 cached contract address": _word_address(registry),
        "EIP-712 cached domain separator": separator,
        "EIP-712 hashed name": hashed_name,
        "EIP-712 hashed version": hashed_version,
        "EIP-712 name": _short_string(EIP712_NAME),
        "EIP-712 version": _short_string(EIP712_VERSION),
    }


#: what each of the registry's immutables holds, by the name the compiler gives it
_IMMUTABLE_MEANINGS = {
    "AttestationRegistry.membership": "membership (the manifest's governance)",
    "EIP712._cachedChainId": "EIP-712 cached chain id",
    "EIP712._cachedThis": "EIP-712 cached contract address",
    "EIP712._cachedDomainSeparator": "EIP-712 cached domain separator",
    "EIP712._hashedName": "EIP-712 hashed name",
    "EIP712._hashedVersion": "EIP-712 hashed version",
    "EIP712._name": "EIP-712 name",
    "EIP712._version": "EIP-712 version",
}


def expected_registry_code(chain_id: int, registry: str, governance: str) -> bytes:
    """The runtime code the registry of this deployment must have: the committed artifact's, with
    each immutable filled in with the value it must hold here (its governance as `membership`).
    Its keccak256 is the codeHash a storage proof of the registry's account must show, so proving
    that account proves the code and the governance it obeys, with no further trust."""
    artifact = load_artifact(REGISTRY)
    values = expected_immutables(chain_id, registry, governance)
    code = bytearray(bytes.fromhex(artifact.deployed_bytecode.removeprefix("0x")))
    for ast_id, refs in artifact.immutable_references.items():
        value = values[_IMMUTABLE_MEANINGS[artifact.immutable_names[ast_id]]]
        for ref in refs:
            code[ref["start"] : ref["start"] + ref["length"]] = value[-ref["length"] :]
    return bytes(code)


def check_immutables(
    code: bytes, references: dict[str, list[dict[str, int]]], expected: dict[str, bytes]
) -> Check:
    """Every immutable holds one of the expected values and every expected value is present."""
    values = immutable_values(code, references)
    problems: list[str] = []
    found: dict[str, str] = {}
    by_value = {v: k for k, v in expected.items()}
    for ast_id, seen in sorted(values.items()):
        if len(seen) != 1:
            problems.append(f"immutable #{ast_id} has different values at its {len(seen)} places")
            continue
        (value,) = seen
        meaning = by_value.get(value)
        if meaning is None:
            problems.append(f"immutable #{ast_id} = 0x{value.hex()} is none of the expected values")
        else:
            found[meaning] = ast_id
    missing = [m for m in expected if m not in found]
    if missing:
        problems.append("not found: " + ", ".join(missing))
    if problems:
        return Check("registry immutables", "fail", "; ".join(problems))
    return Check(
        "registry immutables",
        "pass",
        f"{len(found)} immutables as expected, membership = governance {_address(expected)}",
    )


def check_code(deployment: Deployment, *, recompile: bool) -> list[Check]:
    """All the checks, in order; raises only CompilerUnavailable (or a ChainError when reading code)."""
    from eth_utils import to_checksum_address

    manifest = deployment.manifest
    checks: list[Check] = []
    parts: list[tuple[str, ContractDeployment]] = [
        (GOVERNANCE, manifest.governance),
        (REGISTRY, manifest.registry),
    ]
    for name, part in parts:
        artifact = load_artifact(name)
        checks.append(_artifact_digest(name, part, artifact))
        code = deployment.chain.code(to_checksum_address(part.address))
        checks.append(_code(name, part.address, code, artifact))
        if artifact.immutable_references and code:
            expected: dict[str, bytes] = {}
            if name == REGISTRY:
                expected = expected_immutables(
                    manifest.chain_id,
                    to_checksum_address(manifest.registry.address),
                    to_checksum_address(manifest.governance.address),
                )
            checks.append(check_immutables(code, artifact.immutable_references, expected))
    if recompile:
        checks.extend(check_reproducible())
    return checks


def check_reproducible() -> list[Check]:
    """Compile contracts/ now with the pinned compiler and compare with the committed artifact files."""
    import hashlib

    from attest.chain.compiler import artifact_bytes, compile_contracts, find_solc

    try:
        solc = find_solc()
        fresh = compile_contracts(solc=solc)
    except (AttestError, OSError) as exc:
        raise CompilerUnavailable(f"cannot recompile contracts/ to check the artifacts: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - solcx reports a missing node/solc in several ways
        raise CompilerUnavailable(
            f"cannot recompile contracts/ to check the artifacts: {type(exc).__name__}: {exc}"
        ) from None
    checks = []
    for name in (GOVERNANCE, REGISTRY):
        committed = load_artifact(name).sha256
        digest = hashlib.sha256(artifact_bytes(fresh[name])).hexdigest() if name in fresh else None
        if digest == committed:
            checks.append(
                Check(
                    f"{name} source",
                    "pass",
                    f"a fresh compile of contracts/ reproduces the artifact ({solc.name})",
                )
            )
        else:
            checks.append(
                Check(
                    f"{name} source",
                    "fail",
                    f"a fresh compile of contracts/ gives sha256 {digest}, "
                    f"the committed artifact is {committed}",
                )
            )
    return checks


def _artifact_digest(name: str, part: ContractDeployment, artifact: Artifact) -> Check:
    if part.artifact_sha256.lower() == artifact.sha256:
        return Check(
            f"{name} artifact", "pass", f"manifest's artifact sha256 {artifact.sha256[:16]}… is this build's"
        )
    return Check(
        f"{name} artifact",
        "fail",
        f"manifest's artifact sha256 {part.artifact_sha256} ≠ committed artifact's {artifact.sha256}",
    )


def _code(name: str, address: str, code: bytes, artifact: Artifact) -> Check:
    if not code:
        return Check(f"{name} code", "fail", f"no contract code at {address}")
    reference = bytes.fromhex(artifact.deployed_bytecode.removeprefix("0x"))
    if len(code) != len(reference):
        return Check(
            f"{name} code",
            "fail",
            f"code at {address} is {len(code)} bytes, the artifact's is {len(reference)}",
        )
    masked = mask(code, artifact.immutable_references)
    if masked != mask(reference, artifact.immutable_references):
        first = next(i for i, (a, b) in enumerate(zip(masked, reference, strict=True)) if a != b)
        return Check(f"{name} code", "fail", f"code at {address} differs from the artifact from byte {first}")
    masked_count = sum(len(refs) for refs in artifact.immutable_references.values())
    note = f", {masked_count} immutable slot(s) masked" if masked_count else ""
    return Check(f"{name} code", "pass", f"code at {address} is the artifact's ({len(code)} bytes{note})")


def _word_address(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address.removeprefix("0x"))


def _short_string(text: str) -> bytes:
    """OpenZeppelin ShortStrings: the UTF-8 bytes left-aligned, the length in the last byte."""
    raw = text.encode()
    if len(raw) > 31:
        raise ValueError("not a short string")  # the registry's name and version are short
    return raw.ljust(31, b"\x00") + bytes([len(raw)])


def _address(expected: dict[str, bytes]) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(expected["membership (the manifest's governance)"][12:])
