from django.contrib import admin

from socialvalue.models import (
    Commitment,
    ContractApproach,
    DeliveryReturn,
    Measure,
    MeasureProxy,
    Outcome,
    SupplierLink,
    Theme,
)


class OutcomeInline(admin.TabularInline):
    model = Outcome
    extra = 0


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "mission", "position")
    inlines = [OutcomeInline]


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "theme", "position")
    list_filter = ("theme",)


class ProxyInline(admin.TabularInline):
    model = MeasureProxy
    extra = 0


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "unit", "outcome", "active")
    list_filter = ("active", "outcome__theme")
    search_fields = ("code", "title")
    inlines = [ProxyInline]


@admin.register(ContractApproach)
class ContractApproachAdmin(admin.ModelAdmin):
    list_display = ("contract", "approach", "updated_at")
    raw_id_fields = ("contract",)


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ("contract", "measure", "target_quantity", "period_fy")
    raw_id_fields = ("contract", "supplier", "measure")


@admin.register(DeliveryReturn)
class DeliveryReturnAdmin(admin.ModelAdmin):
    list_display = ("commitment", "period_fy", "quarter", "quantity", "status")
    list_filter = ("status",)
    raw_id_fields = ("commitment", "link")


@admin.register(SupplierLink)
class SupplierLinkAdmin(admin.ModelAdmin):
    list_display = ("contract", "supplier", "created_at", "expires_at", "revoked_at")
    raw_id_fields = ("contract", "supplier")
    readonly_fields = ("token_hash",)
