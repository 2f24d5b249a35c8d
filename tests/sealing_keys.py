"""A fixed contact key for tests: give it to a collector store, open what it sealed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from collector.sealing import ALG, open_field, public_text

PRIVATE = X25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
GROUPS = ("northfield", "riverside")  # the demo areas' groups, and the server tests'


def wire_keys(groups: tuple[str, ...] = GROUPS) -> list[dict[str, str]]:
    """Return the pull feed's ``contact_keys`` for ``groups``, all one test key pair."""
    public = public_text(PRIVATE.public_key())
    return [{"kid": f"ck-test-{g}", "group": g, "public_key": public, "alg": ALG} for g in groups]


def give_key(store: Any, groups: tuple[str, ...] = GROUPS) -> None:
    """Let a collector store seal contact details (as a pull bringing the keys would)."""
    store.set_pulled(contact_keys=wire_keys(groups))


def opened(personal: Mapping[str, Any], response_id: str) -> dict[str, str]:
    """Return sealed personal fields opened with the test key."""
    return {f: open_field(v, PRIVATE, response_id, f) for f, v in personal.items()}


PASSPHRASE = "test contact passphrase"


def add_server_key(app: Any, group: str = "northfield") -> str:
    """Give the server's ``group`` the test key (kid ``ck-test-<group>``); return its kid."""
    from server.accounts.users import get_group
    from server.contacts.keys import wrap
    from server.db import db
    from server.models.contacts import ContactKey

    kid = f"ck-test-{group}"
    with app.app_context():
        row = ContactKey(
            kid=kid,
            group_id=get_group(db.session, group).id,
            public_key=public_text(PRIVATE.public_key()),
            wrapped=wrap(PRIVATE, PASSPHRASE, kid),
            created_at=app.config["CLOCK"](),
        )
        db.session.add(row)
        db.session.commit()
    return kid
