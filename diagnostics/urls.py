from django.urls import path

from diagnostics import views

app_name = "diagnostics"

urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("invite/", views.invite, name="invite"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation-resend"),
    path("state-of-the-nation/", views.state_of_the_nation, name="state-of-the-nation"),
    # Officers: their own council's rounds.
    path("assessments/<int:pk>/", views.assessment, name="assessment"),
    path(
        "assessments/<int:pk>/themes/<slug:theme>/", views.assessment_theme, name="assessment-theme"
    ),
    path("assessments/<int:pk>/check/", views.assessment_check, name="assessment-check"),
    path("assessments/<int:pk>/results/", views.assessment_results, name="assessment-results"),
    path("assessments/<int:pk>/spreadsheet.xlsx", views.assessment_xlsx, name="assessment-xlsx"),
    path("assessments/<int:pk>/upload/", views.assessment_upload, name="assessment-upload"),
    # Invited officers of other organisations, no account: the token is the key.
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path(
        "invitations/<str:token>/themes/<slug:theme>/",
        views.invitation_theme,
        name="invitation-theme",
    ),
    path("invitations/<str:token>/check/", views.invitation_check, name="invitation-check"),
    path("invitations/<str:token>/results/", views.invitation_results, name="invitation-results"),
    path("invitations/<str:token>/spreadsheet.xlsx", views.invitation_xlsx, name="invitation-xlsx"),
    path("invitations/<str:token>/upload/", views.invitation_upload, name="invitation-upload"),
    # The public Social Value Maturity Index quick test.
    path("svmi/", views.public_svmi, name="public-svmi"),
    path("svmi/themes/<slug:theme>/", views.public_svmi_theme, name="public-svmi-theme"),
    path("svmi/check/", views.public_svmi_check, name="public-svmi-check"),
    path("svmi/results/", views.public_svmi_results, name="public-svmi-results"),
]
