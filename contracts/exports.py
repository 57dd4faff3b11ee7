"""django-tables2 exports (``?_export=csv`` / ``xlsx``) that cannot carry a formula.

A cell starting with = + - @ (or a tab or carriage return) gets a leading apostrophe, so a
spreadsheet shows it as text instead of running it (CSV/formula injection).
"""

from typing import Any

from django_tables2.export import ExportMixin, TableExport

from contracts.layout import neutralise


class SafeTableExport(TableExport):
    def table_to_dataset(self, table: Any, exclude_columns: Any, dataset_kwargs: Any = None) -> Any:
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        headers = [neutralise(h) for h in dataset.headers or []]
        rows = [[neutralise(value) for value in row] for row in dataset]
        dataset.wipe()
        dataset.headers = headers
        for row in rows:
            dataset.append(row)
        return dataset


class SafeExportMixin(ExportMixin):
    export_class = SafeTableExport
    export_formats = (TableExport.CSV, TableExport.XLSX)
