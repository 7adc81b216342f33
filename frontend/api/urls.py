"""/api/: the schema, its browsable docs, and version 1."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from frontend.api import (
    care_planning_views,
    casefinding_views,
    caseload_views,
    event_views,
    medication_views,
    own_goal_views,
    referral_views,
    views,
)

v1 = [
    path("teams/", views.teams, name="api-teams"),
    path("teams/<slug:slug>/", views.team, name="api-team"),
    path("teams/<slug:slug>/meetings/", views.meetings, name="api-meetings"),
    path("teams/<slug:slug>/fhir/", views.team_fhir, name="api-team-fhir"),
    path("teams/<slug:slug>/caseload/", caseload_views.caseload, name="api-caseload"),
    path(
        "teams/<slug:slug>/casefinding/",
        casefinding_views.rounds,
        name="api-casefinding",
    ),
    path(
        "teams/<slug:slug>/casefinding/follow-up/",
        casefinding_views.follow_up,
        name="api-casefinding-follow-up",
    ),
    path(
        "teams/<slug:slug>/casefinding/<int:pk>/candidates/",
        casefinding_views.round_candidates,
        name="api-casefinding-candidates",
    ),
    path(
        "casefinding/candidates/<int:pk>/status/",
        casefinding_views.candidate_status,
        name="api-candidate-status",
    ),
    path(
        "casefinding/candidates/<int:pk>/questionnaire/",
        casefinding_views.candidate_questionnaire,
        name="api-candidate-questionnaire",
    ),
    path("teams/<slug:slug>/offers/", referral_views.team_offers, name="api-team-offers"),
    path("residents/", views.residents, name="api-residents"),
    path("residents/<int:pk>/", views.resident, name="api-resident"),
    path("residents/<int:pk>/transitions/", views.transitions, name="api-transitions"),
    path("residents/<int:pk>/assessments/", views.assessments, name="api-assessments"),
    path("residents/<int:pk>/goals/", views.goals, name="api-goals"),
    path("residents/<int:pk>/actions/", views.actions, name="api-actions"),
    path("residents/<int:pk>/concerns/", views.concerns, name="api-concerns"),
    path("residents/<int:pk>/coordinator/", views.coordinator, name="api-coordinator"),
    path("residents/<int:pk>/reviews/", views.reviews, name="api-reviews"),
    path("residents/<int:pk>/events/", event_views.events, name="api-events"),
    path("residents/<int:pk>/own-goal/", own_goal_views.own_goal, name="api-own-goal"),
    path("residents/<int:pk>/carers/", views.carers, name="api-carers"),
    path(
        "residents/<int:pk>/care-planning/",
        care_planning_views.care_planning,
        name="api-care-planning",
    ),
    path(
        "residents/<int:pk>/medication-reviews/",
        medication_views.medication_reviews,
        name="api-medication-reviews",
    ),
    path("residents/<int:pk>/referrals/", referral_views.referrals, name="api-referrals"),
    path("residents/<int:pk>/fhir/", views.resident_fhir, name="api-resident-fhir"),
    path(
        "referrals/<int:pk>/updates/",
        referral_views.referral_updates,
        name="api-referral-updates",
    ),
    path("actions/<int:pk>/done/", views.action_done, name="api-action-done"),
    path("concerns/<int:pk>/handled/", views.concern_handled, name="api-concern-handled"),
    path("meetings/<int:pk>/", views.meeting, name="api-meeting"),
    path("tokens/", views.tokens, name="api-tokens"),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/", include(v1)),
]
