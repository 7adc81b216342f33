"""A write sent again is not done twice: the one-time key of the web pages' writes.

On the road the connection drops while a request is on its way; the page cannot tell whether
the server got it (only the answer may have been lost), and offers to send it again
(kernteam.js, "On the road"). So that "send again" cannot save a note, an action or a concern
twice, the page sends each write with a key it made for that form (`Idempotency-Key`), the
same key when it sends it again, and a new one after an answer came.

Per user and key, the first request goes through and its key is kept for a few minutes
(ONCE_SECONDS); a request with the same key after it:

- once the first is done: is not done again, and answers that it was sent already (200, with
  `HX-Reswap: none` and the `already-sent` event: the page says so and shows the result);
- while the first still runs: 409, with a message in the user's language.

A first request that changed nothing (refused: a 4xx, a 5xx, or a form shown again with its
reasons, which the access log notes as reads: `nothing_changed`) lets go of its key: sent again,
it is answered again, with what the user typed. Only markers are kept, never an answer: answers
hold residents' data.

Requests without a key, and the API (`/api/`, with its own `expected_state` and conflicts), are
as before. If the cache cannot be reached, the request goes through as without a key (logged):
a write may then be done twice, but is never refused for it.
"""

from __future__ import annotations

import hashlib
import logging
import re

from django.http import HttpResponse
from django.utils.translation import gettext as _

from frontend.api.token_cache import store
from kernteam.access_log import NOTES
from kernteam.models import AccessLogEntry

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
ONCE_SECONDS = 10 * 60  # a key done: how long a repeat is recognised
RUNNING_SECONDS = 2 * 60  # a key still running (a worker that died lets go after this)
RUNNING, DONE = "running", "done"
STATUS_HEADER = "Kernteam-Once"  # tells the page which of the two a repeat met
WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{8,100}")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
CLAIMED = "kernteam_once_key"  # on the request: the cache key this request holds


def cache_key(user_pk: int, key: str) -> str:
    return f"once:{user_pk}:{hashlib.sha256(key.encode()).hexdigest()}"


class OnceOnlyMiddleware:
    """After the access log's middleware (it reads the request's notes before that one takes
    them) and after CSRF's check (`process_view`: a repeat is only recognised for a request
    that would have been let through)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        claimed = getattr(request, CLAIMED, None)
        if claimed:
            self._finish(claimed, request, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        key = request.headers.get(HEADER)
        if (
            not key
            or request.method in SAFE_METHODS
            or request.path_info.startswith("/api/")
            or not request.user.is_authenticated
        ):
            return None
        if not WELL_FORMED.fullmatch(key):
            message = _("The request's one-time key is not valid.")
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        ck = cache_key(request.user.pk, key)
        try:
            state = None
            for _attempt in range(2):  # (a first that let go meanwhile: this one goes)
                if store().add(ck, RUNNING, timeout=RUNNING_SECONDS):
                    setattr(request, CLAIMED, ck)
                    return None
                state = store().get(ck)
                if state is not None:
                    break
        except Exception:
            logger.warning("one-time key: cache unreachable, %s goes through", request.path)
            return None
        if state == DONE:
            logger.info("one-time key: %s already done, not done again", request.path)
            response = HttpResponse(status=200)
            response.headers["HX-Reswap"] = "none"
            response.headers["HX-Trigger"] = "already-sent"
            response.headers[STATUS_HEADER] = DONE
            return response
        message = _("This is still being sent. Wait a moment, then send it again.")
        response = HttpResponse(message, status=409, content_type="text/plain; charset=utf-8")
        response.headers[STATUS_HEADER] = RUNNING
        return response

    @staticmethod
    def _finish(ck: str, request, response) -> None:
        try:
            if response.status_code >= 400 or _changed_nothing(request):
                store().delete(ck)  # (sent again, it is answered again)
            else:
                store().set(ck, DONE, timeout=ONCE_SECONDS)
        except Exception:
            logger.warning("one-time key: cache unreachable after %s", request.path)


def _changed_nothing(request) -> bool:
    """The request noted residents for the access log, and only as reads: a form shown again
    with its reasons (`nothing_changed`). (No notes at all: it may have changed something.)"""
    notes = getattr(request, NOTES, None)
    return bool(notes) and all(n[2] != AccessLogEntry.Action.WRITE for n in notes)
