"""Sealing one personal field with HPKE: RFC 9180's suite, bound to its response and field."""

from __future__ import annotations

import pytest
from cryptography.hazmat.bindings._rust import openssl as rust_openssl
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from collector.sealing import (
    ALG,
    SUITE,
    ContactKey,
    SealError,
    open_field,
    public_text,
    seal_field,
    seal_personal,
)
from survey_schemas.sealed import sealed_problem

PRIVATE = X25519PrivateKey.generate()
KEY = ContactKey.from_wire(
    {"kid": "ck-test", "group": "northfield", "public_key": public_text(PRIVATE.public_key())}
)
RID = "5a0c7b1e-8d7a-4f7e-9b8e-0e6f2d1c3b4a"

# RFC 9180, appendix A.1.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode),
# sequence number 0.
A1 = {
    "skRm": "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
    "pkRm": "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
    "enc": "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
    "info": "4f6465206f6e2061204772656369616e2055726e",
    "aad": "436f756e742d30",
    "pt": "4265617574792069732074727574682c20747275746820626561757479",
    "ct": "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a"
    "52ae8218a355a96d8770ac83d07bea87e13c512a",
}


def test_the_suite_is_rfc_9180s_x25519_sha256_aes128gcm() -> None:
    # cryptography's single-shot API takes no fixed ephemeral key, so the vector is checked on
    # the opening side: the RFC's enc || ct opens under its recipient key, info and aad.
    private = X25519PrivateKey.from_private_bytes(bytes.fromhex(A1["skRm"]))
    assert private.public_key().public_bytes_raw().hex() == A1["pkRm"]
    opened = rust_openssl.hpke._decrypt_with_aad(
        SUITE,
        bytes.fromhex(A1["enc"] + A1["ct"]),
        private,
        info=bytes.fromhex(A1["info"]),
        aad=bytes.fromhex(A1["aad"]),
    )
    assert opened == bytes.fromhex(A1["pt"])


@given(st.text(max_size=300))
def test_sealing_and_opening_any_text_round_trips(text: str) -> None:
    sealed = seal_field(text, KEY, RID, "contact_phone")
    assert sealed_problem(sealed) is None and sealed["alg"] == ALG
    assert open_field(sealed, PRIVATE, RID, "contact_phone") == text


def test_sealing_twice_gives_different_ciphertexts() -> None:
    one, two = (seal_field("07700 900123", KEY, RID, "contact_phone") for _ in range(2))
    assert one["ct"] != two["ct"]
    assert "07700" not in one["ct"]


@pytest.mark.parametrize(
    ("response_id", "field"),
    [
        ("0b8d3a55-1111-4c1e-a8a5-6f7d0c3e2b10", "contact_phone"),  # moved to another response
        (RID, "contact_email"),  # moved to another field
    ],
)
def test_a_ciphertext_moved_elsewhere_does_not_open(response_id: str, field: str) -> None:
    sealed = seal_field("07700 900123", KEY, RID, "contact_phone")
    with pytest.raises(SealError):
        open_field(sealed, PRIVATE, response_id, field)


def test_another_key_or_a_changed_ciphertext_does_not_open() -> None:
    sealed = seal_field("resident@example.org", KEY, RID, "contact_email")
    with pytest.raises(SealError):
        open_field(sealed, X25519PrivateKey.generate(), RID, "contact_email")
    flipped = sealed["ct"][:-6] + ("A" if sealed["ct"][-6] != "A" else "B") + sealed["ct"][-5:]
    with pytest.raises(SealError):
        open_field({**sealed, "ct": flipped}, PRIVATE, RID, "contact_email")


def test_the_response_id_binds_case_blind() -> None:
    sealed = seal_field("x", KEY, RID.upper(), "contact_name")
    assert open_field(sealed, PRIVATE, RID, "contact_name") == "x"


def test_seal_personal_seals_each_field_and_keeps_sealed_ones() -> None:
    already = seal_field("Ann", KEY, RID, "contact_name")
    out = seal_personal({"contact_name": already, "contact_phone": "0116 496 0000"}, KEY, RID)
    assert out["contact_name"] is already
    assert open_field(out["contact_phone"], PRIVATE, RID, "contact_phone") == "0116 496 0000"


@pytest.mark.parametrize(
    "value",
    [
        "07700 900123",
        {"kid": "k", "alg": ALG},
        {"kid": "k", "alg": "rsa", "ct": "A" * 64},
        {"kid": "no spaces", "alg": ALG, "ct": "A" * 64},
        {"kid": "k", "alg": ALG, "ct": "short"},
        {"kid": "k", "alg": ALG, "ct": "!" * 64},
        {"kid": "k", "alg": ALG, "ct": "A" * 64, "extra": 1},
    ],
)
def test_a_malformed_sealed_field_is_named(value: object) -> None:
    assert sealed_problem(value) is not None
