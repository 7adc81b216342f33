from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from frontend import (
    care_planning_views,
    carer_views,
    casefinding_views,
    caseload_views,
    event_views,
    log_views,
    medication_views,
    meeting_views,
    member_views,
    notice_views,
    offer_views,
    own_goal_views,
    referral_views,
    sign_in,
    two_factor_views,
    views,
)

admin.site.site_header = admin.site.site_title = "Kernteam"
admin.site.index_title = _("Administration")
# The functional administrator's tool: superusers only (staff status alone is not enough).
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser

# An address under /api/ that matches nothing answers in JSON, like the API itself.
handler404 = "frontend.api.errors.not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path("fhir/", include("frontend.api.fhir_urls")),
    path("healthz/", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("teams/<slug:slug>/board/", views.board, name="board"),
    path("teams/<slug:slug>/signal/", views.board_signal, name="board_signal"),
    path("teams/<slug:slug>/closed/", views.board_closed, name="board_closed"),
    path(
        "teams/<slug:slug>/casefinding/",
        casefinding_views.casefinding,
        name="casefinding",
    ),
    path(
        "teams/<slug:slug>/casefinding/<int:pk>/",
        casefinding_views.casefinding_round,
        name="casefinding_round",
    ),
    path(
        "casefinding/candidates/<int:pk>/status/",
        casefinding_views.candidate_status,
        name="casefinding_candidate_status",
    ),
    path(
        "casefinding/candidates/<int:pk>/questionnaire/",
        casefinding_views.candidate_questionnaire,
        name="casefinding_candidate_questionnaire",
    ),
    path("teams/<slug:slug>/caseload/", caseload_views.caseload, name="caseload"),
    path("teams/<slug:slug>/members/", member_views.members, name="members"),
    path("teams/<slug:slug>/members/add/", member_views.member_add, name="member_add"),
    path("teams/<slug:slug>/members/<int:pk>/end/", member_views.member_end, name="member_end"),
    path(
        "teams/<slug:slug>/members/<int:pk>/invite/",
        member_views.member_invite,
        name="member_invite",
    ),
    path("teams/<slug:slug>/meetings/", meeting_views.meetings, name="meetings"),
    path("teams/<slug:slug>/meetings/<int:pk>/", meeting_views.meeting, name="meeting"),
    path(
        "teams/<slug:slug>/meetings/<int:pk>/minutes/",
        meeting_views.minutes,
        name="meeting_minutes",
    ),
    path(
        "teams/<slug:slug>/meetings/<int:pk>/agenda/",
        meeting_views.agenda_add,
        name="agenda_add",
    ),
    path(
        "teams/<slug:slug>/meetings/<int:pk>/agenda/<int:item>/<slug:direction>/",
        meeting_views.agenda_move,
        name="agenda_move",
    ),
    path("teams/<slug:slug>/meeting-now/", meeting_views.board_meeting, name="board_meeting"),
    path(
        "teams/<slug:slug>/meetings/<int:pk>/focus/",
        meeting_views.meeting_focus_now,
        name="meeting_focus_now",
    ),
    path(
        "teams/<slug:slug>/meetings/<int:pk>/focus/<int:resident>/",
        meeting_views.meeting_focus,
        name="meeting_focus",
    ),
    path(
        "teams/<slug:slug>/meetings/<int:pk>/<slug:step>/",
        meeting_views.meeting_step,
        name="meeting_step",
    ),
    path("residents/<int:pk>/", views.resident, name="resident"),
    path("residents/<int:pk>/moves/", views.resident_moves, name="resident_moves"),
    path("residents/<int:pk>/confirm/", views.resident_confirm, name="resident_confirm"),
    path("residents/<int:pk>/review/", views.resident_review, name="resident_review"),
    path("residents/<int:pk>/events/", event_views.resident_event, name="resident_event"),
    path(
        "residents/<int:pk>/own-goal/",
        own_goal_views.resident_own_goal,
        name="resident_own_goal",
    ),
    path(
        "residents/<int:pk>/coordinator/",
        views.resident_coordinator,
        name="resident_coordinator",
    ),
    path(
        "residents/<int:pk>/care-planning/",
        care_planning_views.resident_care_planning,
        name="resident_care_planning",
    ),
    path(
        "residents/<int:pk>/medication-review/",
        medication_views.resident_medication_review,
        name="resident_medication_review",
    ),
    path("residents/<int:pk>/refer/", referral_views.resident_refer, name="resident_refer"),
    path("referrals/<int:pk>/", referral_views.referral_update, name="referral_update"),
    path("offers/", offer_views.offers, name="offers"),
    path("offers/new/", offer_views.region_offer_new, name="region_offer_new"),
    path("offers/<int:pk>/edit/", offer_views.offer_edit, name="offer_edit"),
    path("offers/<int:pk>/end/", offer_views.offer_end, name="offer_end"),
    path("teams/<slug:slug>/offers/", offer_views.team_offers, name="team_offers"),
    path("teams/<slug:slug>/offers/new/", offer_views.team_offer_new, name="team_offer_new"),
    path("concerns/<int:pk>/handled/", views.concern_handled, name="concern_handled"),
    path(
        "residents/<int:pk>/consent/withdraw/",
        views.consent_withdrawn,
        name="consent_withdrawn",
    ),
    path("residents/<int:pk>/move/", views.resident_move, name="resident_move"),
    path("residents/<int:pk>/add/<slug:what>/", views.resident_add, name="resident_add"),
    path("actions/<int:pk>/done/", views.action_done, name="action_done"),
    path("goals/<int:pk>/own-goal/", own_goal_views.goal_own_goal, name="goal_own_goal"),
    path("mantelzorg/", carer_views.portal, name="carer_portal"),
    path(
        "mantelzorg/afspraken/<int:pk>/gedaan/",
        carer_views.carer_action_done,
        name="carer_action_done",
    ),
    path(
        "mantelzorg/afspraken/<int:pk>/terug/",
        carer_views.carer_action_undo,
        name="carer_action_undo",
    ),
    path("mantelzorg/<int:pk>/zorg/", carer_views.carer_concern, name="carer_concern"),
    path("mantelzorg/uitnodiging/<str:token>/", carer_views.accept, name="carer_accept"),
    path(
        "mantelzorg/berichten/stop/<str:token>/",
        notice_views.carer_notice_stop,
        name="carer_notice_stop",
    ),
    path("residents/<int:pk>/carers/link/", carer_views.link, name="carer_link"),
    path(
        "residents/<int:pk>/carers/<int:carer>/invite/",
        carer_views.invite,
        name="carer_invite",
    ),
    path("api/", include("frontend.api.urls")),
    path("kpi/", include("frontend.kpi_urls")),
    path("log/", log_views.access_log, name="access_log"),
    path("log/residents/<int:pk>/", log_views.resident_access, name="resident_access"),
    path("accounts/two-factor/", two_factor_views.two_factor, name="two_factor"),
    path("accounts/two-factor/recovery/", two_factor_views.recovery, name="recovery_code"),
    path("accounts/recovery-codes/", two_factor_views.recovery_codes, name="recovery_codes"),
    path("accounts/enrol/<str:token>/", two_factor_views.enrolment_link, name="enrolment_link"),
    path("accounts/enrol/", two_factor_views.enrolment_password, name="enrolment_password"),
    path("account/notifications/", notice_views.notice_settings, name="notice_settings"),
    path("account/notifications/bell/", notice_views.bell, name="notice_bell"),
    path("account/notifications/read/", notice_views.all_read, name="notice_all_read"),
    path("account/notifications/<int:pk>/", notice_views.notice_open, name="notice_open"),
    path("accounts/login/", sign_in.sign_in, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
