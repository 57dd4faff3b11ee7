from django.contrib import admin
from django.urls import include, path

from portal import views

portal_patterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path("users/", views.users, name="users"),
    path("users/<int:pk>/", views.user_edit, name="user-edit"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<int:pk>/", views.job_detail, name="job-detail"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job-progress"),
    path("jobs/<int:pk>/retry/", views.job_retry, name="job-retry"),
    path("reports/", views.reports_centre, name="reports"),
    path("reports/<int:pk>/files/<int:index>/", views.report_file, name="report-file"),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("spend/", include("spend.urls")),
    path("contracts/", include("contracts.urls")),
    path("register/", include("contracts.public_urls")),
    path("social-value/", include("socialvalue.urls")),
    path("diagnostics/", include("diagnostics.urls")),
    path("django-admin/", admin.site.urls),
]

handler400 = "portal.views.error_400"
handler403 = "portal.views.error_403"
handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"
