"""An address with a NUL character in it is refused (400) before any view sees it.

PostgreSQL cannot store or compare text that holds a NUL: a search for `?q=%00` (the board, the
closed records, the admin's lists and autocomplete, the API's filters) would reach the database
and fail there, a 500. No address of the application means anything with a NUL, so one check
here covers every view, including Django's own admin and any search added later.

Bodies are left to the forms and serializers: Django's and DRF's text fields already refuse a
NUL with a message on the field, which keeps what the user typed and says where the problem is;
reading every body here would also parse uploads and streams before the view that owns them.
"""

from __future__ import annotations

from urllib.parse import unquote

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from frontend.api.fhir_views import outcome_response


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            message = _("The address contains a NUL character, which is not allowed.")
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            if request.path_info.startswith("/fhir/"):  # (a FHIR client reads OperationOutcomes)
                return outcome_response(400, message)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
