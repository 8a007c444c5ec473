"""private-domain invites: one row per invite a playbook issued, keyed by its WeCom state (invites)

Revision ID: 0009
Revises: 0008

The state (at most 30 characters, WeCom's limit) is derived from room, session, playbook and user; the
WeCom callback finds the invite by it and marks it accepted once.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invites",
        sa.Column("state", sa.String(30), primary_key=True),
        sa.Column("room_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("playbook_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("incentive", sa.String(200), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("config_id", sa.String(128), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("accepted_at", sa.BigInteger, nullable=True),
        sa.Column("external_id", sa.String(64), nullable=True),
    )
    op.create_index("ix_invites_room", "invites", ["room_id"])


def downgrade() -> None:
    op.drop_table("invites")
