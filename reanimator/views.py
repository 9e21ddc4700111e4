"""The dashboard: the fleet at a glance."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from reanimator.dashboard import dashboard_summary


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"summary": dashboard_summary()}
    return render(request, "dashboard.html", context)
