from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("<int:pk>/files/<int:index>/", views.report_file, name="file"),
    path("<int:pk>/row/", views.run_row, name="run-row"),
    path("editions/new/", views.edition_new, name="edition-new"),
    path("editions/<int:pk>/", views.edition, name="edition"),
    path("editions/<int:pk>/finalise/", views.edition_finalise, name="edition-finalise"),
    path("editions/<int:pk>/pdf/", views.edition_pdf, name="edition-pdf"),
    path("editions/<int:pk>/docx/", views.edition_docx, name="edition-docx"),
]
