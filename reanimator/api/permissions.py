from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ReadAuthenticatedWriteModelPermission(BasePermission):
    """Any signed-in user (session or token) reads; writing needs staff status or the model
    permission (add/change/delete) that Django admin uses too."""

    _model_permissions = DjangoModelPermissions()

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        if user.is_staff:
            return True
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            return False
        return self._model_permissions.has_permission(request, view)

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        return self.has_permission(request, view)
