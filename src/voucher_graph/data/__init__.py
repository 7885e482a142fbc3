"""The data layer: SQLAlchemy models, engine, loaders and the world-file writer."""
