from django.urls import path

from contracts import views

app_name = "contracts"

urlpatterns = [
    path("", views.ContractListView.as_view(), name="list"),
    path("new/", views.contract_create, name="create"),
    path("export/", views.register_export, name="export"),
    path("import/", views.register_import, name="import"),
    path("import/<int:pk>/", views.register_upload_detail, name="import-detail"),
    path("import/<int:pk>/mapping/", views.register_upload_mapping, name="import-mapping"),
    path(
        "import/<int:pk>/<str:action>/",
        views.register_upload_action,
        name="import-action",
    ),
    path("awards/", views.AwardMonitoringView.as_view(), name="awards"),
    path("forward-plan/", views.ForwardPlanView.as_view(), name="forward-plan"),
    path("off-contract/", views.OffContractView.as_view(), name="off-contract"),
    path("publications/", views.publications, name="publications"),
    path("notices/", views.notices_calendar, name="notices"),
    path("pipeline/", views.pipeline, name="pipeline"),
    path("pipeline/new/", views.planned_add, name="planned-add"),
    path("pipeline/<int:fy>/publish/", views.pipeline_publish, name="pipeline-publish"),
    path("pipeline/<int:fy>/ocds/", views.pipeline_ocds, name="pipeline-ocds"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/publish/", views.notice_publish, name="notice-publish"),
    path("notices/<int:pk>/ocds/", views.notice_ocds, name="notice-ocds"),
    path("notices/<int:pk>/csv/", views.notice_csv, name="notice-csv"),
    path("<int:pk>/notices/<str:kind>/", views.notice_draft, name="notice-draft"),
    path("<int:pk>/kpis/new/", views.kpi_add, name="kpi-add"),
    path("<int:pk>/assessments/new/", views.assessment_add, name="assessment-add"),
    path("<int:pk>/failures/new/", views.failure_add, name="failure-add"),
    path("assessments/<int:pk>/verify/", views.assessment_verify, name="assessment-verify"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/edit/", views.contract_edit, name="edit"),
    path("<int:pk>/end/", views.contract_end, name="end"),
    path("<int:pk>/payments/link/", views.payment_link, name="payment-link"),
    path(
        "<int:pk>/payments/links/<int:link_pk>/remove/",
        views.payment_unlink,
        name="payment-unlink",
    ),
    path("<int:pk>/suppliers/new/", views.supplier_edit, name="supplier-add"),
    path("<int:pk>/suppliers/<int:supplier_pk>/", views.supplier_edit, name="supplier-edit"),
    path(
        "<int:pk>/suppliers/<int:supplier_pk>/remove/",
        views.supplier_remove,
        name="supplier-remove",
    ),
]
