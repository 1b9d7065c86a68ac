"""Signing keys held in a PKCS#11 token (an HSM): secp256k1, generated inside, never exported.

A key is named by an RFC 7512 URI, `pkcs11:token=LABEL;object=KEY` (or `serial=`, `id=`), and the
module (the vendor's PKCS#11 library) by `--pkcs11-module PATH`, $ATTEST_PKCS11_MODULE or the URI's
`module-path`. The PIN comes from a file, $ATTEST_PKCS11_PIN or a prompt — never from a flag or
the URI (`pin-value` is refused): a command line is visible to every user of the machine.

Signing: CKM_ECDSA over the 32-byte digest in the token (raw r||s), s normalised to the low half
(Ethereum refuses high s), the recovery id found locally by recovering the public key for v = 0
and 1 (libsecp256k1) and comparing it with the token's (CKA_EC_POINT, read once). Written from the
PKCS#11 standard (v2.40 / 3.0); tested with SoftHSM2 only.

A PKCS#11 session is not safe to share between threads: one signer holds one session and signs
under a lock (the window sender signs on one thread anyway).
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import unquote_to_bytes

from attest.chain.signer import SECP256K1_N, DigestSigner
from attest.core.errors import AttestError, InputError, KeystoreError

if TYPE_CHECKING:
    import pkcs11
    from eth_typing import ChecksumAddress

PIN_ENV = "ATTEST_PKCS11_PIN"
MODULE_ENV = "ATTEST_PKCS11_MODULE"
SECP256K1_PARAMS = bytes.fromhex("06052b8104000a")  # CKA_EC_PARAMS: DER of the OID 1.3.132.0.10
KNOWN_CURVES = {
    bytes.fromhex("06082a8648ce3d030107"): "P-256 (secp256r1)",
    bytes.fromhex("06052b81040022"): "P-384 (secp384r1)",
    bytes.fromhex("06052b81040023"): "P-521 (secp521r1)",
}
KEY_CHECK = b"esg-attest: does this token key match its public key?"  # signed once at load
PATH_ATTRIBUTES = {"token", "serial", "manufacturer", "model", "object", "id", "type", "slot-id"}


@dataclass(frozen=True)
class KeyUri:
    """The parts of a `pkcs11:` URI this tool uses to find one token and one key in it."""

    text: str
    token: str | None = None
    serial: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    slot_id: int | None = None
    label: str | None = None  # `object`
    id: bytes | None = None
    module_path: str | None = None

    @property
    def token_name(self) -> str:
        return f"token {self.token!r}" if self.token is not None else f"token with serial {self.serial!r}"

    @property
    def selector(self) -> str:
        """How the URI picks the key: "labelled 'bank'", "with id 01ab", or both."""
        parts = [f"labelled {self.label!r}" if self.label is not None else None]
        parts.append(f"with id {self.id.hex()}" if self.id is not None else None)
        return " and ".join(p for p in parts if p)

    @property
    def key_name(self) -> str:
        return f"key {self.selector}"


def parse_uri(text: str) -> KeyUri:
    """An RFC 7512 PKCS#11 URI naming a private key; anything it cannot honour is a usage error
    (exit 2): an ignored attribute could select another key than the one meant."""

    def bad(why: str) -> NoReturn:
        shown = re.sub(r"(?i)(pin-value=)[^&]*", r"\1…", text)  # a PIN put there is never echoed
        raise InputError(f"{shown!r} is not a usable PKCS#11 key URI: {why}", field="--signer")

    if text[:7].lower() != "pkcs11:":
        bad("it must start with 'pkcs11:'")
    path, _, query = text[7:].partition("?")
    values: dict[str, bytes] = {}
    for part, sep in ((path, ";"), (query, "&")):
        for item in part.split(sep) if part else []:
            name, eq, raw = item.partition("=")
            name = name.lower()
            if not eq or not name:
                bad(f"{item!r} is not name=value")
            if name in values:
                bad(f"{name} is given twice")
            if sep == ";" and name not in PATH_ATTRIBUTES:
                bad(f"the attribute {name!r} is not supported (use {', '.join(sorted(PATH_ATTRIBUTES))})")
            if sep == "&" and name in ("pin-value", "pin-source"):
                bad(f"a PIN is never taken from the URI ({name}): use ${PIN_ENV}, --pin-file or the prompt")
            if sep == "&" and name != "module-path":
                bad(f"the query attribute {name!r} is not supported (only module-path)")
            values[name] = unquote_to_bytes(raw)

    def utf8(name: str) -> str | None:
        if name not in values:
            return None
        try:
            return values[name].decode("utf-8")
        except UnicodeDecodeError:
            bad(f"{name} is not UTF-8 text")

    kind = utf8("type")
    if kind not in (None, "private"):
        bad(f"type={kind}: a signing key is type=private")
    slot = utf8("slot-id")
    if slot is not None and not slot.isdigit():
        bad("slot-id must be a decimal number")
    uri = KeyUri(
        text=text,
        token=utf8("token"),
        serial=utf8("serial"),
        manufacturer=utf8("manufacturer"),
        model=utf8("model"),
        slot_id=int(slot) if slot is not None else None,
        label=utf8("object"),
        id=values.get("id"),
        module_path=utf8("module-path"),
    )
    if uri.token is None and uri.serial is None:
        bad("it names no token: add token=LABEL (or serial=…)")
    if uri.label is None and uri.id is None:
        bad("it names no key: add object=LABEL (or id=…)")
    return uri


def read_pin(token: str, *, pin_file: str | Path | None = None, prompt: bool = True) -> str:
    """The user PIN: `pin_file`, else $ATTEST_PKCS11_PIN, else a prompt if allowed."""
    if pin_file is not None:
        try:
            return Path(pin_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise InputError(f"cannot read PIN file: {exc.strerror}", path=pin_file) from None
    env = os.environ.get(PIN_ENV)
    if env is not None:
        return env
    if not prompt or not sys.stdin.isatty():  # cron, CI: no one to ask
        raise InputError(f"no PKCS#11 PIN and no terminal to ask on: set {PIN_ENV} or pass --pin-file FILE")
    from attest.chain.keystore import ask_secret

    return ask_secret(f"User PIN of {token}")


# ------------------------------------------------------------------------------------------ the token


def module_path(uri: KeyUri, module: str | None) -> str:
    """The PKCS#11 library: `--pkcs11-module`, else $ATTEST_PKCS11_MODULE, else the URI's module-path."""
    path = module or os.environ.get(MODULE_ENV) or uri.module_path
    if not path:
        raise InputError(
            f"no PKCS#11 module: pass --pkcs11-module PATH or set {MODULE_ENV} (the HSM vendor's "
            "library, e.g. /usr/lib/softhsm/libsofthsm2.so)",
            field="--pkcs11-module",
        )
    if not Path(path).is_file():
        raise InputError("no such PKCS#11 module (the HSM vendor's library)", path=path)
    return path


