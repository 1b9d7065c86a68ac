"""Organisation names: the one normalisation that makes them unique, and a look-alike check.

Nothing on-chain stops "WeBank", "WeBank " and "ＷeBank" (fullwidth W) from being three members, yet a
reader cannot tell them apart and a document naming one could be claimed by another. The governance
contract keeps names unique by a key the client computes: `name_key(name)`, keccak256 of the UTF-8
bytes of `normalise_name(name)`. The contract cannot check that the key belongs to the name, so no
reader trusts stored keys: looking an organisation up by name normalises the display names it reads
(`holders`) and the query with this same function. `lookalikes` goes further than uniqueness: names
that normalise differently but look the same ("WeBank" and "WeBаnk" with a Cyrillic а) earn a warning
when one is admitted; they are not refused, since such a small table cannot be sure.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

# Look-alike letters of other scripts, and digits, mapped to the Latin letter they pass for (after
# case folding). A small table of the usual suspects, not Unicode's full confusables list (TR39).
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "l", "ї": "l", "ј": "j", "к": "k",
        "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s",
        "ԁ": "d", "ԛ": "q", "ԝ": "w", "ь": "b",
        # Latin letters of other shapes
        "ɡ": "g", "ı": "l", "ɩ": "l",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "l", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
        "τ": "t", "υ": "u", "χ": "x", "ω": "w",
        # digits and letters that pass for one another in most typefaces (capital I folds to i)
        "0": "o", "1": "l", "i": "l", "5": "s",
    }
)  # fmt: skip
_DIGRAPHS = (("rn", "m"), ("vv", "w"), ("cl", "d"))


def normalise_name(name: str) -> str:
    """The form names are unique by: Unicode NFKC, case folded, format characters (zero-width
    spaces and joiners, soft hyphens, direction marks) dropped, whitespace runs collapsed to one
    space and stripped. NFKC is applied again after folding, as folding can undo it."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def name_key(name: str) -> bytes:
    """What the governance contract keeps unique for `name`: keccak256 of its normalised UTF-8 bytes."""
    from eth_utils import keccak

    return bytes(keccak(normalise_name(name).encode("utf-8")))


def skeleton(name: str) -> str:
    """What `name` looks like, roughly: normalised, accents dropped, look-alike letters mapped to the
    Latin ones they pass for, and only letters and digits kept ("We-Bank" and "WeBank" agree)."""
    text = unicodedata.normalize("NFKD", normalise_name(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_CONFUSABLES)
    for pair, single in _DIGRAPHS:
        text = text.replace(pair, single)
    return "".join(ch for ch in text if ch.isalnum())


def holders(name: str, names: Mapping[int, str]) -> list[int]:
    """The ids among `names` (id → display name) whose name normalises as `name` does, in order."""
    wanted = normalise_name(name)
    return sorted(i for i, n in names.items() if normalise_name(n) == wanted)


def organisation_id(name_or_id: str, names: Mapping[int, str]) -> int:
    """The organisation `--org` means among `names` (id → display name): a number, or the one name
    that normalises as it does. Raises InputError (exit 2) for no such name, or one that several
    organisations hold (admitted before names were unique), naming their ids."""
    from attest.core.errors import InputError

    if name_or_id.isdigit():
        return int(name_or_id)
    matches = holders(name_or_id, names)
    if not matches:
        raise InputError(f"no admitted organisation is named {name_or_id!r}", field="--org")
    if len(matches) > 1:
        ids = ", ".join(f"#{i}" for i in matches)
        raise InputError(
            f"several admitted organisations are named {name_or_id!r} ({ids}): give the id", field="--org"
        )
    return matches[0]


def lookalikes(name: str, names: Mapping[int, str]) -> list[int]:
    """The ids among `names` whose name looks like `name` (the same skeleton) without being the same
    name (another normalised form): an admission worth a second look."""
    wanted, shape = normalise_name(name), skeleton(name)
    return sorted(
        i for i, n in names.items() if normalise_name(n) != wanted and shape and skeleton(n) == shape
    )
