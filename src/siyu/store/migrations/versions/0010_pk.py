"""PK battles between rooms: the battles (pk_battles) and the rooms they hold (pk_rooms)

Revision ID: 0010
Revises: 0009

Every transition of a battle is a compare-and-set on `pk_battles.status`; `pk_rooms` keeps a room in at most
one battle (pending, live or in its punishment phase).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pk_battles",
        sa.Column("pk_id", sa.String(32), primary_key=True),
        sa.Column("room_a", sa.String(64), nullable=False),
        sa.Column("room_b", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("seconds", sa.Integer, nullable=False),
        sa.Column("punish_s", sa.Integer, nullable=False),
        sa.Column("invited_by", sa.String(64), nullable=False),
        sa.Column("invited_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=True),
        sa.Column("ends_at", sa.BigInteger, nullable=True),
        sa.Column("punish_until", sa.BigInteger, nullable=True),
        sa.Column("ended_at", sa.BigInteger, nullable=True),
        sa.Column("result", sa.JSON, nullable=True),
    )
    op.create_table(
        "pk_rooms",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("pk_id", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pk_rooms")
    op.drop_table("pk_battles")
