"""Portal pages: sign-in, health, users, the home area, jobs, static pages and errors."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_POST

from portal import locality, selectors, services
from portal.forms import (
    BadParameter,
    HomeAreaForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    SignInForm,
    UserCreateForm,
    UserRolesForm,
)
from portal.jobs import JobFailed
from portal.models import Job, User
from portal.proxy import client_ip
from portal.roles import STAFF, Role, role_required, signed_in_user


@login_not_required
@never_cache
@csrf_protect
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or reverse("home:home"))
    form = SignInForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        assert user is not None
        login(request, user)
        return redirect(next_url or reverse("home:home"))
    status = (
        429
        if form.errors.as_data()
        and any(e.code == "locked" for e in form.non_field_errors().as_data())
        else 200
    )
    return render(
        request, "registration/sign_in.html", {"form": form, "next": next_url}, status=status
    )


@login_not_required
def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """Django admin's own sign-in form checks passwords without the throttle: everyone signs
    in on the portal's page, which then returns to the admin page asked for."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("admin:index")
    return redirect(f"{reverse('portal:sign-in')}?{urlencode({'next': next_url})}")


# --- Password reset (Django's views, the portal's pages, throttled) -------------------------


@method_decorator(login_not_required, name="dispatch")
class PasswordResetRequest(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password-reset-sent")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["breadcrumbs"] = [("Sign in", reverse("portal:sign-in")), ("Reset", None)]
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"]
        if not services.password_reset_allowed(email=email, client_ip=client_ip(self.request)):
            form.add_error(
                "email",
                "Too many password reset emails have been asked for. Wait an hour and try "
                "again, or ask your administrator.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        self.extra_email_context = {
            "council": settings.COUNCIL_NAME,
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }
        return super().form_valid(form)


@method_decorator(login_not_required, name="dispatch")
class PasswordResetSent(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"
    extra_context = {"reset_hours": settings.PASSWORD_RESET_TIMEOUT // 3600}


@method_decorator(login_not_required, name="dispatch")
class PasswordResetChoose(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password-reset-complete")
    extra_context = {"reset_hours": settings.PASSWORD_RESET_TIMEOUT // 3600}

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # The pause after failed sign-ins ends for this account: its password is new.
        services.sign_in_unlock(email=form.user.email, client_ip=client_ip(self.request))
        return response


@method_decorator(login_not_required, name="dispatch")
class PasswordResetComplete(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "You have signed out.")
    return redirect("portal:sign-in")


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """JSON for load balancers and monitoring; a readable page when a browser asks."""
    report = selectors.health()
    status = 200 if report["ok"] else 503
    if "text/html" in request.headers.get("Accept", "") and request.GET.get("format") != "json":
        checks = [
            ("Database", report["database"]),
            ("Redis", report["redis"]),
            ("Celery worker", report["worker"]),
        ]
        return render(
            request, "portal/healthz.html", {"report": report, "checks": checks}, status=status
        )
    return JsonResponse(report, status=status)


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    return redirect(static("images/favicon.svg"), permanent=True)


@login_not_required
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/accessibility.html")


@login_not_required
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/privacy.html")


# --- Users (administrators) -----------------------------------------------------------------


@role_required(Role.ADMINISTRATOR)
def users(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_create(
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            role=Role(form.cleaned_data["role"]),
        )
        messages.success(
            request,
            f"{user.email} has been added. They set their password with 'Forgotten your "
            "password?' on the sign-in page (or set one with manage.py create_user).",
        )
        return redirect("portal:users")
    return render(
        request,
        "portal/users.html",
        {
            "users": selectors.users_list(),
            "form": form,
            "breadcrumbs": [("Home", reverse("home:home")), ("Users", None)],
        },
    )


@role_required(Role.ADMINISTRATOR)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    initial = {"roles": [g.name for g in person.groups.all()], "active": person.is_active}
    form = UserRolesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if person == request.user and Role.ADMINISTRATOR.value not in form.cleaned_data["roles"]:
            form.add_error("roles", "You cannot remove your own Administrator role.")
        elif person == request.user and not form.cleaned_data["active"]:
            # Otherwise the last administrator could lock everyone out of user management.
            form.add_error(
                "active", "You cannot stop your own account signing in. Ask another administrator."
            )
        else:
            services.user_set_roles(
                user=person,
                roles=[Role(r) for r in form.cleaned_data["roles"]],
                active=form.cleaned_data["active"],
            )
            messages.success(request, f"Roles saved for {person.email}.")
            return redirect("portal:users")
    return render(
        request,
        "portal/user_edit.html",
        {
            "person": person,
            "form": form,
            "breadcrumbs": [
                ("Home", reverse("home:home")),
                ("Users", reverse("portal:users")),
                (person.email, None),
            ],
        },
    )


# --- The home area (administrators) ---------------------------------------------------------


@role_required(Role.ADMINISTRATOR)
def home_area(request: HttpRequest) -> HttpResponse:
    """The council's home area: the districts and region that decide every locality class."""
    area = locality.home_area()
    initial = {"local_authorities": "\n".join(area.local_authorities), "region": area.region}
    form = HomeAreaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        jobs = services.home_area_set(
            region=form.cleaned_data["region"],
            local_authorities=form.cleaned_data["local_authorities"],
            user=signed_in_user(request),
        )
        messages.success(
            request,
            "The home area has been saved. Supplier sites are being re-classified; the spend "
            "dashboards show the new split when that finishes.",
        )
        return redirect(jobs[0].get_absolute_url() if jobs else "portal:home-area")
    return render(
        request,
        "portal/home_area.html",
        {
            "form": form,
            "area": selectors.home_area_record(),
            "authorities": locality.local_authorities(),
            "breadcrumbs": [("Home", reverse("home:home")), ("Home area", None)],
        },
    )


# --- Jobs -----------------------------------------------------------------------------------


@role_required(*STAFF)
def jobs(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/jobs.html",
        {
            "jobs": selectors.jobs_visible_to(request.user)[:200],
            "breadcrumbs": [("Home", reverse("home:home")), ("Jobs", None)],
        },
    )


def _job_for(request: HttpRequest, pk: int) -> Job:
    return get_object_or_404(selectors.jobs_visible_to(request.user), pk=pk)


@role_required(*STAFF)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    return render(
        request,
        "portal/job_detail.html",
        {
            "job": job,
            "breadcrumbs": [
                ("Home", reverse("home:home")),
                ("Jobs", reverse("portal:jobs")),
                (job.title, None),
            ],
        },
    )


@role_required(*STAFF)
@never_cache
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress component alone, polled by htmx while the job runs."""
    return render(request, "portal/_job_progress.html", {"job": _job_for(request, pk)})


@role_required(*STAFF)
@require_POST
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    try:
        services.job_retry(job=job)
        messages.success(request, f"'{job.title}' has been queued to run again.")
    except JobFailed as problem:
        messages.error(request, str(problem))
    return redirect(job.get_absolute_url())


# --- Errors ---------------------------------------------------------------------------------


def _error_page(request: HttpRequest, template: str, status: int, **context: Any) -> HttpResponse:
    return HttpResponse(loader.render_to_string(template, context, request), status=status)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Only the portal's own messages are shown; others may echo what the client sent.
    problem = str(exception) if isinstance(exception, BadParameter) else ""
    return _error_page(request, "400.html", 400, problem=problem)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, "403.html", 403, signed_in=request.user.is_authenticated)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, "404.html", 404)


def error_500(request: HttpRequest) -> HttpResponse:
    # Rendered without the context processors: whatever broke may be among them.
    return HttpResponse(loader.render_to_string("500.html"), status=500)
