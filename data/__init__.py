"""Data layer of 助管通: models, engine/session setup, migrations, importers, demo data.

Importable without Flask: the web layer and the CLI build on it, never the other way round.
"""
