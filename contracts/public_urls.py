"""The public contract register (no sign-in): the latest published quarter and its files."""

from django.urls import path

from contracts import public_views

app_name = "register"

urlpatterns = [
    path("", public_views.register_home, name="home"),
    path("forward-plan/", public_views.forward_plan, name="forward-plan"),
    path("contracts/<int:pk>/", public_views.published_contract, name="contract"),
    path("notices/<int:pk>/", public_views.published_notice, name="notice"),
    path("notices/<int:pk>/ocds/", public_views.published_notice_ocds, name="notice-ocds"),
    path("notices/<int:pk>/csv/", public_views.published_notice_csv, name="notice-csv"),
    path("publications/<int:pk>/<str:kind>/", public_views.publication_file, name="file"),
]
