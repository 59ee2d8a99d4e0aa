"""Review's migration scripts, applied in order by alembic."""
