from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "eventstream.core"
    label = "core"
    verbose_name = "EventStream core"
