"""A tenant app with one migration, installed only to time `migrate_schemas` applying it."""
