from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("<int:pk>/files/<int:index>/", views.report_file, name="file"),
]
