"""Settings modules: ``base`` (development, the default), ``test`` and ``production``."""
