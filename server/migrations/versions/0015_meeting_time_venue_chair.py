"""A meeting's time, venue and chair, shown at the head of its agenda

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-02 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("time", sa.String(length=5), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("venue", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("chair", sa.String(length=100), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("chair")
        batch.drop_column("venue")
        batch.drop_column("time")
