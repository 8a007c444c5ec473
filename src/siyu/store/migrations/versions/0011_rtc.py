"""calls and the co-host mic: the calls (rtc_calls) and the lock of their parties (rtc_parties)

Revision ID: 0011
Revises: 0009

A user is in at most one ringing or connected call across nodes (the rtc_parties primary key); a call's
status moves by compare-and-set; mic_slot (unique per room while set) caps the mic's guests.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rtc_calls",
        sa.Column("call_id", sa.String(32), primary_key=True),
        sa.Column("room_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("callee", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("accepted_at", sa.BigInteger, nullable=True),
        sa.Column("ended_at", sa.BigInteger, nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
        sa.Column("seen_at", sa.BigInteger, nullable=False),
        sa.Column("mic_slot", sa.Integer, nullable=True),
    )
    op.create_index("ix_rtc_calls_room", "rtc_calls", ["room_id", "status"])
    op.create_index("ux_rtc_calls_mic_slot", "rtc_calls", ["room_id", "mic_slot"], unique=True)
    op.create_table(
        "rtc_parties",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("call_id", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rtc_parties")
    op.drop_table("rtc_calls")
