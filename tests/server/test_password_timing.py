"""Signing in as an unknown user costs a password hash too, so timing names no usernames."""

from __future__ import annotations

import pytest
from flask import Flask

from server.accounts import passwords
from server.accounts import users as accounts
from server.accounts.users import check_password, create_user
from server.db import db


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the method of every hash check_password verifies against (the real check runs)."""
    methods: list[str] = []

    def spy(pwhash: str, password: str) -> bool:
        methods.append(pwhash.split("$", 1)[0])
        return passwords.password_matches(pwhash, password)

    monkeypatch.setattr(accounts, "password_matches", spy)
    return methods


def test_unknown_user_and_passwordless_user_still_pay_for_a_hash(app: Flask, hashed) -> None:
    with app.app_context():
        create_user(db.session, "ada", "admin", password="correct horse")
        create_user(db.session, "nopass", "admin")
        assert check_password(db.session, "ada", "wrong") is None
        assert check_password(db.session, "nobody", "wrong") is None
        assert check_password(db.session, "nopass", "wrong") is None
        assert check_password(db.session, "ada", "correct horse") is not None
    assert len(hashed) == 4 and len(set(hashed)) == 1  # each with the same method and cost
