"""Domain refusals become API answers: a guard that fails is 400 with field messages, a role
that does not allow it 403, a resident moved meanwhile 409. Never a 500 for bad input."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kernteam.refusals import Refused


def exception_handler(exc, context):
    if isinstance(exc, Refused):
        return refusal_response(exc)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        else:
            body = {"non_field_errors": [str(m) for m in exc.messages]}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def refusal_response(refused: Refused) -> Response:
    """Someone else changed it first: 409, with what it is now. The actor's role does not allow
    it: 403. A condition or an input: 400, by field where the refusal names one."""
    detail = " ".join(refused.problems)
    if refused.conflict is not None:
        return Response({"detail": detail, **refused.conflict}, status=status.HTTP_409_CONFLICT)
    if refused.forbidden:
        return Response({"detail": detail}, status=status.HTTP_403_FORBIDDEN)
    if refused.fields:
        return Response(refused.fields, status=status.HTTP_400_BAD_REQUEST)
    return Response({"detail": detail}, status=status.HTTP_400_BAD_REQUEST)


def not_found(request, exception=None):
    """404 for an address nothing answers: JSON under /api/, Django's page elsewhere."""
    from django.http import JsonResponse
    from django.utils.translation import gettext
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Not found.")}, status=404)
    return page_not_found(request, exception)
