"""Create (or update) a staff superuser non-interactively, with an account of their own."""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Account, Membership, Role


class Command(BaseCommand):
    help = "Create or update a staff user. Password from --password or $STAFF_PASSWORD."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", default=os.environ.get("STAFF_PASSWORD"))
        parser.add_argument("--email", default="")

    @transaction.atomic
    def handle(self, *args, username, password, email, **options):
        from django.contrib.auth import get_user_model

        if not password:
            raise CommandError("a password is required (--password or STAFF_PASSWORD)")
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        if created:
            account = Account.objects.create(name=f"{username}'s account")
            Membership.objects.create(user=user, account=account, role=Role.OWNER)
        self.stdout.write(f"staff user {username!r} {'created' if created else 'updated'}")
