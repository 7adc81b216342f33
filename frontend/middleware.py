"""Dutch first: the interface is Dutch unless the user chose English (language cookie).

Django's LocaleMiddleware would follow the browser's Accept-Language, which on many
machines in the region says English; the teams work in Dutch.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils import translation

from kernteam.policy import needs_second_factor


class DutchFirstLocaleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class SecondFactorMiddleware:
    """Where a second factor is required (production), a professional who signed in with a
    password only reaches the page that asks for the code (or sets up the app) and sign-out."""

    # The API answers for itself: a session owing its second factor is not signed in there.
    OPEN = ("/accounts/", "/static/", "/i18n/", "/healthz/", "/api/", "/fhir/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            not request.path.startswith(self.OPEN)
            and needs_second_factor(request.user)
            and not request.user.is_verified()
        ):
            return redirect_to_login(request.get_full_path(), reverse("two_factor"))
        return self.get_response(request)
