"""/api/: the schema, its browsable docs, and version 1."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from frontend.api import (
    care_planning_views,
    event_views,
    medication_views,
    own_goal_views,
    views,
)

v1 = [
    path("teams/", views.teams, name="api-teams"),
    path("teams/<slug:slug>/", views.team, name="api-team"),
    path("teams/<slug:slug>/meetings/", views.meetings, name="api-meetings"),
    path("teams/<slug:slug>/fhir/", views.team_fhir, name="api-team-fhir"),
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
    path("residents/<int:pk>/fhir/", views.resident_fhir, name="api-resident-fhir"),
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
