"""calls: when each party of a call was last seen connected (rtc_calls.caller_seen_at, callee_seen_at)

Revision ID: 0013
Revises: 0012

Refreshed by the nodes a party is connected to (on enter and every few seconds); a node whose party left
ends the call as `left` after `rtc.leave_grace_s` only if nobody saw the party since (rtc/presence.py).
Null (a call from before this revision) counts as not seen.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rtc_calls") as batch:
        batch.add_column(sa.Column("caller_seen_at", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("callee_seen_at", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rtc_calls") as batch:
        batch.drop_column("callee_seen_at")
        batch.drop_column("caller_seen_at")