def find_token(uri: KeyUri, module: str | None) -> pkcs11.Token:
    """The one token the URI names, in the module it is in."""
    import pkcs11

    path = module_path(uri, module)
    try:
        lib = pkcs11.lib(path)
    except pkcs11.PKCS11Error as exc:
        raise KeystoreError(f"cannot load the PKCS#11 module: {exc}", path=path) from None
    try:
        tokens = [slot.get_token() for slot in lib.get_slots(token_present=True)]
    except pkcs11.PKCS11Error as exc:
        raise token_error(exc, uri, "listing its tokens") from None
    found = [
        t
        for t in tokens
        if (uri.token is None or t.label == uri.token)
        and (uri.serial is None or t.serial.decode("ascii", "replace") == uri.serial)
        and (uri.manufacturer is None or t.manufacturer_id == uri.manufacturer)
        and (uri.model is None or t.model == uri.model)
        and (uri.slot_id is None or t.slot.slot_id == uri.slot_id)
    ]
    if not found:
        initialised = [t for t in tokens if t.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED]
        present = ", ".join(repr(t.label) for t in initialised) or "none"
        raise KeystoreError(f"no {uri.token_name} in {path} (tokens present: {present})", path=uri.text)
    if len(found) > 1:
        raise KeystoreError(f"{len(found)} tokens match: add serial=… to the URI", path=uri.text)
    return found[0]


