"""Demo data for `make run`: the demo fleet, the roles, and an admin login printed at the end."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser

from reanimator.roles import OPERATORS, ensure_roles
from registry.demo import seed_demo_fleet


class Command(BaseCommand):
    help = "Load the demo fleet (idempotent) and make sure an admin login exists; prints the login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--servers", type=int, default=24)

    def handle(self, *args: object, **options: object) -> None:
        ensure_roles()
        counts = seed_demo_fleet(servers=int(options["servers"]))  # type: ignore[call-overload]
        self.stdout.write("Demo fleet: " + ", ".join(f"{value} {name}" for name, value in counts.items()))
        username = str(options["username"])
        password = self._admin_password()
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=username, defaults={"email": f"{username}@localhost"})
        if created or not user.check_password(password):
            user.set_password(password)
        user.is_staff = user.is_superuser = True
        user.save()
        user.groups.add(*Group.objects.filter(name=OPERATORS))
        self.stdout.write(self.style.SUCCESS(f"Admin login: {username} / {password}"))

    @staticmethod
    def _admin_password() -> str:
        """One random password per install, kept in var/ (0600) so every `make run` prints
        the same login. Never a fixed password in the repository."""
        path = Path(settings.VAR_DIR) / "demo-admin-password"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(12)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password)
        return password
