"""Keys in a PKCS#11 token (attest.chain.pkcs11) on a SoftHSM2 token of the test's own.

What the token must give us: a secp256k1 key generated inside and never extractable, signatures
that Ethereum takes (low s, the right recovery id, so transactions, EIP-191/712 messages and the
window sender work unchanged), and a clear one-line error — before anything is signed — for a wrong
PIN, a locked PIN, a missing key, a key on another curve, or public and private halves that do
not belong together.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_utils import keccak, to_checksum_address
from softhsm import P256, USER_PIN, SoftHsm, uri

from attest.chain.connection import Chain
from attest.chain.pkcs11 import (
    KeyUri,
    Pkcs11Signer,
    generate_key,
    open_signer,
    parse_uri,
    public_address,
    read_pin,
)
from attest.chain.sender import Call, WindowSigner
from attest.chain.signer import SECP256K1_N, SignerChoice, digest_signer
from attest.core.errors import InputError, KeystoreError

TOKEN = "attest-unit"


@pytest.fixture
def hsm(tmp_path: Path) -> Iterator[SoftHsm]:
    h = SoftHsm(tmp_path / "hsm")
    h.init_token(TOKEN)
    with h.active():
        yield h


def pin(_: str = "") -> str:
    return USER_PIN


def recovered(digest: bytes, r: int, s: int, y: int) -> str:
    from eth_keys import keys

    return str(keys.Signature(vrs=(y, r, s)).recover_public_key_from_msg_hash(digest).to_checksum_address())


@contextmanager
def session(hsm: SoftHsm, *, rw: bool = False) -> Iterator[Any]:
    """A session of the test's own on the token (PKCS#11 logs in the process: a signer of this
    process may already have)."""
    import pkcs11

    token = pkcs11.lib(hsm.module).get_token(token_label=TOKEN)
    try:
        s = token.open(rw=rw, user_pin=USER_PIN)
    except pkcs11.UserAlreadyLoggedIn:
        s = token.open(rw=rw)
    with s:
        yield s


def new_key(hsm: SoftHsm, label: str = "bank") -> Pkcs11Signer:
    return generate_key(uri(TOKEN, label), module=hsm.module, pin=pin)


# ------------------------------------------------------------------------------------------ URIs


def test_uri_names_one_token_and_one_key() -> None:
    u = parse_uri("pkcs11:token=Bank%20HSM%201;object=esg%2Dpublisher;id=%01%ab?module-path=/opt/lib.so")
    assert u == KeyUri(
        text=u.text, token="Bank HSM 1", label="esg-publisher", id=b"\x01\xab", module_path="/opt/lib.so"
    )
    assert parse_uri("PKCS11:serial=b1f7;id=%07;type=private").serial == "b1f7"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("bank.json", "must start with 'pkcs11:'"),
        ("pkcs11:object=bank", "names no token"),
        ("pkcs11:token=T", "names no key"),
        ("pkcs11:token=T;object=a;object=b", "object is given twice"),
        ("pkcs11:token=T;object=a;slot-description=x", "'slot-description' is not supported"),
        ("pkcs11:token=T;object=a;type=public", "type=public"),
        ("pkcs11:token=T;object=a?module-name=softhsm2", "'module-name' is not supported"),
        ("pkcs11:token=T;object", "'object' is not name=value"),
    ],
)
def test_a_uri_that_cannot_be_honoured_is_a_usage_error(text: str, why: str) -> None:
    """An ignored attribute could pick another key than the one meant: refused (exit 2)."""
    with pytest.raises(InputError, match="not a usable PKCS#11 key URI") as exc:
        parse_uri(text)
    assert why in str(exc.value) and exc.value.exit_code == 2


def test_a_pin_in_the_uri_is_refused_and_never_echoed() -> None:
    with pytest.raises(InputError) as exc:
        parse_uri("pkcs11:token=T;object=a?pin-value=918273&module-path=/x.so")
    assert "918273" not in str(exc.value) and "pin-value=…" in str(exc.value)
    assert "never taken from the URI" in str(exc.value)


def test_pin_comes_from_a_file_or_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ATTEST_PKCS11_PIN", raising=False)
    with pytest.raises(InputError, match="ATTEST_PKCS11_PIN"):
        read_pin("token 'T'", prompt=False)
    monkeypatch.setenv("ATTEST_PKCS11_PIN", "from-env")
    assert read_pin("token 'T'", prompt=False) == "from-env"
    (tmp_path / "pin").write_text("from-file\n")
    assert read_pin("token 'T'", pin_file=tmp_path / "pin", prompt=False) == "from-file"


def test_module_must_be_named_and_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ATTEST_PKCS11_MODULE", raising=False)
    with pytest.raises(InputError, match="no PKCS#11 module: pass --pkcs11-module"):
        open_signer(uri(TOKEN, "bank"), module=None, pin=pin)
    with pytest.raises(InputError, match="no such PKCS#11 module"):
        open_signer(uri(TOKEN, "bank"), module=str(tmp_path / "libnothing.so"), pin=pin)
    not_a_module = tmp_path / "libfake.so"
    not_a_module.write_bytes(b"\x7fELF not really")
    with pytest.raises(KeystoreError, match="cannot load the PKCS#11 module"):
        open_signer(uri(TOKEN, "bank"), module=str(not_a_module), pin=pin)


def test_one_key_is_chosen_keystore_or_token() -> None:
    with pytest.raises(InputError, match="not both"):
        SignerChoice(keystore="bank.json", pkcs11=uri(TOKEN, "bank")).check()
    with pytest.raises(InputError, match="no signing key"):
        SignerChoice().check()
    with pytest.raises(InputError, match="not a usable PKCS#11 key URI"):
        SignerChoice(pkcs11="pkcs11:token=T").check()


# ------------------------------------------------------------------------------------------ the key


def test_generated_key_stays_in_the_token(hsm: SoftHsm) -> None:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    signer = new_key(hsm)
    with session(hsm) as s:
        (private,) = s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: "bank"})
        (public,) = s.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.LABEL: "bank"})
        assert private[Attribute.SENSITIVE] and not private[Attribute.EXTRACTABLE]
        assert private[Attribute.NEVER_EXTRACTABLE] and private[Attribute.TOKEN]
        assert bytes(private[Attribute.EC_PARAMS]) == bytes.fromhex("06052b8104000a")  # secp256k1
        with pytest.raises(pkcs11.AttributeSensitive):
            private[Attribute.VALUE]
        point = bytes(public[Attribute.EC_POINT])
    assert point[:3] == b"\x04\x41\x04"  # DER OCTET STRING around the uncompressed point
    assert signer.address == to_checksum_address(keccak(point[3:])[-20:])
    assert public_address(uri(TOKEN, "bank"), module=hsm.module) == signer.address  # no PIN needed


def test_an_existing_label_is_never_overwritten(hsm: SoftHsm) -> None:
    first = new_key(hsm)
    with pytest.raises(InputError, match="already holds a key labelled 'bank'"):
        new_key(hsm)
    assert open_signer(uri(TOKEN, "bank"), module=hsm.module, pin=pin).address == first.address


def test_signatures_are_low_s_and_recover_to_the_account(hsm: SoftHsm) -> None:
    """CKM_ECDSA gives a high s about half the time; Ethereum refuses those (EIP-2): normalised."""
    import pkcs11

    signer = new_key(hsm)
    raw_high = 0
    with session(hsm) as s:
        (key,) = s.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY})
        for i in range(64):
            digest = keccak(i.to_bytes(4, "big"))
            raw = key.sign(digest, mechanism=pkcs11.Mechanism.ECDSA)  # the token's own answer
            raw_high += int.from_bytes(raw[32:], "big") > SECP256K1_N // 2
            r, s_, y = signer.sign_digest(digest)
            assert s_ <= SECP256K1_N // 2 and y in (0, 1)
            assert recovered(digest, r, s_, y) == signer.address
    assert raw_high > 0  # the token's own output needs the normalisation


def test_transactions_messages_and_typed_data_are_the_accounts(hsm: SoftHsm) -> None:
    signer = new_key(hsm)
    to = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    for tx in (
        {"chainId": 31337, "nonce": 7, "gas": 90_000, "gasPrice": 0, "to": to, "data": b"\x01", "value": 0},
        {"chainId": 1, "nonce": 0, "gas": 21_000, "maxFeePerGas": 3, "maxPriorityFeePerGas": 1, "to": to,
         "value": 10**18},
        {"chainId": 5, "nonce": 2, "gas": 900_000, "gasPrice": 10**9, "data": b"\x60\x00", "value": 0},
    ):  # fmt: skip
        signed = signer.sign_transaction({**tx, "from": signer.address})
        assert Account.recover_transaction(signed.raw_transaction) == signer.address
        assert signed.hash == keccak(signed.raw_transaction)
    with pytest.raises(InputError, match="this key is"):
        signer.sign_transaction({**tx, "from": to})
    message = encode_defunct(text="esg-attest")
    assert (
        Account.recover_message(message, signature=signer.sign_message(message).signature) == signer.address
    )
    typed = encode_typed_data(
        full_message={
            "types": {
                "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
                "Note": [{"name": "text", "type": "string"}],
            },
            "primaryType": "Note",
            "domain": {"name": "esg-attest", "chainId": 31337},
            "message": {"text": "signed in an HSM"},
        }
    )
    assert Account.recover_message(typed, signature=signer.sign_message(typed).signature) == signer.address


def test_window_signer_signs_through_the_token(hsm: SoftHsm) -> None:
    signer = new_key(hsm)
    assert digest_signer(signer) == signer.sign_digest
    for fees in ({"gasPrice": 0}, {"maxFeePerGas": 7, "maxPriorityFeePerGas": 2}):
        window = WindowSigner(signer, {"chainId": 31337, **fees})
        signed = window.sign(Call("0x5FbDB2315678afecb367f032d93F642f64180aa3", b"\xaa" * 68), 41, 99_000)
        assert Account.recover_transaction(signed.raw) == signer.address
        assert signed.tx_hash == "0x" + keccak(signed.raw).hex()


def test_a_chain_takes_the_tokens_transactions(hsm: SoftHsm) -> None:
    """py-evm (as every node since Homestead) refuses a transaction with a high s: 24 in a row go
    through (without the low-s normalisation about half are refused)."""
    signer = new_key(hsm)
    chain = Chain.embedded()
    chain.fund(signer.address)
    for _ in range(24):
        sent = chain.send(signer, {"to": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "value": 1})
        assert chain.w3.eth.get_transaction(sent.tx_hash)["from"] == signer.address  # type: ignore[arg-type]


def test_signing_from_several_threads(hsm: SoftHsm) -> None:
    """A PKCS#11 session is not thread-safe: the signer serialises its use."""
    signer = new_key(hsm)
    bad: list[Any] = []

    def work(t: int) -> None:
        for i in range(25):
            digest = keccak(f"{t}-{i}".encode())
            if recovered(digest, *signer.sign_digest(digest)) != signer.address:
                bad.append((t, i))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bad == []


