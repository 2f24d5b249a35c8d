"""Offboarding: a user can be disabled, and one dashboard session can be signed out of

users gains disabled_at (a disabled user's sign-ins, sessions and API tokens stop working);
ended_sessions keeps the sessions signed out of, by hash, until they would have expired.

Revision ID: 0011
Revises: 0012
Create Date: 2026-12-02 15:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

from server.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "ended_sessions",
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("until", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_ended_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_ended_sessions")),
    )
    with op.batch_alter_table("ended_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ended_sessions_until"), ["until"], unique=False)
        batch_op.create_index(batch_op.f("ix_ended_sessions_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("ended_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ended_sessions_user_id"))
        batch_op.drop_index(batch_op.f("ix_ended_sessions_until"))
    op.drop_table("ended_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
