from django.core.management.base import BaseCommand

from reanimator.roles import ensure_roles


class Command(BaseCommand):
    help = "Create or update the operators, engineers and integrators groups and their permissions."

    def handle(self, *args: object, **options: object) -> None:
        for role, count in ensure_roles().items():
            self.stdout.write(f"{role}: {count} permissions")
