"""Recorded crime beside residents' concerns: areas' LSOAs and police.uk counts

area_lsoas maps each LSOA to the one area it lies in; crime_counts keeps only counts by
(reporting force, month, area, category); crime_imports says what each (force, month) held.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-02 11:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

from server.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "area_lsoas",
        sa.Column("lsoa", sa.String(length=16), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_area_lsoas_area_id_areas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("lsoa", name=op.f("pk_area_lsoas")),
    )
    with op.batch_alter_table("area_lsoas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_lsoas_area_id"), ["area_id"], unique=False)
    op.create_table(
        "crime_counts",
        sa.Column("force", sa.String(length=100), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("area", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("force", "month", "area", "category", name=op.f("pk_crime_counts")),
    )
    with op.batch_alter_table("crime_counts", schema=None) as batch_op:
        batch_op.create_index("ix_crime_counts_area_month", ["area", "month"], unique=False)
    op.create_table(
        "crime_imports",
        sa.Column("force", sa.String(length=100), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("imported_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("force", "month", name=op.f("pk_crime_imports")),
    )


def downgrade():
    op.drop_table("crime_imports")
    with op.batch_alter_table("crime_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_crime_counts_area_month")
    op.drop_table("crime_counts")
    with op.batch_alter_table("area_lsoas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_lsoas_area_id"))
    op.drop_table("area_lsoas")
