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