def token_error(exc: Exception, uri: KeyUri, doing: str, token: pkcs11.Token | None = None) -> KeystoreError:
    """Our one-line error (exit 3) for what the token answered; never the PIN."""
    import pkcs11

    name = uri.token_name
    if isinstance(exc, pkcs11.PinIncorrect | pkcs11.PinLenRange | pkcs11.PinInvalid):
        warning = ""
        if token is not None and _flags(token, uri) & pkcs11.TokenFlag.USER_PIN_FINAL_TRY:
            warning = ": one more wrong PIN locks it"
        return KeystoreError(f"wrong PIN for {name}{warning}", path=uri.text)
    if isinstance(exc, pkcs11.PinLocked):
        return locked(uri)
    if isinstance(exc, pkcs11.PinExpired):
        return KeystoreError(
            f"the user PIN of {name} has expired: change it with the token's tools", path=uri.text
        )
    if isinstance(exc, pkcs11.UserPinNotInitialized):
        return KeystoreError(f"{name} has no user PIN yet: its security officer must set one", path=uri.text)
    if isinstance(exc, pkcs11.TokenNotPresent | pkcs11.DeviceRemoved | pkcs11.TokenNotRecognised):
        return KeystoreError(f"{name} is not present (removed, or its HSM unreachable)", path=uri.text)
    detail = str(exc).strip()
    return KeystoreError(
        f"{name} failed while {doing}: {type(exc).__name__}{': ' + detail if detail else ''}", path=uri.text
    )


def locked(uri: KeyUri) -> KeystoreError:
    return KeystoreError(
        f"the user PIN of {uri.token_name} is locked (too many wrong PINs): its security officer must "
        "unlock it; nothing was signed",
        path=uri.text,
    )


def _flags(token: pkcs11.Token, uri: KeyUri) -> int:
    """The token's flags as it reports them now (C_GetTokenInfo: the PIN counters change)."""
    import pkcs11

    try:
        return int(token.slot.get_token().flags)
    except pkcs11.PKCS11Error:
        return 0


def login(token: pkcs11.Token, uri: KeyUri, pin: Callable[[str], str], *, rw: bool = False) -> pkcs11.Session:
    """A user session. A token that reports its PIN locked is not tried: a PIN is never typed into
    a locked token (and some count every try)."""
    import pkcs11

    if _flags(token, uri) & pkcs11.TokenFlag.USER_PIN_LOCKED:
        raise locked(uri)
    secret = pin(uri.token_name)
    try:
        return token.open(rw=rw, user_pin=secret)
    except pkcs11.UserAlreadyLoggedIn:
        # PKCS#11 logs in an application, not a session: another signer of this process already
        # did (two keys of one token), and this session shares that login
        return token.open(rw=rw)
    except pkcs11.PKCS11Error as exc:
        raise token_error(exc, uri, "logging in", token) from None


def _objects(session: pkcs11.Session, uri: KeyUri, kind: pkcs11.ObjectClass) -> list[Any]:
    import pkcs11

    query: dict[pkcs11.Attribute, Any] = {pkcs11.Attribute.CLASS: kind}
    if uri.label is not None:
        query[pkcs11.Attribute.LABEL] = uri.label
    if uri.id is not None:
        query[pkcs11.Attribute.ID] = uri.id
    return list(session.get_objects(query))


def _one(objects: list[Any], uri: KeyUri, what: str) -> Any:
    if not objects:
        raise KeystoreError(f"no {what} {uri.selector} in {uri.token_name}", path=uri.text)
    if len(objects) > 1:
        raise KeystoreError(
            f"{len(objects)} {what}s {uri.selector} in {uri.token_name}: add id=… to the URI", path=uri.text
        )
    return objects[0]


