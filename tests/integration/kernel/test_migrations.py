from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bayfin import registry
from bayfin.kernel.db import Base


def test_migrations_build_exactly_the_schema_the_models_declare(engine):
    registry.load_models()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