# ------------------------------------------------------------------------------------------ refusals


def test_wrong_pin_is_a_keystore_error_without_the_pin(hsm: SoftHsm) -> None:
    new_key(hsm).close()  # its last session closed: the process is logged out again
    with pytest.raises(KeystoreError) as exc:
        open_signer(uri(TOKEN, "bank"), module=hsm.module, pin=lambda _: "000000")
    assert str(exc.value) == f"{uri(TOKEN, 'bank')}: wrong PIN for token {TOKEN!r}"
    assert exc.value.exit_code == 3 and "000000" not in str(exc.value)


def test_a_locked_pin_is_never_tried(hsm: SoftHsm) -> None:
    new_key(hsm)
    hsm.lock_user_pin(TOKEN)
    asked: list[str] = []
    with hsm.active(), pytest.raises(KeystoreError, match="is locked \\(too many wrong PINs\\)") as exc:
        open_signer(uri(TOKEN, "bank"), module=hsm.module, pin=lambda t: asked.append(t) or USER_PIN)
    assert exc.value.exit_code == 3
    assert asked == []  # a PIN is not typed into a locked token (some count every try)


def test_missing_token_and_missing_key(hsm: SoftHsm) -> None:
    new_key(hsm)
    with pytest.raises(KeystoreError, match=f"no token 'other' in .* \\(tokens present: '{TOKEN}'\\)"):
        open_signer(uri("other", "bank"), module=hsm.module, pin=pin)
    with pytest.raises(KeystoreError, match=f"no private key labelled 'nope' in token '{TOKEN}'"):
        open_signer(uri(TOKEN, "nope"), module=hsm.module, pin=pin)


