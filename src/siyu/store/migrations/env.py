"""Alembic environment: always run on a connection handed in by siyu.store.db."""

from alembic import context

from siyu.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through siyu (Database.migrate), which passes a connection")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
