"""Demo data: 35 South Limburg kernteams, their members, meetings and residents.

Everything is derived from a seed and a reference date ("today"), so two fresh databases seeded
alike hold the same names, dates, states and histories. Resident number `i` of a team depends
only on (seed, team, i); seeding is idempotent (existing residents are recognised by name and
date of birth) and a larger scale tops teams up.

Histories are built hop by hop from the transitions of `steps.models.Trajectory`, and the
trajectory's fields (review due, pending confirmation, ...) follow from replaying those hops the
way the state machine would.

What the seed command uses is gathered in `region`. Modules: `data` (teams, names, weights,
options), `texts` (Dutch texts), `people` (users, staff, memberships, carers), `context` (one
team's staff and meetings), `history` (routes and hops), `drafts` (a resident in memory, and
writing it), `care` (consent, assessments, goals, actions), `records` (the resident's own
goal, medication reviews, advance care planning), `events` (outcome events), `scenario`
(Daalhof's scripted residents) and `seeder` (putting it together).
"""