def test_a_key_on_another_curve_or_of_another_type_is_refused(hsm: SoftHsm) -> None:
    import pkcs11

    hsm.generate_ec(TOKEN, "p256", P256)
    with hsm.active(), pytest.raises(KeystoreError, match="on curve P-256 \\(secp256r1\\), not secp256k1"):
        open_signer(uri(TOKEN, "p256"), module=hsm.module, pin=pin)
    with hsm.active():
        with session(hsm, rw=True) as s:
            s.generate_keypair(pkcs11.KeyType.RSA, 2048, store=True, label="rsa")
        with pytest.raises(KeystoreError, match="is a RSA key, not secp256k1"):
            open_signer(uri(TOKEN, "rsa"), module=hsm.module, pin=pin)


def test_halves_that_do_not_belong_together_are_refused(hsm: SoftHsm) -> None:
    """A public key object of another key under the label: the address would be someone else's."""
    from pkcs11 import Attribute, ObjectClass

    new_key(hsm, "a")
    new_key(hsm, "b")
    with session(hsm, rw=True) as s:
        (pub_a,) = s.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.LABEL: "a"})
        (pub_b,) = s.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.LABEL: "b"})
        pub_a[Attribute.LABEL] = "a-old"
        pub_b[Attribute.LABEL] = "a"
    with pytest.raises(KeystoreError, match="do not belong together"):
        open_signer(uri(TOKEN, "a"), module=hsm.module, pin=pin)


