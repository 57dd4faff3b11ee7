from django.contrib import admin
from django.urls import include, path

from portal import views

portal_patterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("password-reset/", views.PasswordResetRequest.as_view(), name="password-reset"),
    path("password-reset/sent/", views.PasswordResetSent.as_view(), name="password-reset-sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetChoose.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        views.PasswordResetComplete.as_view(),
        name="password-reset-complete",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path("users/", views.users, name="users"),
    path("users/<int:pk>/", views.user_edit, name="user-edit"),
    path("home-area/", views.home_area, name="home-area"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<int:pk>/", views.job_detail, name="job-detail"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job-progress"),
    path("jobs/<int:pk>/retry/", views.job_retry, name="job-retry"),
]

urlpatterns = [
    path("", include("home.urls")),
    path("", include((portal_patterns, "portal"))),
    path("reports/", include("reports.urls")),
    path("spend/quality/", include("suppliers.urls")),
    path("spend/", include("spend.urls")),
    path("contracts/", include("contracts.urls")),
    path("register/", include("contracts.public_urls")),
    path("social-value/", include("socialvalue.urls")),
    path("diagnostics/", include("diagnostics.urls")),
    # Before admin.site.urls: its own sign-in form would bypass the sign-in throttle.
    path("django-admin/login/", views.admin_sign_in, name="admin-sign-in"),
    path("payments/", include("payments.urls")),
    path("django-admin/", admin.site.urls),
]

handler400 = "portal.views.error_400"
handler403 = "portal.views.error_403"
handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"
