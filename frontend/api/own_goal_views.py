"""/api/v1/residents/<id>/own-goal/: what matters to the resident in her own words
(`steps.own_goal`), read and noted with the same service as the web panel; every read and
write noted for the access log (`api_resident`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from frontend.api.access import api_resident, parsed, responses
from frontend.api.serializers import PersonSerializer, Text
from steps.own_goal import OwnGoal, own_goal_versions
from steps.own_goal_services import note_own_goal


class OwnGoalVersionSerializer(serializers.ModelSerializer):
    noted_by = PersonSerializer(help_text="Who noted it.")

    class Meta:
        model = OwnGoal
        fields = ["id", "text", "noted_by", "noted_at"]
        extra_kwargs = {
            "text": {"help_text": "What matters to her, in her own words."},
            "noted_at": {"help_text": "When it was noted."},
        }


class OwnGoalSerializer(serializers.Serializer):
    current = OwnGoalVersionSerializer(
        allow_null=True, help_text="The version in force (the latest); null if none yet."
    )
    earlier = OwnGoalVersionSerializer(many=True, help_text="Earlier versions, latest first.")


class OwnGoalInputSerializer(serializers.Serializer):
    # (blank allowed here: the service says why an empty text is refused)
    text = Text(
        OwnGoal,
        "text",
        allow_blank=True,
        help_text="What matters to her, in her own words; not empty, not the same as the "
        "current version.",
    )


def _versions(subject) -> dict:
    versions = own_goal_versions(resident=subject)
    return {"current": versions[0] if versions else None, "earlier": versions[1:]}


@extend_schema(
    methods=["GET"],
    responses=responses(
        OwnGoalSerializer,
        404,
        descriptions={
            200: "The resident's own goal: the current version and the earlier ones.",
            404: "No such resident, or not yours to see (team and consent).",
        },
    ),
    summary="The resident's own goal (“Wat is belangrijk voor u?”)",
    tags=["own goal"],
)
@extend_schema(
    methods=["POST"],
    request=OwnGoalInputSerializer,
    responses=responses(
        OwnGoalSerializer,
        400,
        403,
        404,
        created=True,
        descriptions={
            201: "Noted as the new current version; the earlier ones are kept.",
            400: "Bad input, by field: an empty text, a text too long, or the same text as "
            "the current version; or the record is closed.",
            403: "Not a member of a kernteam (the reason says why).",
            404: "No such resident, or not yours to see (team and consent).",
        },
    ),
    summary="Note a new version of the resident's own goal",
    tags=["own goal"],
)
@api_view(["GET", "POST"])
def own_goal(request, pk: int):
    subject = api_resident(request, pk)
    if request.method == "GET":
        return Response(OwnGoalSerializer(_versions(subject)).data)
    data = parsed(OwnGoalInputSerializer, request.data)
    note_own_goal(resident=subject, by=request.user, text=data["text"])
    return Response(OwnGoalSerializer(_versions(subject)).data, status=status.HTTP_201_CREATED)
