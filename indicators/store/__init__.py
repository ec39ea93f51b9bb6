"""The store: schema, migrations, the single writer and the read-only queries."""
