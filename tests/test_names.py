"""attest.core.names: the normalisation organisation names are unique by, and the look-alike check."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from attest.core.names import holders, lookalikes, name_key, normalise_name, skeleton


@pytest.mark.parametrize(
    "variant",
    [
        "WeBank",
        "webank",
        "WEBANK",
        "WeBank ",
        "  WeBank\t",
        "ＷｅＢａｎｋ",  # fullwidth
        "\uff37eBank",  # fullwidth W only
        "We\u200bBank",  # zero-width space
        "We\u00adBank",  # soft hyphen
        "\u202aWeBank\u202c",  # bidi embedding
        "\ufeffWeBank",  # byte-order mark
    ],
)
def test_variants_of_a_name_normalise_alike(variant: str) -> None:
    assert normalise_name(variant) == "webank"
    assert name_key(variant) == name_key("WeBank") == keccak(b"webank")


def test_whitespace_runs_collapse_to_one_space_and_only_that() -> None:
    assert normalise_name(" Rival \u00a0 \n Bank ") == "rival bank"  # no-break space and newline too
    assert normalise_name("Rival Bank") != normalise_name("RivalBank")  # a space is not nothing


def test_folding_beyond_lower_case_and_compatibility_forms() -> None:
    assert normalise_name("Straße") == normalise_name("STRASSE") == "strasse"
    assert normalise_name("ﬁnance") == "finance"  # the fi ligature
    assert normalise_name("Ⅻ Bank") == "xii bank"  # roman numeral twelve
    assert normalise_name("Cafe\u0301") == normalise_name("Café")  # combining accent = precomposed
    assert normalise_name("Café") != normalise_name("Cafe")  # accents are part of the name


@pytest.mark.parametrize("name", ["", " ", "\u200b", "\t\n", "\u200d\u00ad"])
def test_a_name_of_only_blanks_normalises_to_nothing(name: str) -> None:
    assert normalise_name(name) == ""


def test_normalisation_is_idempotent() -> None:
    for name in ("ＷeBank ", "Straße", "ǅemal", "ΣΊΣΥΦΟΣ", "ﬃ Bank"):
        once = normalise_name(name)
        assert normalise_name(once) == once, name


def test_the_key_is_keccak_of_the_normalised_utf8() -> None:
    assert name_key(" Grüne  Bank ") == keccak("grüne bank".encode())
    assert len(name_key("x")) == 32


@pytest.mark.parametrize(
    ("fake", "real"),
    [
        ("WeB\u0430nk", "WeBank"),  # Cyrillic а
        ("W\u0435B\u0430nk", "WeBank"),  # Cyrillic е and а
        ("We-Bank", "WeBank"),  # punctuation
        ("We Bank", "WeBank"),
        ("WeBänk", "WeBank"),  # accent
        ("Rivai Bank", "Rival Bank"),  # i for l
        ("Riva1 Bank", "Rival Bank"),  # 1 for l
        ("VVeBank", "WeBank"),  # vv for w
        ("Bank 0f China", "Bank of China"),  # zero for o
        ("Modern Bank", "Modem Bank"),  # rn for m
        ("\u039frg", "Org"),  # Greek capital omicron
    ],
)
def test_lookalikes_share_a_skeleton(fake: str, real: str) -> None:
    assert normalise_name(fake) != normalise_name(real)
    assert skeleton(fake) == skeleton(real)
    assert lookalikes(fake, {1: real, 2: "Another Bank"}) == [1]


def test_a_duplicate_is_not_a_lookalike_but_a_holder() -> None:
    names = {1: "WeBank", 2: "Rival Bank", 3: "webank"}
    assert holders("ＷeBank ", names) == [1, 3]
    assert lookalikes("ＷeBank ", names) == []
    assert holders("We Bank", names) == []
    assert lookalikes("We Bank", names) == [1, 3]


def test_different_names_are_neither() -> None:
    names = {1: "WeBank", 2: "Rival Bank", 3: "Example Carbon Verification Body (illustrative)"}
    for name in ("Green Bank", "WeBank Asset Management", "Rival", "Bank"):
        assert holders(name, names) == [] and lookalikes(name, names) == [], name


def test_a_name_with_no_letters_or_digits_looks_like_nothing() -> None:
    assert skeleton("---") == ""
    assert lookalikes("---", {1: "***"}) == []
