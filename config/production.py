"""Production: PostgreSQL, Redis, TLS in front. Every value that matters comes from the
environment; a missing SECRET_KEY or DATABASE_URL stops the start instead of falling back."""

from django.core.exceptions import ImproperlyConfigured

from config.settings import *  # noqa: F403
from config.settings import env, pooled, public_fhir_base_problem

SECRET_KEY = env("SECRET_KEY", default="")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set SECRET_KEY to a random value of at least 50 characters.")
DEBUG = False
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DATABASES = {"default": pooled(env.db("DATABASE_URL"))}

KERNTEAM_DEMO_ALLOWED = False

# The FHIR base: the ids and canonical URLs integrators' servers store, so it is set here once,
# never the embedded default (http://127.0.0.1:8000/fhir/), which could not be changed later.
KERNTEAM_FHIR_BASE = env("KERNTEAM_FHIR_BASE", default="").strip()
if problem := public_fhir_base_problem(KERNTEAM_FHIR_BASE):
    raise ImproperlyConfigured(
        f"KERNTEAM_FHIR_BASE {problem}: set it to the https address of this server's /fhir/ "
        "as integrators reach it (e.g. https://kernteam.example.nl/fhir/). Integrators' "
        "servers store the ids and URLs built on it: choose it once."
    )
KERNTEAM_FHIR_BASE = KERNTEAM_FHIR_BASE.rstrip("/") + "/"
KERNTEAM_REQUIRE_2FA = True  # professionals always use a second factor in production

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The client's address (access log, sign-in throttling, live boards) is the one uvicorn hands
# over: run it with `--proxy-headers --forwarded-allow-ips=<the proxy's address>`, so that it
# believes X-Forwarded-For from the proxy only. Django then reads no X-Forwarded-For itself: if
# it did, a request that reached uvicorn directly could name any address it liked.
KERNTEAM_TRUSTED_PROXIES = env.int("KERNTEAM_TRUSTED_PROXIES", default=0)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True  # (set by the server's language switch; no script reads it)
X_FRAME_OPTIONS = "DENY"
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
# Invitations come from the site's own domain unless DEFAULT_FROM_EMAIL names a sender.
_site = next((host.lstrip(".") for host in ALLOWED_HOSTS if host != "*"), "localhost")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"Kernteam <noreply@{_site}>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
