from django.urls import path

from spend import views

app_name = "spend"

urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("imports/<int:pk>/mapping/", views.import_mapping, name="import-mapping"),
    path("imports/<int:pk>/action/", views.import_action, name="import-action"),
    path("imports/<int:pk>/refused.csv", views.import_refused_rows, name="import-refused"),
    path("imports/payees/", views.payee_rules, name="payee-rules"),
]

# Dashboards, the payments drill-down, categories and the public spend-over-£500 files.
urlpatterns += [
    path("", views.overview, name="overview"),
    path("suppliers/", views.suppliers, name="suppliers"),
    path("suppliers/<int:pk>/", views.supplier_detail, name="supplier"),
    path("locality/", views.locality, name="locality"),
    path("tail/", views.tail, name="tail"),
    path("payments/", views.payments, name="payments"),
    path("categories/", views.categories, name="categories"),
    path("transparency/", views.transparency, name="transparency"),
    path(
        "transparency/<int:year>/<int:month>.csv", views.transparency_file, name="transparency-file"
    ),
    path(
        "transparency/year/<int:fy>.<str:kind>",
        views.transparency_year_file,
        name="transparency-year-file",
    ),
]

# Supplier data quality (issue 9): duplicates and merges, supplier data, Companies House,
# spend by size band and locality by head office.
from spend import views_quality  # noqa: E402

urlpatterns += [
    path("quality/", views_quality.home, name="quality"),
    path("quality/duplicates/", views_quality.duplicates, name="quality-duplicates"),
    path("quality/duplicates/<int:low>/<int:high>/", views_quality.pair, name="quality-pair"),
    path(
        "quality/duplicates/<int:low>/<int:high>/not-the-same/",
        views_quality.not_same,
        name="quality-not-same",
    ),
    path("quality/merges/", views_quality.merges, name="quality-merges"),
    path("quality/merges/<int:pk>/undo/", views_quality.merge_undo, name="quality-merge-undo"),
    path("quality/suppliers/<int:pk>/", views_quality.supplier, name="quality-supplier"),
    path("quality/companies-house/", views_quality.companies_house, name="quality-companies-house"),
    path("quality/size/", views_quality.size, name="quality-size"),
    path("quality/locality/", views_quality.locality, name="quality-locality"),
]
