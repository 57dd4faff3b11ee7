"""Supplier data quality (issue 9), under /spend/quality/ as before the app was split from
spend: duplicates and merges, supplier data, Companies House, spend by size band and
locality by head office."""

from django.urls import path

from suppliers import views

app_name = "suppliers"

urlpatterns = [
    path("", views.home, name="quality"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:low>/<int:high>/", views.pair, name="pair"),
    path(
        "duplicates/<int:low>/<int:high>/not-the-same/",
        views.not_same,
        name="not-same",
    ),
    path("merges/", views.merges, name="merges"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge-undo"),
    path("suppliers/<int:pk>/", views.supplier, name="supplier"),
    path("companies-house/", views.companies_house, name="companies-house"),
    path("size/", views.size, name="size"),
    path("locality/", views.locality, name="locality"),
]
