from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Membership
from eventstream.core.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("1d", timedelta(days=1)),
        ("90", timedelta(seconds=90)),
        ("2w", timedelta(weeks=2)),
        ("12h", timedelta(hours=12)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "15x", "-1d", "0m", "abc"])
def test_parse_duration_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.django_db
def test_create_staff_user_command_creates_then_updates():
    call_command("create_staff_user", username="boss", password="a-long-password-1")
    user = get_user_model().objects.get(username="boss")
    assert user.is_staff and user.is_superuser
    assert user.check_password("a-long-password-1")
    assert Membership.objects.get(user=user).role == "owner"
    call_command("create_staff_user", username="boss", password="another-password-2")
    user.refresh_from_db()
    assert user.check_password("another-password-2")
    assert Membership.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_create_staff_user_requires_a_password():
    with pytest.raises(CommandError):
        call_command("create_staff_user", username="boss", password=None)


def test_every_periodic_task_names_a_registered_task():
    from eventstream.celery import app

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled, "beat has nothing to run"
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)
