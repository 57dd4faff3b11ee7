from django.contrib import admin

from contracts.models import AwardedSupplier, Contract, Publication


class AwardedSupplierInline(admin.TabularInline):
    model = AwardedSupplier
    extra = 0


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "department",
        "award_date",
        "end_date",
        "awarded_value",
        "status",
    ]
    search_fields = ["reference", "title", "suppliers__name"]
    list_filter = ["status", "category", "procurement_route"]
    inlines = [AwardedSupplierInline]


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = [
        "quarter",
        "version",
        "status",
        "contract_count",
        "supplier_count",
        "published_at",
    ]
    readonly_fields = ["contract_count", "supplier_count"]
