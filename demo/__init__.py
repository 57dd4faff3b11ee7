"""Demo data, in one place: the generated ledger extracts, register, social value,
self-assessments and users that ``make run`` loads on an empty database.

The top layer: it may import every app; no app imports it (tests and benches do, for the
extract generator)."""
