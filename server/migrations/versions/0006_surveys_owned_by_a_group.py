"""A survey may be one group's own: only that group's devices pull it

survey_versions.group_id names the group (NULL: every group's, as every survey was before);
change_log.group_id carries it into the pull feed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 01:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("survey_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_survey_versions_group_id_groups"), "groups", ["group_id"], ["id"]
        )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_column("group_id")
    with op.batch_alter_table("survey_versions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_survey_versions_group_id_groups"), type_="foreignkey"
        )
        batch_op.drop_column("group_id")
