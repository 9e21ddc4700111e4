"""The people who use Reanimator, as Django groups (DESIGN.md, "Who uses it").

- operators: staff; edit the registry in admin (every registry permission).
- engineers: read everything (pages and API); write nothing.
- integrators: API clients (collectors, ticket sync) with token auth; they create and update
  assets and components, and, as the ingest and tickets apps grow, upload bundles and push
  tickets (those apps add their permissions to ROLE_PERMISSIONS).

`ensure_roles()` is idempotent; `manage.py ensure_roles` and the demo seed call it.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction

OPERATORS, ENGINEERS, INTEGRATORS = "operators", "engineers", "integrators"

# (app_label, codename prefix or full codename). A bare app label means every permission of it.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str | None]]] = {
    OPERATORS: [("registry", None), ("ingest", None), ("timeline", None), ("tickets", None)],
    ENGINEERS: [("registry", "view_"), ("ingest", "view_"), ("timeline", "view_"), ("tickets", "view_")],
    INTEGRATORS: [
        ("registry", "view_"),
        ("ingest", "view_"),
        ("ingest", "add_logbundle"),
        ("timeline", "view_"),
        ("registry", "add_asset"),
        ("registry", "change_asset"),
        ("registry", "add_component"),
        ("registry", "change_component"),
        ("tickets", "view_ticket"),
        ("tickets", "view_ticketlink"),
        ("tickets", "view_syncrun"),
        ("tickets", "add_ticket"),
        ("tickets", "change_ticket"),
    ],
}


def _permissions(app_label: str, codename: str | None) -> list[Permission]:
    queryset = Permission.objects.filter(content_type__app_label=app_label)
    if codename is None:
        return list(queryset)
    if codename.endswith("_"):
        return list(queryset.filter(codename__startswith=codename))
    return list(queryset.filter(codename=codename))


@transaction.atomic
def ensure_roles() -> dict[str, int]:
    """Create the groups and give them exactly their permissions. Returns permission counts."""
    counts = {}
    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = [perm for app_label, codename in grants for perm in _permissions(app_label, codename)]
        group.permissions.set(permissions)
        counts[role] = len(permissions)
    return counts
