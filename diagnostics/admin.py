from django.contrib import admin

from diagnostics.models import Answer, Assessment, Framework, Invitation, Organisation


@admin.register(Framework)
class FrameworkAdmin(admin.ModelAdmin):
    list_display = ("short_title", "slug", "version", "public", "loaded_at")
    readonly_fields = ("definition",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_host")
    search_fields = ("name",)


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "round_date", "submitted_at")
    list_filter = ("status", "framework")
    inlines = (AnswerInline,)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organisation_name", "framework", "expires_at", "invited_by")
    exclude = ("token_hash",)
