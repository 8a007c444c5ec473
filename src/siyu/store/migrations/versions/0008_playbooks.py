"""playbooks: documents per room, fire-once claims, run traces, the contact budget, viewer tags

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "playbook_files",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("paused", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "playbook_fires",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("playbook_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "playbook_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("playbook_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("trace", sa.JSON, nullable=False),
    )
    op.create_index("ix_playbook_runs_room", "playbook_runs", ["room_id", "started_at"])
    op.create_table(
        "contact_budget",
        sa.Column("shop_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "viewer_tags",
        sa.Column("shop_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("tag", sa.String(30), primary_key=True),
        sa.Column("at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("viewer_tags", "contact_budget", "playbook_runs", "playbook_fires", "playbook_files"):
        op.drop_table(table)
