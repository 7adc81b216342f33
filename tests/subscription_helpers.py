"""What the subscription tests share (issue 20 §2): integration accounts, a FHIR Subscription
body, a small HTTP receiver started by the test (http.server on 127.0.0.1, a free port, in a
thread), the README's code that verifies a signature, and the worker's sending."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.contrib.auth.models import Group
from django.utils import translation

from clients.subscriptions import PAYLOAD_CONTENT, SubscriptionDelivery
from kernteam.roles import INTEGRATIONS
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import api_as

SUBSCRIPTIONS = "/fhir/Subscription"
README = Path(__file__).resolve().parent.parent / "README.md"


def integration_account(*teams, role: str = "gp", username: str = "his.koppeling"):
    """A member account of each team (in `role`) in the group of integration accounts."""
    user = UserFactory(username=username)
    for team in teams:
        MembershipFactory(team=team, user=user, role=role)
    user.groups.add(Group.objects.get_or_create(name=INTEGRATIONS)[0])
    return user


def subscription_body(endpoint: str, *, criteria: str = "Patient", **changes) -> dict:
    """A FHIR R4 Subscription as an integrator sends it; `changes` replace top-level elements,
    `channel` merges into the channel (None removes an element)."""
    channel = {
        "type": "rest-hook",
        "endpoint": endpoint,
        "payload": "application/fhir+json",
        "_payload": {"extension": [{"url": PAYLOAD_CONTENT, "valueCode": "id-only"}]},
    }
    channel.update(changes.pop("channel", {}))
    body = {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": "Huisartsinformatiesysteem: wijzigingen ophalen",
        "criteria": criteria,
        "channel": channel,
        **changes,
    }
    return _without_none(body)


def _without_none(value):
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    return value


def subscribe(account, endpoint: str, **changes) -> tuple[int, str]:
    """(subscription id, secret) of a new subscription made through the API."""
    made = api_as(account).post(
        SUBSCRIPTIONS, subscription_body(endpoint, **changes), format="json"
    )
    assert made.status_code == 201, made.content
    body = made.json()
    return int(body["id"]), body["extension"][0]["valueString"]


def issues(response) -> list[tuple[str, str, str]]:
    """An OperationOutcome's issues as (code, expression, diagnostics)."""
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return [(i["code"], ",".join(i.get("expression", [])), i["diagnostics"]) for i in body["issue"]]


def nl(message: str) -> str:
    """A message as the API answers it (in Dutch, where the catalogue translates it)."""
    with translation.override("nl"):
        return translation.gettext(message)


def deliveries(**filters) -> list[tuple]:
    rows = SubscriptionDelivery.objects.filter(**filters).order_by("pk")
    return list(rows.values_list("resident_id", "event", "status"))


def step_up(*, resident, by) -> None:
    """A change of her data that notifies: step 2 to 3, by `by`."""
    from steps.services import move_resident

    move_resident(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=by,
        reason="Gevallen",
    )


# --- the README's verification code --------------------------------------------------------


def verifier():
    """`verify_webhook` from the README's own code block (the code a receiver copies)."""
    blocks = README.read_text().split("```python\n")[1:]
    code = next(b.split("```", 1)[0] for b in blocks if "def verify_webhook(" in b)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    return scope["verify_webhook"]


# --- a receiver ----------------------------------------------------------------------------


class Receiver:
    """An HTTP endpoint on 127.0.0.1 (a free port) that records each POST (headers with
    lower-case names, body) and answers with the next of `answers` (the last one repeats),
    after `delay` seconds. `during`, when set, runs once before the next answer (in the
    receiver's thread: something that happens while the sender waits)."""

    def __init__(self, *answers: int, delay: float = 0.0) -> None:
        self.answers = list(answers or (200,))
        self.delay = delay
        self.during: Callable[[], None] | None = None
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                time.sleep(receiver.delay)
                if receiver.during is not None:
                    during, receiver.during = receiver.during, None
                    during()
                answer = (
                    receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                )
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args) -> None:  # (quiet)
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kernteam-hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
