"""Alembic environment: the store passes its connection in `config.attributes['connection']`."""

from alembic import context

from workbench.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` CLI use (autogenerate during development)
    import sqlalchemy as sa

    connection = sa.create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://").connect()

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
