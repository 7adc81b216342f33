"""Local offers and referrals in the API (issue 18 §2): a team's catalogue, a resident's
referrals, and a referral's updates (status, the provider's feedback). The same services as the
web panel (`steps.referral_services`); every read and write of a resident's referrals noted for
the access log (`api_resident`)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from frontend.api.access import api_resident, member_team, parsed, responses
from frontend.api.referral_serializers import (
    OfferSerializer,
    ReferralInputSerializer,
    ReferralSerializer,
    ReferralUpdateInputSerializer,
    ReferralUpdateSerializer,
)
from steps.referral_services import refer_resident, referrals_of, update_referral
from steps.referrals import LocalOffer, Referral

TAG = "referrals"


@extend_schema(
    responses=responses(
        OfferSerializer(many=True),
        404,
        descriptions={
            200: "The offers of the team's area and of the region, running and ended.",
            404: "No such team, or you are not a member of it.",
        },
    ),
    summary="Local offers a team can refer to",
    tags=[TAG],
)
@api_view(["GET"])
def team_offers(request, slug: str):
    team = member_team(request, slug)
    rows = LocalOffer.objects.for_team(team).select_related("team")
    return Response(OfferSerializer(rows, many=True).data)


@extend_schema(
    methods=["GET"],
    responses=responses(
        ReferralSerializer(many=True),
        404,
        descriptions={
            200: "The resident's referrals, latest first, each with its updates.",
            404: "No such resident, or not yours to see (team and consent).",
        },
    ),
    summary="Referrals to local offers",
    tags=[TAG],
)
@extend_schema(
    methods=["POST"],
    request=ReferralInputSerializer,
    responses=responses(
        ReferralSerializer,
        400,
        403,
        404,
        created=True,
        descriptions={
            201: "Referred: an agreed action with the referral, status `proposed`.",
            400: "Bad input, by field: an unknown offer, one of another team's area or one "
            "that ended (`offer`); an owner who is not on the team (`owner_member`); a due "
            "date in the past (`due_on`); or the record is closed.",
            403: "Not a member of the resident's kernteam.",
            404: "No such resident, or not yours to see (team and consent).",
        },
    ),
    summary="Refer a resident to a local offer",
    tags=[TAG],
)
@api_view(["GET", "POST"])
def referrals(request, pk: int):
    subject = api_resident(request, pk)
    if request.method == "GET":
        return Response(ReferralSerializer(referrals_of(resident=subject), many=True).data)
    data = parsed(ReferralInputSerializer, request.data)
    offer = LocalOffer.objects.filter(pk=data["offer"]).first()
    if offer is None:
        raise serializers.ValidationError({"offer": [_("Choose an offer from the catalogue.")]})
    owner = _user(data["owner_member"])
    made = refer_resident(
        resident=subject,
        by=request.user,
        offer=offer,
        owner_member=owner,
        due_on=data["due_on"],
        shared_with_carers=data["shared_with_carers"],
        note=data["note"],
    )
    made = next(r for r in referrals_of(resident=subject) if r.pk == made.pk)
    return Response(ReferralSerializer(made).data, status=status.HTTP_201_CREATED)


def _user(user_id: int):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:  # (whether they are on the team: the action's own rule)
        raise serializers.ValidationError(
            {"owner_member": [_("The owner must be a member of the resident's team.")]}
        )
    return user


@extend_schema(
    methods=["GET"],
    responses=responses(
        ReferralUpdateSerializer(many=True),
        404,
        descriptions={
            200: "Every change of the referral's status and feedback, oldest first.",
            404: "No such referral, or its resident is not yours to see.",
        },
    ),
    summary="A referral's updates",
    tags=[TAG],
)
@extend_schema(
    methods=["POST"],
    request=ReferralUpdateInputSerializer,
    responses=responses(
        ReferralSerializer,
        400,
        403,
        404,
        409,
        created=True,
        descriptions={
            201: "Recorded: the referral as it is now. The agreed action is done once the "
            "referral is no longer proposed.",
            409: "Someone recorded another status since `expected_status`: nothing saved; "
            "`current_status` says what it is now.",
            400: "Bad input, by field: a status it cannot go to (back, or after declined or "
            "stopped), nothing changed (`status`); feedback too long, or a date without "
            "feedback (`feedback`); a date in the future or before the referral "
            "(`feedback_on`); or the record is closed.",
            403: "Not a member of the resident's kernteam.",
            404: "No such referral, or its resident is not yours to see.",
        },
    ),
    summary="Record a referral's status or the provider's feedback",
    tags=[TAG],
)
@api_view(["GET", "POST"])
def referral_updates(request, pk: int):
    referral = get_object_or_404(Referral.objects.select_related("action"), pk=pk)
    subject = api_resident(request, referral.action.resident_id)
    referral.action.resident = subject
    if request.method == "GET":
        rows = referral.updates.select_related("by")
        return Response(ReferralUpdateSerializer(rows, many=True).data)
    data = parsed(ReferralUpdateInputSerializer, request.data)
    update_referral(referral=referral, by=request.user, **data)
    made = next(r for r in referrals_of(resident=subject) if r.pk == referral.pk)
    return Response(ReferralSerializer(made).data, status=status.HTTP_201_CREATED)
