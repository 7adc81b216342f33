"""What the API's CSV uploads (the casefinding list, the caseload) answer when a file is refused:
one body for both, `{"file": [every problem in Dutch], "lines": [{"line": n, "problems": […]}]}`,
and its schema."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


def problems_response(name: str, description: str) -> OpenApiResponse:
    """The 400 of an upload, as a schema component `<name>Problems` (each upload its own name:
    drf-spectacular keeps one component per name)."""
    body = inline_serializer(
        f"{name}Problems",
        {
            "file": serializers.ListField(child=serializers.CharField(), required=False),
            "dry_run": serializers.ListField(child=serializers.CharField(), required=False),
            "lines": serializers.ListField(
                child=inline_serializer(
                    f"{name}Line",
                    {
                        "line": serializers.IntegerField(),
                        "problems": serializers.ListField(child=serializers.CharField()),
                    },
                ),
                required=False,
            ),
        },
    )
    return OpenApiResponse(body, description=description)


def refusal_body(lines: list[tuple[int, str]], messages: list[str]) -> dict:
    """The refused file's body: every message, and the rows' problems by line (line 0, the file
    as a whole, is in `file` only)."""
    per_line: dict[int, list[str]] = {}
    for line, problem in sorted(lines, key=lambda found: found[0]):
        if line:
            per_line.setdefault(line, []).append(problem)
    return {"file": messages, "lines": [{"line": n, "problems": p} for n, p in per_line.items()]}
