"""System checks that keep the project's conventions true (Ralph's habit): they run with
every `manage.py` command and in CI, so a convention cannot silently erode."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.checks import Error, register

PROJECT_APPS = {"registry", "ingest", "timeline", "tickets", "analytics"}


@register("admin")
def check_admin_list_select_related(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Every project ModelAdmin sets list_select_related, so changelists never run N+1."""
    errors = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        if model_admin.list_select_related is False:
            errors.append(
                Error(
                    f"{type(model_admin).__name__} does not set list_select_related.",
                    hint="Set list_select_related to the relations list_display shows (or () when none).",
                    obj=type(model_admin),
                    id="reanimator.E001",
                )
            )
    return errors
