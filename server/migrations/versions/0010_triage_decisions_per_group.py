"""A triage decision belongs to the group whose coordinator made it

triage_rules gains group_id, in its key with norm_hash: a decision applies to that text in the
group's areas only. Each rule becomes the rule of every group whose areas hold a text it
settled, so nothing a group now counts or has dismissed changes; from here on each group
decides for itself (its coordinators can change any of them in its own queue).

Revision ID: 0010
Revises: 0013
Create Date: 2026-12-02 15:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

from server.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMNS = "norm_hash, norm, category, decided_by, decided_at"


def _rules_table(name: str, *, per_group: bool) -> None:
    key = ["norm_hash", "group_id"] if per_group else ["norm_hash"]
    op.create_table(
        name,
        sa.Column("norm_hash", sa.String(length=64), nullable=False),
        *([sa.Column("group_id", sa.Integer(), nullable=False)] if per_group else []),
        sa.Column("norm", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=False),
        *(
            [
                sa.ForeignKeyConstraint(
                    ["group_id"], ["groups.id"], name=op.f("fk_triage_rules_group_id_groups")
                )
            ]
            if per_group
            else []
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_triage_rules_decided_by_users")
        ),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_triage_rules")),
    )


def upgrade():
    op.rename_table("triage_rules", "triage_rules_global")
    if op.get_bind().dialect.name == "postgresql":  # names must be free for the new table
        op.execute("ALTER TABLE triage_rules_global RENAME CONSTRAINT pk_triage_rules TO pk_old")
        op.execute(
            "ALTER TABLE triage_rules_global RENAME CONSTRAINT "
            "fk_triage_rules_decided_by_users TO fk_old"
        )
    _rules_table("triage_rules", per_group=True)
    op.execute(
        f"INSERT INTO triage_rules (group_id, {COLUMNS}) "
        "SELECT DISTINCT a.group_id, r.norm_hash, r.norm, r.category, r.decided_by, r.decided_at "
        "FROM triage_rules_global r JOIN triage_items t ON t.norm_hash = r.norm_hash "
        "JOIN areas a ON a.code = t.area"
    )
    op.drop_table("triage_rules_global")


def downgrade():
    op.rename_table("triage_rules", "triage_rules_per_group")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE triage_rules_per_group RENAME CONSTRAINT pk_triage_rules TO pk_old")
        op.execute(
            "ALTER TABLE triage_rules_per_group RENAME CONSTRAINT "
            "fk_triage_rules_decided_by_users TO fk_old"
        )
        op.execute(
            "ALTER TABLE triage_rules_per_group RENAME CONSTRAINT "
            "fk_triage_rules_group_id_groups TO fk_old_group"
        )
    _rules_table("triage_rules", per_group=False)
    # one decision per text again: the latest any group made
    op.execute(
        f"INSERT INTO triage_rules ({COLUMNS}) SELECT {COLUMNS} FROM triage_rules_per_group r "
        "WHERE NOT EXISTS (SELECT 1 FROM triage_rules_per_group o WHERE o.norm_hash = r.norm_hash"
        " AND (o.decided_at > r.decided_at OR (o.decided_at = r.decided_at"
        " AND o.group_id > r.group_id)))"
    )
    op.drop_table("triage_rules_per_group")
