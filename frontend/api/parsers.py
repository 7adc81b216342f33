"""The API's JSON parser: DRF's, with limits on what a body may cost before it is read.

Python's json module recurses once per `[` or `{`: a body of a few thousand nested brackets
raises RecursionError, a 500. Here a body nested deeper than MAX_DEPTH answers 400 before it is
parsed, and a body larger than Django's DATA_UPLOAD_MAX_MEMORY_SIZE answers 413 before it is
read whole (DRF reads the request stream itself, past Django's own check of that setting).
Every input of the API is a flat object: a few levels are plenty."""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, status
from rest_framework.utils import json

MAX_DEPTH = 32

_SPECIAL = re.compile(r'[\[\]{}"\\]')  # what can change the nesting level or a string's end


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "body_too_large"


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise BodyTooLarge()
        try:
            text = raw.decode(encoding)
            if too_deeply_nested(text):
                raise exceptions.ParseError(too_deep())
            parse_constant = json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=parse_constant)
        except RecursionError as exc:  # (not within MAX_DEPTH; kept as a backstop)
            raise exceptions.ParseError(too_deep()) from exc
        except (ValueError, LookupError) as exc:  # (as DRF says it; UnicodeError is a ValueError)
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc


def too_deeply_nested(text: str) -> bool:
    """Whether `text` nests arrays and objects deeper than MAX_DEPTH (brackets inside strings do
    not count). Cheap for the usual body: only one with more brackets than that is scanned, in
    one pass that visits each bracket, quote and backslash once (a regex matching whole strings
    would go back over the rest of the body at each quote of a string that is never closed)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    level, in_string, escaped_at = 0, False, -1
    for match in _SPECIAL.finditer(text):
        char, at = match.group(), match.start()
        if in_string:
            if at == escaped_at:  # (the character after a backslash is never special)
                continue
            if char == "\\":
                escaped_at = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            level += 1
            if level > MAX_DEPTH:
                return True
        elif char in "]}":
            level -= 1
    return False


def too_deep() -> str:
    return _("The JSON body is nested too deeply (at most %(depth)s levels).") % {
        "depth": MAX_DEPTH
    }
