"""A response's clock flag: collected after it was received, or long before its survey existed

responses gains clock_flag (NULL when the time is plausible): "ahead" when collected_at is
later than received_at (beyond a tolerance), "early" when it is long before the survey
version was added. The response is kept and counted; coordinators see the devices whose
clocks are off.

Revision ID: 0012
Revises: 0015
Create Date: 2026-12-02 15:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        batch.add_column(sa.Column("clock_flag", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("clock_flag")
