"""Groups' contact keys and the log of residents contacted from the follow-up list

contact_keys holds each group's X25519 public key and its private key wrapped by the
coordinator's passphrase (deleted when the key is retired); contact_marks logs who contacted a
resident, when and by which channel.

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-02 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

from server.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contact_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("retired_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_contact_keys_group_id_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_contact_keys_kid")),
    )
    with op.batch_alter_table("contact_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_keys_group_id"), ["group_id"], unique=False)
    op.create_table(
        "contact_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.String(length=36), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("marked_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_contact_marks_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_marks")),
    )
    with op.batch_alter_table("contact_marks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_marks_response_id"), ["response_id"], unique=False
        )


def downgrade():
    op.drop_table("contact_marks")
    op.drop_table("contact_keys")
