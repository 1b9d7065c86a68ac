"""Who signs: one interface for a key in a keystore file and a key held in an HSM.

The interface is eth_account's own `BaseAccount` (`address`, `sign_transaction`, `sign_message`,
`unsafe_sign_hash`): a decrypted keystore is an eth_account `LocalAccount`, a PKCS#11 key is a
`DigestSigner` (attest.chain.pkcs11) that signs 32-byte digests in the token and builds the rest
here, so transactions, EIP-712 statements and the journal see no difference. The window sender
asks `digest_signer` for the fastest way to sign a digest with either.

`SignerChoice` is what a command was told (`--keystore` or `--signer pkcs11:…`): the CLI and the
scripts build one and `load` it, and never guess when both or neither are given.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from eth_account.signers.base import BaseAccount

from attest.core.errors import InputError

if TYPE_CHECKING:
    from eth_account.datastructures import SignedMessage, SignedTransaction
    from eth_account.messages import SignableMessage
    from eth_account.types import TransactionDictType
    from eth_typing import Hash32

Signer: TypeAlias = BaseAccount
"""A signing account: a keystore's `LocalAccount`, or a key in a token (`attest.chain.pkcs11`)."""

DigestSign = Callable[[bytes], tuple[int, int, int]]  # 32-byte digest -> (r, s, y parity), low s

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def digest_signer(account: Signer) -> DigestSign:
    """How to sign a digest with `account`: libsecp256k1 straight from a keystore's key (the
    window sender's hot path), the token for a `DigestSigner`, `unsafe_sign_hash` otherwise."""
    from eth_account.signers.local import LocalAccount

    if isinstance(account, LocalAccount):
        import coincurve

        key = coincurve.PrivateKey(bytes(account.key))

        def sign(digest: bytes) -> tuple[int, int, int]:
            sig = key.sign_recoverable(digest, hasher=None)  # low s, as eth_keys signs
            return int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]

        return sign
    if isinstance(account, DigestSigner):
        return account.sign_digest

    def generic(digest: bytes) -> tuple[int, int, int]:
        signed = account.unsafe_sign_hash(cast("Hash32", digest))
        return signed.r, signed.s, signed.v - 27 if signed.v >= 27 else signed.v

    return generic


class DigestSigner(BaseAccount):
    """An account whose key only signs 32-byte digests (a token's CKM_ECDSA): everything else
    eth_account signs — transactions of every type, EIP-191/EIP-712 messages — is built on that."""

    @abstractmethod
    def sign_digest(self, digest: bytes) -> tuple[int, int, int]:
        """(r, s, y parity) of a low-s secp256k1 signature of `digest` by this account's key."""

    def unsafe_sign_hash(self, message_hash: Hash32) -> SignedMessage:
        from eth_account.datastructures import SignedMessage
        from hexbytes import HexBytes

        digest = bytes(message_hash)
        if len(digest) != 32:
            raise InputError(f"a message hash is 32 bytes, not {len(digest)}")
        r, s, y = self.sign_digest(digest)
        v = 27 + y
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])
        return SignedMessage(HexBytes(digest), r, s, v, HexBytes(signature))

    def sign_message(self, signable_message: SignableMessage) -> SignedMessage:
        """EIP-191 (which EIP-712 typed data is, version 0x01): keccak of 0x19, version, header, body."""
        from eth_utils import keccak

        m = signable_message
        if len(m.version) != 1:
            raise InputError("an EIP-191 message has a one-byte version")
        return self.unsafe_sign_hash(cast("Hash32", keccak(b"\x19" + m.version + m.header + m.body)))

    def sign_transaction(self, transaction_dict: TransactionDictType) -> SignedTransaction:
        """Signed by eth_account's own encoder (the one `LocalAccount` uses), with this key's digests."""
        from eth_account._utils.signing import sign_transaction_dict
        from eth_account.datastructures import SignedTransaction
        from eth_keys.datatypes import Signature
        from eth_utils import keccak
        from hexbytes import HexBytes

        tx: dict[str, Any] = dict(transaction_dict)
        sender = tx.pop("from", None)
        if sender is not None and str(sender).lower() != self.address.lower():
            raise InputError(f"the transaction is from {sender}, this key is {self.address}")
        sign = self.sign_digest

        class DigestKey:  # what sign_transaction_dict asks of a key: sign_msg_hash(hash).vrs
            def sign_msg_hash(self, message_hash: bytes) -> Signature:
                r, s, y = sign(bytes(message_hash))
                return Signature(vrs=(y, r, s))

        v, r, s, raw = sign_transaction_dict(cast(Any, DigestKey()), cast(Any, tx))
        return SignedTransaction(HexBytes(raw), HexBytes(keccak(raw)), r, s, v)


@dataclass
class SignerChoice:
    """The signing key a command was given: `keystore` (+ its password) or `pkcs11` (an RFC 7512
    URI, + module and PIN). Secrets are read only by `load`, from a file, the environment or a
    prompt — never from a command-line value."""

    keystore: str | None = None
    password_file: str | None = None
    pkcs11: str | None = None
    pkcs11_module: str | None = None
    pin_file: str | None = None
    _loaded: Signer | None = field(default=None, repr=False)

    def check(self) -> SignerChoice:
        """Exactly one key: both or neither is a usage error (exit 2), before anything is done."""
        if self.keystore and self.pkcs11:
            raise InputError(
                "give either --keystore or --signer, not both (check ATTEST_KEYSTORE / ATTEST_SIGNER)",
                field="--signer",
            )
        if not self.keystore and not self.pkcs11:
            raise InputError("no signing key: pass --keystore FILE or --signer pkcs11:…", field="--keystore")
        if self.pkcs11:
            from attest.chain.pkcs11 import parse_uri

            parse_uri(self.pkcs11)  # a malformed URI is a usage error now, not after the work
        return self

    @property
    def loaded(self) -> Signer | None:
        """The signer once `load` (or an `address` that needed it) unlocked it."""
        return self._loaded

    def address(self, *, prompt: bool = True) -> str:
        """The account's address, without unlocking a keystore (a token's public key needs no PIN
        when it is a public object; otherwise the key is loaded)."""
        self.check()
        if self._loaded is not None:
            return str(self._loaded.address)
        if self.keystore:
            from attest.chain.keystore import keystore_address

            return keystore_address(self.keystore)
        from attest.chain.pkcs11 import public_address

        assert self.pkcs11 is not None
        address = public_address(self.pkcs11, module=self.pkcs11_module)
        return address if address is not None else str(self.load(prompt=prompt).address)

    def load(self, *, prompt: bool = True) -> Signer:
        """The signer, unlocked (once: a second call returns the same one)."""
        self.check()
        if self._loaded is not None:
            return self._loaded
        if self.keystore:
            from attest.chain.keystore import load_keystore, password_source, read_keystore, read_password

            read_keystore(self.keystore)  # a mistyped path or no keystore: named before a password is asked
            password = read_password(password_file=self.password_file, prompt=prompt)
            source = password_source(self.password_file)
            self._loaded = load_keystore(self.keystore, password, source=source)
        else:
            from attest.chain.pkcs11 import open_signer, read_pin

            assert self.pkcs11 is not None
            self._loaded = open_signer(
                self.pkcs11,
                module=self.pkcs11_module,
                pin=lambda label: read_pin(label, pin_file=self.pin_file, prompt=prompt),
            )
        return self._loaded
