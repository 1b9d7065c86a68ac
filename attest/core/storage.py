"""Where a contract's state lives in storage, from the compiler's `storageLayout`, and how to read it.

A storage proof (attest.core.proofs) proves the 32-byte word at a slot; this module says which slot
holds which fact and how to take the fact out of the word, so no slot number is written by hand:
`storageLayout` is committed with each artifact (attest.chain.compiler) and a test proves every
slot computation against the chain. Covered: value types at a variable or struct member (packed:
several in one word, at a byte offset), mappings keyed by value types (`keccak256(key . slot)`),
nested structs, and `string` (short strings inline, long ones at `keccak256(slot)` onwards).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_utils import keccak

from attest.core.contracts import load_artifact
from attest.core.proofs import mapping_slot

WORD = 32


class LayoutError(ValueError):
    """The layout has no such variable or member, or it is not of the type asked for."""


@dataclass(frozen=True)
class Location:
    """A value's place: its word (slot), its byte offset in that word, its type in the layout."""

    slot: int
    offset: int
    type: str


class StorageLayout:
    """One contract's `storageLayout` (`{"storage": [...], "types": {...}}`), read by name."""

    def __init__(self, layout: Mapping[str, Any]) -> None:
        self.types: Mapping[str, Any] = layout["types"]
        self.variables = {v["label"]: v for v in layout["storage"]}

    def variable(self, label: str) -> Location:
        """Where state variable `label` is."""
        try:
            v = self.variables[label]
        except KeyError:
            raise LayoutError(f"no state variable {label!r}") from None
        return Location(int(v["slot"]), int(v["offset"]), v["type"])

    def entry(self, at: Location, key: bytes) -> Location:
        """Where the value for `key` (its 32-byte ABI word) is in the mapping at `at`."""
        t = self.types[at.type]
        if t.get("encoding") != "mapping":
            raise LayoutError(f"{at.type} is not a mapping")
        if len(key) != WORD:
            raise LayoutError("a mapping key is one 32-byte word")
        return Location(mapping_slot(key, at.slot), 0, t["value"])

    def member(self, at: Location, name: str) -> Location:
        """Where member `name` of the struct at `at` is."""
        for m in self.types[at.type].get("members", ()):
            if m["label"] == name:
                return Location(at.slot + int(m["slot"]), int(m["offset"]), m["type"])
        raise LayoutError(f"{at.type} has no member {name!r}")

    def size(self, at: Location) -> int:
        """Bytes the value at `at` takes in its word (32 for a whole-word or dynamic value)."""
        return int(self.types[at.type]["numberOfBytes"])

    def read(self, at: Location, word: int) -> int:
        """The value at `at` (a value type) taken out of its slot's word `word`."""
        if self.types[at.type].get("encoding") != "inplace" or "members" in self.types[at.type]:
            raise LayoutError(f"{at.type} is not a value type")
        bits = 8 * self.size(at)
        return (word >> (8 * at.offset)) & ((1 << bits) - 1)

    def string_slots(self, at: Location, word: int) -> list[int]:
        """The further slots holding the string at `at`, given its own slot's word (none if short)."""
        self._require_string(at)
        if word & 1 == 0:
            return []
        length = (word - 1) // 2
        start = int.from_bytes(keccak(at.slot.to_bytes(WORD, "big")), "big")
        return [start + i for i in range((length + WORD - 1) // WORD)]

    def read_string(self, at: Location, read_word: Callable[[int], int]) -> str:
        """The string at `at`; `read_word(slot)` answers each slot (from a verified proof)."""
        self._require_string(at)
        word = read_word(at.slot)
        if word & 1 == 0:  # short: the bytes, then twice the length in the lowest byte
            length = (word & 0xFF) // 2
            if length >= WORD:
                raise LayoutError("a short string's length byte is out of range")
            data = word.to_bytes(WORD, "big")[:length]
        else:
            length = (word - 1) // 2
            raw = b"".join(read_word(s).to_bytes(WORD, "big") for s in self.string_slots(at, word))
            data = raw[:length]
        return data.decode("utf-8", errors="replace")

    def _require_string(self, at: Location) -> None:
        if at.type != "t_string_storage":
            raise LayoutError(f"{at.type} is not a string")


@cache
def contract_layout(name: str) -> StorageLayout:
    """The committed artifact's layout of contract `name`, read once per process."""
    return StorageLayout(load_artifact(name).storage_layout)


def word_of_address(address: str) -> bytes:
    """An address as a mapping key: its 20 bytes left-padded to a word."""
    return bytes.fromhex(address.removeprefix("0x").rjust(2 * WORD, "0"))


def word_of_uint(value: int) -> bytes:
    return value.to_bytes(WORD, "big")


def word_of_bytes32(hex32: str) -> bytes:
    raw = bytes.fromhex(hex32.removeprefix("0x"))
    if len(raw) != WORD:
        raise LayoutError("not a 32-byte value")
    return raw
