"""Cache coherence only (no business side effects): a changed or deleted API key row drops its
cached lookup, however it was changed (service, admin, shell)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts import key_cache
from accounts.models import ApiKey


@receiver(post_save, sender=ApiKey, dispatch_uid="apikey_forget_on_save")
@receiver(post_delete, sender=ApiKey, dispatch_uid="apikey_forget_on_delete")
def _forget_cached_key(sender, instance: ApiKey, **kwargs) -> None:
    key_cache.forget(instance.key_hash)
    # Again after commit: a request may have re-cached the old row while the transaction ran.
    transaction.on_commit(lambda: key_cache.forget(instance.key_hash))
