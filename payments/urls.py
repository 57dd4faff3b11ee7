from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("", views.home, name="home"),
    path("notices/<slug:slug>/", views.notice, name="notice"),
    path("notices/<slug:slug>/invoices/<str:band>/", views.notice_invoices, name="invoices"),
    path("notices/<slug:slug>/notice.<str:kind>", views.notice_file, name="notice-file"),
    path("scope/", views.scope, name="scope"),
    path("scope/exclusions/<int:pk>/remove/", views.exclusion_remove, name="exclusion-remove"),
    path("open-invoices/", views.open_invoices, name="open-invoices"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("over-30000/", views.payments_over_30000, name="over-30000"),
]