def test_two_keys_under_one_label_need_an_id(hsm: SoftHsm) -> None:
    new_key(hsm, "dup")
    second = generate_key(f"{uri(TOKEN, 'dup')};id=%02", module=hsm.module, pin=pin)  # label + id: new
    with pytest.raises(KeystoreError, match=r"2 private keys labelled 'dup' in .*: add id="):
        open_signer(uri(TOKEN, "dup"), module=hsm.module, pin=pin)
    assert open_signer(f"{uri(TOKEN, 'dup')};id=%02", module=hsm.module, pin=pin).address == second.address


def test_address_without_a_pin_or_by_unlocking(hsm: SoftHsm, tmp_path: Path) -> None:
    """`account show` and `sign-statement`'s nonce read the address from the public key object;
    a token that shows no public key before login is unlocked instead (once)."""
    import pkcs11
    from pkcs11 import Attribute

    shown = new_key(hsm, "public")
    choice = SignerChoice(pkcs11=uri(TOKEN, "public"), pkcs11_module=hsm.module, pin_file="/nonexistent")
    assert choice.address(prompt=False) == shown.address and choice.loaded is None  # no PIN read
    with session(hsm, rw=True) as s:
        ec = {Attribute.EC_PARAMS: bytes.fromhex("06052b8104000a")}
        s.create_domain_parameters(pkcs11.KeyType.EC, ec, local=True).generate_keypair(
            store=True, label="hidden", public_template={Attribute.PRIVATE: True}
        )
    shown.close()  # logged out again: a session of this process now sees public objects only
    (tmp_path / "pin").write_text(USER_PIN)
    hidden = SignerChoice(
        pkcs11=uri(TOKEN, "hidden"), pkcs11_module=hsm.module, pin_file=str(tmp_path / "pin")
    )
    address = hidden.address(prompt=False)
    assert hidden.loaded is not None and hidden.loaded.address == address
    assert hidden.load() is hidden.loaded
