"""Schema migrations (Alembic): every change to storage/schema.py is a revision here, so an upgrade
adds and alters tables without dropping what is in them. ``storage.migrate.upgrade`` runs them."""
