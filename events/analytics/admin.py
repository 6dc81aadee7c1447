"""Staff edit retention policies in admin (the row without an account is the global default)."""

from django.contrib import admin

from .models import RetentionPolicy


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "raw_days",
        "rollup_1m_days",
        "rollup_5m_days",
        "rollup_15m_days",
        "rollup_1h_days",
        "rollup_1d_days",
        "updated_at",
    )
    list_select_related = ("account",)
    raw_id_fields = ("account",)
