"""the log is the room sequencer: unique (room_id, seq), the room_seqs counter, room messages' wire bytes

Revision ID: 0003
Revises: 0002

Before this revision a Redis outage could give one seq to two room messages (two nodes counting
locally). Such a duplicate keeps its event but loses its seq (the later row by id, as the stream never
delivered both), so that the unique index can be built; the counter starts above every seq in the log.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("wire", sa.LargeBinary, nullable=True))
        batch.add_column(sa.Column("prio", sa.SmallInteger, nullable=True))
    op.execute(
        "UPDATE events SET seq = NULL WHERE seq IS NOT NULL AND EXISTS (SELECT 1 FROM events AS f"
        " WHERE f.room_id = events.room_id AND f.seq = events.seq AND f.id < events.id)"
    )
    op.drop_index("ix_events_room_seq", table_name="events")
    op.create_index("ux_events_room_seq", "events", ["room_id", "seq"], unique=True)
    op.create_table(
        "room_seqs",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.execute(
        "INSERT INTO room_seqs (room_id, seq) SELECT room_id, max(seq) FROM events"
        " WHERE seq IS NOT NULL GROUP BY room_id"
    )


def downgrade() -> None:
    op.drop_table("room_seqs")
    op.drop_index("ux_events_room_seq", table_name="events")
    op.create_index("ix_events_room_seq", "events", ["room_id", "seq"])
    with op.batch_alter_table("events") as batch:
        batch.drop_column("prio")
        batch.drop_column("wire")
