from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from events.ingest.tasks import nudge_drain
        from eventstream.core import outbox

        outbox.set_nudge(nudge_drain)
