from django.urls import path

from socialvalue import views

app_name = "socialvalue"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("contracts/", views.by_contract, name="by-contract"),
    path("suppliers/", views.by_supplier, name="by-supplier"),
    path("years/", views.by_year, name="by-year"),
    path("measures/", views.by_measure, name="by-measure"),
    path("overdue/", views.overdue, name="overdue"),
    path("overdue/<int:pk>/remind/", views.reminder_send, name="remind"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/export/", views.catalogue_export, name="catalogue-export"),
    path("catalogue/import/", views.catalogue_import, name="catalogue-import"),
    path("catalogue/measures/new/", views.measure_edit, name="measure-add"),
    path("catalogue/measures/<int:pk>/", views.measure_edit, name="measure-edit"),
    path("catalogue/measures/<int:pk>/proxies/", views.proxy_add, name="proxy-add"),
    path(
        "catalogue/measures/<int:pk>/proxies/<int:proxy_pk>/remove/",
        views.proxy_delete,
        name="proxy-delete",
    ),
    path("contracts/<int:pk>/", views.contract, name="contract"),
    path("contracts/<int:pk>/approach/", views.approach_edit, name="approach"),
    path("contracts/<int:pk>/commitments/new/", views.commitment_edit, name="commitment-add"),
    path(
        "contracts/<int:pk>/commitments/<int:commitment_pk>/",
        views.commitment_edit,
        name="commitment-edit",
    ),
    path(
        "contracts/<int:pk>/commitments/<int:commitment_pk>/remove/",
        views.commitment_delete,
        name="commitment-delete",
    ),
    path("contracts/<int:pk>/returns/new/", views.return_record, name="return-record"),
    path("contracts/<int:pk>/returns/<int:return_pk>/", views.return_review, name="return-review"),
    path("contracts/<int:pk>/returns/<int:return_pk>/evidence/", views.evidence, name="evidence"),
    path("contracts/<int:pk>/links/new/", views.link_create, name="link-create"),
    path("contracts/<int:pk>/links/<int:link_pk>/revoke/", views.link_revoke, name="link-revoke"),
    path("supplier/<str:token>/", views.supplier_home, name="supplier"),
    path("supplier/<str:token>/return/", views.supplier_return, name="supplier-return"),
    path("supplier/<str:token>/kpis/", views.supplier_kpi_return, name="supplier-kpi-return"),
]
