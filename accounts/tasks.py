from celery import shared_task

from accounts.usage import flush_api_key_usage


@shared_task(name="accounts.flush_api_key_usage", ignore_result=True)
def flush_api_key_usage_task() -> int:
    return flush_api_key_usage()
