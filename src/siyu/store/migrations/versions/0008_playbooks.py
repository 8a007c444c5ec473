"""PLACEHOLDER for the playbooks migration (written in another worktree); replace it at merge.

Revision ID: 0008_playbooks
Revises: 0006

Only here so that 0009_invites has its down revision in this worktree; it changes nothing.
"""

revision = "0008_playbooks"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
