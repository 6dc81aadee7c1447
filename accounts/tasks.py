from celery import shared_task
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.services.passwords import password_reset_email_send
from accounts.usage import flush_api_key_usage


@shared_task(name="accounts.flush_api_key_usage", ignore_result=True)
def flush_api_key_usage_task() -> int:
    return flush_api_key_usage()


@shared_task(name="accounts.purge_expired_refresh_tokens", ignore_result=True)
def purge_expired_refresh_tokens_task() -> int:
    """Expired refresh tokens (and their blacklist rows) can no longer be used: drop them."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


@shared_task(name="accounts.send_password_reset_email", ignore_result=True)
def send_password_reset_email_task(user_id: int) -> bool:
    return password_reset_email_send(user_id=user_id)
