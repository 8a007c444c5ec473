"""events.cid: the client's action id, unique per room and user (a re-sent cid never posts twice)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("cid", sa.String(64), nullable=True))
    op.create_index("ux_events_room_user_cid", "events", ["room_id", "user_id", "cid"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_events_room_user_cid", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("cid")
