"""/api/v1/residents/<id>/medication-reviews/: a resident's medication reviews
(`clients.medication`), read with the panel's selector (`reviews_for`) and recorded with the
same service as the web panel; every read and write noted for the access log (`api_resident`)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from clients.medication_services import record_medication_review, reviews_for
from frontend.api.access import api_resident, parsed, responses
from frontend.api.medication_serializers import (
    MedicationReviewInputSerializer,
    MedicationReviewSerializer,
)


@extend_schema(
    methods=["GET"],
    responses=responses(
        MedicationReviewSerializer(many=True),
        404,
        descriptions={
            200: "The resident's medication reviews, latest first.",
            404: "No such resident, or not yours to see (team and consent).",
        },
    ),
    summary="Medication reviews (medicatiebeoordelingen)",
    tags=["medication"],
)
@extend_schema(
    methods=["POST"],
    request=MedicationReviewInputSerializer,
    responses=responses(
        MedicationReviewSerializer,
        400,
        403,
        404,
        created=True,
        descriptions={
            201: "Recorded. The next review is due 12 months later.",
            400: "Bad input, by field: a date in the future or before the resident's birth, "
            "an unknown reviewer, a number of medicines outside 0–60; or the record is closed.",
            403: "Not the GP, the elderly-care physician or the POH of the resident's kernteam "
            "(the reason says why).",
            404: "No such resident, or not yours to see (team and consent).",
        },
    ),
    summary="Record a medication review",
    tags=["medication"],
)
@api_view(["GET", "POST"])
def medication_reviews(request, pk: int):
    subject = api_resident(request, pk)
    if request.method == "GET":
        rows = reviews_for(resident=subject, user=request.user)  # (the panel's selector)
        if rows is None:  # not theirs to read: as not theirs to see
            raise Http404
        return Response(MedicationReviewSerializer(rows, many=True).data)
    data = parsed(MedicationReviewInputSerializer, request.data)
    made = record_medication_review(resident=subject, by=request.user, **data)
    return Response(MedicationReviewSerializer(made).data, status=status.HTTP_201_CREATED)
