"""Tune the merge tables for a write at every push

Drop the (area, day) index of response_mentions, which nothing reads (corrections and triage
changes read it by response); leave room in the aggregate tables' pages (PostgreSQL fillfactor
70) so a push's counter updates stay on their page and touch no index (HOT updates).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 23:25:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

AGGREGATES = ("mention_days", "respondent_days", "mention_months", "respondent_months",
              "equality_days")  # fmt: skip


def upgrade():
    with op.batch_alter_table("response_mentions", schema=None) as batch_op:
        batch_op.drop_index("ix_response_mentions_area_day")
    if op.get_bind().dialect.name == "postgresql":
        for table in AGGREGATES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in AGGREGATES:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    with op.batch_alter_table("response_mentions", schema=None) as batch_op:
        batch_op.create_index("ix_response_mentions_area_day", ["area", "day"], unique=False)