def ec_point(public_key: Any, uri: KeyUri) -> bytes:
    """x||y (64 bytes) of a secp256k1 public key object: CKA_EC_POINT is a DER OCTET STRING
    around the uncompressed point 04||x||y (PKCS#11 2.40); a few tokens give the bare point."""
    import pkcs11

    value = bytes(public_key[pkcs11.Attribute.EC_POINT])
    if len(value) == 67 and value[:3] == b"\x04\x41\x04":
        return value[3:]
    if len(value) == 65 and value[0] == 4:
        return value[1:]
    raise KeystoreError(f"the public {uri.key_name} is not an uncompressed secp256k1 point", path=uri.text)


def check_curve(key: Any, uri: KeyUri) -> None:
    """Ethereum accounts are secp256k1 keys: refuse any other key before it signs anything."""
    import pkcs11

    try:
        key_type = key[pkcs11.Attribute.KEY_TYPE]
        params = bytes(key[pkcs11.Attribute.EC_PARAMS]) if key_type == pkcs11.KeyType.EC else b""
    except pkcs11.PKCS11Error as exc:
        raise token_error(exc, uri, "reading the key's type") from None
    if key_type != pkcs11.KeyType.EC:
        name = getattr(key_type, "name", str(key_type))
        raise KeystoreError(
            f"the {uri.key_name} is a {name} key, not secp256k1: an Ethereum account needs a secp256k1 key",
            path=uri.text,
        )
    if params != SECP256K1_PARAMS:
        curve = KNOWN_CURVES.get(params, f"EC parameters {params.hex()}")
        raise KeystoreError(
            f"the {uri.key_name} is on curve {curve}, not secp256k1: an Ethereum account needs a "
            "secp256k1 key",
            path=uri.text,
        )


class Pkcs11Signer(DigestSigner):
    """A secp256k1 key in a token, signing through one logged-in session."""

    def __init__(self, uri: KeyUri, session: pkcs11.Session, private_key: Any, public_xy: bytes) -> None:
        import coincurve
        from eth_utils import keccak, to_checksum_address

        self.uri = uri
        self._session = session
        self._key = private_key
        self._public = coincurve.PublicKey(b"\x04" + public_xy).format(compressed=False)
        self._address = to_checksum_address(keccak(public_xy)[-20:])
        self._lock = threading.Lock()  # a session is not thread-safe

    @property
    def address(self) -> ChecksumAddress:
        return self._address

    def sign_digest(self, digest: bytes) -> tuple[int, int, int]:
        """CKM_ECDSA in the token; low s; recovery id by recovering the public key locally."""
        import coincurve
        import pkcs11

        if len(digest) != 32:
            raise InputError(f"a digest to sign is 32 bytes, not {len(digest)}")
        try:
            with self._lock:
                raw = self._key.sign(digest, mechanism=pkcs11.Mechanism.ECDSA)
        except pkcs11.PKCS11Error as exc:
            raise token_error(exc, self.uri, "signing") from None
        if len(raw) != 64:
            raise KeystoreError(
                f"the token's ECDSA signature is {len(raw)} bytes, not r||s (64)", path=self.uri.text
            )
        r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        if not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
            raise KeystoreError("the token's ECDSA signature is out of range", path=self.uri.text)
        if s > SECP256K1_N // 2:
            s = SECP256K1_N - s  # (r, n - s) signs the same digest; Ethereum takes only the low one
        rs = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        for y in (0, 1):
            try:
                recovered = coincurve.PublicKey.from_signature_and_message(
                    rs + bytes([y]), digest, hasher=None
                )
            except ValueError:
                continue
            if recovered.format(compressed=False) == self._public:
                return r, s, y
        raise KeystoreError(
            f"the token's signature does not verify with the public {self.uri.key_name}: the public and "
            "private key objects do not belong together",
            path=self.uri.text,
        )

    def close(self) -> None:
        with self._lock:
            self._session.close()


