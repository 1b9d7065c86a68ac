"""A SoftHSM2 token of the test's own, in a temporary folder: never a system token.

`SoftHsm(folder)` writes a softhsm2.conf whose tokendir is inside `folder` and initialises a token
there with `softhsm2-util --init-token --free` (SOFTHSM2_CONF points at that file only in the
environment handed to the commands, and in this process while `active`). SoftHSM2 is the token of
the tests: when it is missing they FAIL, saying what to install (`make test` installs it on Debian).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)
USER_PIN = "472901"
SO_PIN = "88331766"
CKF_USER_PIN_LOCKED = 0x00040000
CKA_OS_TOKENFLAGS = 0x8000534B  # SoftHSM2's token-file attribute holding CK_TOKEN_INFO.flags
P256 = bytes.fromhex("06082a8648ce3d030107")  # CKA_EC_PARAMS of prime256v1 (secp256r1, P-256)


def module() -> str:
    """The SoftHSM2 PKCS#11 module, or fail the test with what to install."""
    found = next((m for m in MODULE_CANDIDATES if Path(m).is_file()), None)
    if found is None or shutil.which("softhsm2-util") is None:
        pytest.fail(
            "SoftHSM2 is needed for the HSM tests: install it (Debian/Ubuntu: apt-get install softhsm2; "
            "macOS: brew install softhsm); `make test` does so on Debian when run as root",
            pytrace=False,
        )
    return found


class SoftHsm:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.module = module()
        self.tokens = folder / "tokens"
        self.tokens.mkdir(parents=True)
        self.conf = folder / "softhsm2.conf"
        self.conf.write_text(
            f"directories.tokendir = {self.tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
            "slots.removable = false\n",
            encoding="utf-8",
        )

    def init_token(self, label: str, pin: str = USER_PIN) -> str:
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", SO_PIN],
            env={**os.environ, "SOFTHSM2_CONF": str(self.conf)},
            check=True,
            capture_output=True,
        )
        return label

    def env(self, pin: str | None = USER_PIN) -> dict[str, str]:
        """What a command needs to reach this token (module and PIN through the environment)."""
        env = {"SOFTHSM2_CONF": str(self.conf), "ATTEST_PKCS11_MODULE": self.module}
        if pin is not None:
            env["ATTEST_PKCS11_PIN"] = pin
        return env

    @contextmanager
    def active(self) -> Iterator[None]:
        """This token as the one this process's SoftHSM2 sees (the module re-reads its config)."""
        import pkcs11

        before = os.environ.get("SOFTHSM2_CONF")
        os.environ["SOFTHSM2_CONF"] = str(self.conf)
        pkcs11.lib(self.module).reinitialize()
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("SOFTHSM2_CONF", None)
            else:
                os.environ["SOFTHSM2_CONF"] = before
            pkcs11.lib(self.module).reinitialize()

    def generate_ec(self, token: str, label: str, params: bytes, pin: str = USER_PIN) -> None:
        """An EC key pair on any curve (e.g. P-256), made in the token with python-pkcs11 directly."""
        import pkcs11

        with (
            self.active(),
            pkcs11.lib(self.module).get_token(token_label=token).open(rw=True, user_pin=pin) as s,
        ):
            domain = s.create_domain_parameters(
                pkcs11.KeyType.EC, {pkcs11.Attribute.EC_PARAMS: params}, local=True
            )
            domain.generate_keypair(store=True, label=label)

    def lock_user_pin(self, token: str) -> None:
        """Set CKF_USER_PIN_LOCKED in the token's state, as a real HSM does after too many wrong PINs
        (SoftHSM2 counts wrong PINs, CKF_USER_PIN_COUNT_LOW, but never locks). The flag is stored
        in the token's token.object file: (type u64, kind u64, value u64) big-endian records."""
        for path in self.tokens.glob("*/token.object"):
            data = bytearray(path.read_bytes())
            if token.encode().ljust(32) not in data:
                continue
            marker = CKA_OS_TOKENFLAGS.to_bytes(8, "big") + (2).to_bytes(8, "big")  # kind 2: a ulong
            at = data.index(marker) + len(marker)
            flags = int.from_bytes(data[at : at + 8], "big") | CKF_USER_PIN_LOCKED
            data[at : at + 8] = flags.to_bytes(8, "big")
            path.write_bytes(bytes(data))
            return
        raise AssertionError(f"no token {token!r} in {self.tokens}")


def uri(token: str, key: str) -> str:
    return f"pkcs11:token={token};object={key}"
