"""Configuration of the soak tests (``pytest soak -q``; not part of the default ``tests`` run)."""
