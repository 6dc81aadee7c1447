"""Staff tools: users, accounts with their members, memberships (role changes audited), API keys
(revoke action; the hash is never shown) and the read-only audit log."""

from __future__ import annotations

from django.contrib import admin, messages

from accounts import audit, services
from accounts.models import Account, ApiKey, AuditLog, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


class AuditedMembershipAdminMixin:
    """Saves memberships through the service so role changes land in the audit log."""

    def _save_membership(self, request, membership: Membership) -> None:
        services.membership_set_role(
            membership=membership, role=membership.role, actor=request.user, request=request
        )

    def _delete_membership(self, request, membership: Membership) -> None:
        audit.audit_record(
            action=audit.MEMBERSHIP_DELETED,
            request=request,
            account_id=membership.account_id,
            actor=request.user,
            details={"userId": membership.user_id, "role": membership.role},
        )
        membership.delete()


@admin.register(Account)
class AccountAdmin(AuditedMembershipAdminMixin, admin.ModelAdmin):
    list_display = ["name", "id", "created_at"]
    search_fields = ["name", "id"]
    readonly_fields = ["id", "created_at"]
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        memberships = formset.save(commit=False)
        for membership in formset.deleted_objects:
            self._delete_membership(request, membership)
        for membership in memberships:
            self._save_membership(request, membership)
        formset.save_m2m()
        return None


@admin.register(Membership)
class MembershipAdmin(AuditedMembershipAdminMixin, admin.ModelAdmin):
    list_display = ["user", "account", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "account__name"]
    autocomplete_fields = ["user", "account"]

    def save_model(self, request, obj, form, change):
        self._save_membership(request, obj)

    def delete_model(self, request, obj):
        self._delete_membership(request, obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            self._delete_membership(request, membership)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "prefix",
        "account",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "usage_count",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "account__name"]
    # key_hash is deliberately absent everywhere; keys are created through the API.
    fields = [
        "id",
        "account",
        "name",
        "prefix",
        "scopes",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "replaced_by",
        "last_used_at",
        "usage_count",
    ]
    readonly_fields = fields
    actions = ["revoke_keys"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected API keys now")
    def revoke_keys(self, request, queryset):
        revoked = sum(
            services.api_key_revoke(api_key=key, actor=request.user, request=request)
            for key in queryset
        )
        self.message_user(request, f"Revoked {revoked} API key(s).", messages.SUCCESS)


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "account", "actor", "ip"]
    list_filter = ["action"]
    search_fields = ["action", "actor__username", "ip"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "account", "actor", "action", "ip", "user_agent", "details"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
