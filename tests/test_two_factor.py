"""The second factor (TOTP): required of professionals where the setting asks for it (always in
production), set up once with a QR code and an enrolment link from the administrator, then a
code at each sign-in. Carers are not asked."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.helpers import PRODUCTION, code_for, run_manage, sign_in
from tests.live import socket

required = override_settings(KERNTEAM_REQUIRE_2FA=True)


def link_for(user) -> str:
    from kernteam.second_factor import issue_enrolment_link

    return reverse("enrolment_link", args=[issue_enrolment_link(user=user)])


@required
@pytest.mark.django_db
def test_a_password_alone_does_not_set_up_the_app(client, daalhof):
    sign_in(client, daalhof.district_nurse)
    stopped = client.get(reverse("board", args=["daalhof"]))
    assert stopped.status_code == 302 and stopped.url.startswith(reverse("two_factor"))
    page = client.get(stopped.url)
    text = page.content.decode()
    assert page.status_code == 403
    assert "vraag de beheerder van Kernteam erom" in text  # how to get the app set up
    assert "<svg" not in text and "otpauth" not in text and "<code" not in text  # no secret
    assert not TOTPDevice.objects.filter(user=daalhof.district_nurse).exists()
    # a guessed code posted anyway sets nothing up either
    assert client.post(stopped.url, {"code": "123456"}).status_code == 403
    assert not TOTPDevice.objects.filter(user=daalhof.district_nurse).exists()
    assert client.get(reverse("board", args=["daalhof"])).status_code == 302


@required
@pytest.mark.django_db
def test_a_professional_sets_up_the_app_with_her_link_and_then_gets_in(client, daalhof):
    nurse = daalhof.district_nurse
    link = link_for(nurse)
    sign_in(client, nurse)
    board = reverse("board", args=["daalhof"])
    stopped = client.get(board)
    opened = client.get(link)  # the link from her e-mail, in the same signed-in browser
    assert opened.status_code == 302 and opened.url == reverse("two_factor")
    target = stopped.url  # (the set-up page, on the way to the board)
    page = client.get(target).content.decode()
    assert "<svg" in page and "Scan deze QR-code" in page  # first time: set up the app
    device = TOTPDevice.objects.get(user=nurse, confirmed=False)

    wrong = client.post(target, {"code": "000000" if code_for(device) != "000000" else "1"})
    assert "Deze code klopt niet" in wrong.content.decode()
    too_soon = client.post(target, {"code": code_for(device)})
    assert "Te veel foute codes" in too_soon.content.decode()  # guessing is slowed down
    device.refresh_from_db()
    device.throttle_reset()  # as if she waited a moment
    done = client.post(target, {"code": code_for(device)})
    assert done.status_code == 302 and done.url.startswith(reverse("recovery_codes"))
    codes = client.get(done.url)
    assert "Herstelcodes" in codes.content.decode()
    assert f'href="{board}"' in codes.content.decode()  # then on to where she was going
    assert client.get(board).status_code == 200
    device.refresh_from_db()
    assert device.confirmed


@required
@pytest.mark.django_db
def test_the_next_sign_in_asks_for_a_code_only(client, daalhof):
    TOTPDevice.objects.create(user=daalhof.gp, name="app", confirmed=True)
    sign_in(client, daalhof.gp)
    page = client.get(reverse("two_factor")).content.decode()
    assert "<svg" not in page and "Voer de code in" in page
    assert client.get(reverse("home")).status_code == 302


@required
@pytest.mark.django_db
def test_carers_are_not_asked_for_a_second_factor(client, thea):
    sign_in(client, thea)
    assert client.get(reverse("home")).status_code == 200


@required
@pytest.mark.django_db
@pytest.mark.parametrize("group", ["log officers", "programme office"])
def test_the_log_officer_and_the_programme_office_need_the_second_factor(client, group):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    user = UserFactory(username=f"{group.split()[0]}.2fa")
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    sign_in(client, user)
    page = "/log/" if group == "log officers" else "/kpi/"
    response = client.get(page)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("two_factor"))


@required
@pytest.mark.django_db(transaction=True)
async def test_a_live_board_needs_the_second_factor_too(daalhof):
    board = await socket("daalhof", user=daalhof.poh)  # signed in with a password only
    connected, _ = await board.connect()
    assert not connected
    await database_sync_to_async(lambda: None)()


@pytest.mark.django_db
def test_without_the_setting_the_demo_needs_no_app(client, daalhof):
    sign_in(client, daalhof.poh)
    assert client.get(reverse("home")).status_code == 200


def test_production_always_requires_the_second_factor():
    code = "from django.conf import settings; print(settings.KERNTEAM_REQUIRE_2FA)"
    result = run_manage("shell", "-c", code, env=PRODUCTION | {"KERNTEAM_REQUIRE_2FA": "0"})
    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr
