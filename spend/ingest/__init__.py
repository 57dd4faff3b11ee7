"""Reading paid-invoice extracts and published spend files (pure Python, no Django).

* ``parse.iter_payments(file, name, layout_hint, mapping)`` -> ``(ImportHeader, payments)``:
  the entry point; payments are ``parse.Payment`` records, money in integer pence.
* ``errors.ImportRejected``: a refused file, with file name, line and column.
* ``layouts``: the R12, Fusion and published-file (``transparency``) layouts as data;
  ``detect_layout`` and ``apply_custom_mapping`` for saved column mappings.
* ``readers``: streaming CSV (encoding and delimiter sniffing) and XLSX (zip-bomb guards).
* ``normalise``: dates, pence, postcodes, supplier names and keys, payment status.
* ``generate``: realistic, deterministic R12/Fusion extracts and their expected totals.
"""
