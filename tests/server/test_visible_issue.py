"""``visible_issue`` (server.meetings.accountability): the one rule the API and dashboard share."""

from __future__ import annotations

import pytest
from flask import Flask

from server.accounts.users import create_user
from server.db import db
from server.exceptions import NotFound
from server.meetings.accountability import issue_for, visible_issue

# (name, role, group, provider) -> may see abbey's speeding issue owned by "Police"
CASES = [
    ("ada", "admin", None, None, True),
    ("cora", "coordinator", "northfield", None, True),
    ("rick", "coordinator", "riverside", None, False),
    ("pc", "provider", None, " police ", True),
    ("council", "provider", None, "Council", False),
]


@pytest.mark.parametrize(("name", "role", "group", "provider", "sees"), CASES)
def test_who_may_see_an_issue(
    app: Flask, name: str, role: str, group: str | None, provider: str | None, sees: bool
) -> None:
    with app.app_context():
        issue = issue_for(db.session, "abbey", "speeding", create=True)
        issue.owner = "Police"
        user, _ = create_user(
            db.session, name, role, groups=[group] if group else None, provider=provider
        )
        db.session.flush()
        if sees:
            assert visible_issue(db.session, user, issue.id) is issue
        else:
            with pytest.raises(NotFound):
                visible_issue(db.session, user, issue.id)


def test_an_unknown_issue_is_not_found_even_for_an_admin(app: Flask) -> None:
    with app.app_context():
        admin, _ = create_user(db.session, "ada", "admin")
        with pytest.raises(NotFound):
            visible_issue(db.session, admin, 999_999)
