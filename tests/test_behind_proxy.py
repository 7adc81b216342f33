"""Production behind a TLS proxy: the client's address is the one uvicorn passes on
(`--proxy-headers --forwarded-allow-ips=<proxy>`), so a forged X-Forwarded-For from anyone but
the proxy changes nothing; the language cookie is Secure and SameSite=Lax."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import requests

from tests.helpers import PRODUCTION, run_manage
from tests.servers import Uvicorn

README = Path(__file__).resolve().parent.parent / "README.md"


def production(setting_names: str) -> list[str]:
    names = setting_names.split()
    code = f"from django.conf import settings as s; print(*[getattr(s, n) for n in {names!r}])"
    result = run_manage("shell", "-c", code, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].split()


def test_the_language_cookie_is_secure_in_production():
    cookie = production("LANGUAGE_COOKIE_SECURE LANGUAGE_COOKIE_SAMESITE LANGUAGE_COOKIE_HTTPONLY")
    assert cookie == ["True", "Lax", "True"]


def readme_uvicorn_command() -> list[str]:
    block = README.read_text().split("export DJANGO_SETTINGS_MODULE=config.production", 1)[1]
    block = block.split("```", 1)[0].replace("\\\n", " ")
    line = next(line for line in block.splitlines() if "uvicorn config.asgi" in line)
    return shlex.split(line, comments=True)


def test_the_readmes_uvicorn_trusts_forwarded_headers_from_the_proxy_only():
    command = readme_uvicorn_command()
    assert "--proxy-headers" in command
    [allowed] = [a.split("=", 1)[1] for a in command if a.startswith("--forwarded-allow-ips=")]
    assert allowed not in ("*", "", "127.0.0.1")  # (the proxy's address, on its own machine)
    # and Django reads no X-Forwarded-For itself, as the README says
    [proxies] = production("KERNTEAM_TRUSTED_PROXIES")
    assert proxies == "0"
    assert "`KERNTEAM_TRUSTED_PROXIES=N` (0 by default)" in README.read_text()


def sign_in(server: Uvicorn, username: str, password: str, forwarded: str) -> int:
    """One browser: the login page, then the form; the status of the answer (302: in)."""
    with requests.Session() as browser:
        page = browser.get(f"{server.url}/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        answer = browser.post(
            f"{server.url}/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"X-Forwarded-For": forwarded},
            allow_redirects=False,
            timeout=10,
        )
        return answer.status_code


def started(**env) -> Uvicorn:
    [proxies] = production("KERNTEAM_TRUSTED_PROXIES")  # (what config.production does)
    server = Uvicorn(extra_env={"KERNTEAM_TRUSTED_PROXIES": proxies, **env})
    server.wait_until_up()
    return server


@pytest.mark.django_db(transaction=True)
def test_only_the_proxy_says_who_the_client_is(daalhof):
    nurse = daalhof.district_nurse
    nurse.set_password("juist-wachtwoord-1")
    nurse.save()
    # Someone reaching uvicorn directly (not through the proxy at 10.0.0.2) names a new address
    # at each try: it is ignored, and the name stays blocked at their real address.
    server = started(FORWARDED_ALLOW_IPS="10.0.0.2")
    try:
        for i in range(4):
            assert sign_in(server, nurse.username, "fout", f"203.0.113.{i}") == 200
        assert sign_in(server, nurse.username, "fout", "203.0.113.4") == 429  # the fifth
        assert sign_in(server, nurse.username, "juist-wachtwoord-1", "198.51.100.77") == 429
    finally:
        server.stop()
    # Through the proxy on this machine (uvicorn's default, 127.0.0.1), which appends the
    # address it saw: the guesser is blocked, the nurse at home is not.
    server = started(FORWARDED_ALLOW_IPS="127.0.0.1")
    try:
        for _ in range(4):
            assert sign_in(server, nurse.username, "fout", "1.2.3.4, 203.0.113.66") == 200
        assert sign_in(server, nurse.username, "fout", "5.6.7.8, 203.0.113.66") == 429
        assert sign_in(server, nurse.username, "juist-wachtwoord-1", "203.0.113.66") == 429
        assert sign_in(server, nurse.username, "juist-wachtwoord-1", "198.51.100.20") == 302
    finally:
        server.stop()
