"""Room on each summary page for its rows' new versions (decision 0009).

An import adds a file's spend to the summary rows it already has (a corrected or overlapping
extract, a year's file into months the ledger holds): each such row gets a new version. On a
full page the new version goes to another page, and all three of the table's indexes get an
entry for it; with a tenth of each page free it stays on its page (a heap-only update) and no
index is touched. Measured at 10M payments: five yearly files' summary step 6.3-6.5 s with
full pages, 4.3-4.7 s with this. New pages are filled to 90%; existing ones as rows are
rewritten, or at once by ``VACUUM FULL spend_spendsummary`` at a quiet time
(docs/operations.md).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("spend", "0014_payment_supplier_date_with_reference_index"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE spend_spendsummary SET (fillfactor = 90)",
            reverse_sql="ALTER TABLE spend_spendsummary RESET (fillfactor)",
        ),
    ]