def open_signer(uri_text: str, *, module: str | None, pin: Callable[[str], str]) -> Pkcs11Signer:
    """Log in to the token the URI names and hold its secp256k1 key, checked: the right curve, a
    public key that belongs to it (one signature, verified locally). `pin(token)` is asked only
    once the module and the token are found."""
    import pkcs11

    uri = parse_uri(uri_text)
    token = find_token(uri, module)
    session = login(token, uri, pin)
    try:
        private_key = _one(_objects(session, uri, pkcs11.ObjectClass.PRIVATE_KEY), uri, "private key")
        check_curve(private_key, uri)
        public_key = _one(_objects(session, uri, pkcs11.ObjectClass.PUBLIC_KEY), uri, "public key")
        check_curve(public_key, uri)
        signer = Pkcs11Signer(uri, session, private_key, ec_point(public_key, uri))
        from eth_utils import keccak

        signer.sign_digest(keccak(KEY_CHECK))
    except pkcs11.PKCS11Error as exc:
        session.close()
        raise token_error(exc, uri, "finding the key") from None
    except AttestError:
        session.close()
        raise
    return signer


def public_address(uri_text: str, *, module: str | None) -> str | None:
    """The address of the key, read from its public key object without a PIN; None when the token
    shows no such public object before login (then the signer must be opened)."""
    import pkcs11
    from eth_utils import keccak, to_checksum_address

    uri = parse_uri(uri_text)
    token = find_token(uri, module)
    try:
        with token.open() as session:
            found = _objects(session, uri, pkcs11.ObjectClass.PUBLIC_KEY)
            if len(found) != 1:
                return None
            check_curve(found[0], uri)
            return str(to_checksum_address(keccak(ec_point(found[0], uri))[-20:]))
    except pkcs11.PKCS11Error as exc:
        raise token_error(exc, uri, "reading the public key") from None


def generate_key(uri_text: str, *, module: str | None, pin: Callable[[str], str]) -> Pkcs11Signer:
    """Generate a secp256k1 key pair inside the token (CKM_EC_KEY_PAIR_GEN): the private key
    sensitive and never extractable, the public key a public object (its address reads without a
    PIN). Refused when the token already holds a key under that label or id."""
    import pkcs11

    uri = parse_uri(uri_text)
    token = find_token(uri, module)
    asked: list[str] = []

    def once(name: str) -> str:  # the PIN is asked once: the key is opened again after generation
        if not asked:
            asked.append(pin(name))
        return asked[0]

    with login(token, uri, once, rw=True) as session:
        try:
            for kind in (pkcs11.ObjectClass.PRIVATE_KEY, pkcs11.ObjectClass.PUBLIC_KEY):
                if _objects(session, uri, kind):
                    raise InputError(
                        f"{uri.token_name} already holds a {uri.key_name}: refusing to create another",
                        path=uri.text,
                    )
            params = session.create_domain_parameters(
                pkcs11.KeyType.EC, {pkcs11.Attribute.EC_PARAMS: SECP256K1_PARAMS}, local=True
            )
            params.generate_keypair(
                store=True,
                label=uri.label,
                id=uri.id,
                capabilities=pkcs11.MechanismFlag.SIGN | pkcs11.MechanismFlag.VERIFY,
                private_template={
                    pkcs11.Attribute.TOKEN: True,
                    pkcs11.Attribute.PRIVATE: True,
                    pkcs11.Attribute.SENSITIVE: True,
                    pkcs11.Attribute.EXTRACTABLE: False,
                    pkcs11.Attribute.SIGN: True,
                },
                public_template={
                    pkcs11.Attribute.TOKEN: True,
                    pkcs11.Attribute.PRIVATE: False,
                    pkcs11.Attribute.VERIFY: True,
                },
            )
        except pkcs11.PKCS11Error as exc:
            raise token_error(exc, uri, "generating the key") from None
    return open_signer(uri_text, module=module, pin=once)
