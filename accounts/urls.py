from django.urls import path

from accounts.api import auth_views, key_views

urlpatterns = [
    path("register", auth_views.RegisterView.as_view(), name="auth-register"),
    path("login", auth_views.LoginView.as_view(), name="auth-login"),
    path("refresh", auth_views.RefreshView.as_view(), name="auth-refresh"),
    path("logout", auth_views.LogoutView.as_view(), name="auth-logout"),
    path("me", auth_views.MeView.as_view(), name="auth-me"),
    path("change-password", auth_views.ChangePasswordView.as_view(), name="auth-change-password"),
    path("password-reset", auth_views.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "password-reset/confirm",
        auth_views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("api-keys", key_views.ApiKeyListCreateView.as_view(), name="auth-api-keys"),
    path("api-keys/<uuid:key_id>", key_views.ApiKeyDetailView.as_view(), name="auth-api-key"),
    path(
        "api-keys/<uuid:key_id>/rotate",
        key_views.ApiKeyRotateView.as_view(),
        name="auth-api-key-rotate",
    ),
]
