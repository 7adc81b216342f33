"""Dutch texts of the demo: reasons for each move, goals and agreed actions."""

from __future__ import annotations

from demo.data import R, S
from steps.models import Domain
from steps.states import ClosureReason

SIGNAL_REASONS = (
    "Valt de laatste maanden vaker; dochter maakt zich zorgen.",
    "Vergeet afspraken en medicijnen; signaal van de apotheek.",
    "Woont alleen sinds het overlijden van de partner en komt weinig buiten.",
    "Ongewild gewichtsverlies; signaal van de thuiszorg.",
    "Mantelzorger geeft aan het niet lang meer vol te houden.",
    "Na ontslag uit het ziekenhuis (heupfractuur) kwetsbaar thuis.",
    "Komt bij de POH met somberheid en eenzaamheid.",
    "Verward op straat aangetroffen; signaal van de wijkagent.",
    "Huis raakt vervuild; buren maken zich zorgen.",
    "Meerdere bezoeken aan de spoedeisende hulp in korte tijd.",
)
SCREEN_REASONS = (
    "Toestemming besproken en vastgelegd; screening gepland.",
    "Toestemming gegeven; GFI wordt afgenomen bij het huisbezoek.",
    "Bewoner en familie akkoord; start screening en brede anamnese.",
)
ENTER_REASONS: dict[str, tuple[str, ...]] = {
    S.STEP1: (
        "Screening onder de afkapwaarde; vinger aan de pols via de ouderenadviseur.",
        "Niet kwetsbaar; preventief beweegaanbod en jaarlijkse controle.",
    ),
    S.STEP2: (
        "Kwetsbaar op meerdere domeinen; zorgplan met doelen en een zorgcoördinator.",
        "Screening boven de afkapwaarde; besproken in het MDO, coördinatie bij de POH.",
    ),
    S.STEP3: (
        "Complexe problematiek (INTERMED 16 of hoger); casemanagement en SO betrokken.",
        "Meervoudige problematiek; specialist ouderengeneeskunde consulteren.",
    ),
}
STEP_UP_REASONS: dict[str, tuple[str, ...]] = {
    S.STEP2: (
        "Toenemende kwetsbaarheid na een val; zorgplan nodig.",
        "Mantelzorger overbelast; coördinatie van de zorg nodig.",
    ),
    S.STEP3: (
        "Cognitieve achteruitgang en onrust; casemanager dementie en SO erbij.",
        "Meerdere domeinen ontregeld na ziekenhuisopname.",
    ),
    S.STEP4: (
        "Thuissituatie onhoudbaar zonder intensieve zorg; Wlz-indicatie aangevraagd.",
        "Nachtelijke onrust en valincidenten; toezicht rond de klok nodig.",
    ),
}
STEP_DOWN_REASONS: dict[str, tuple[str, ...]] = {
    S.STEP1: (
        "Doelen behaald; terug naar vinger aan de pols.",
        "Al maanden stabiel; lichtere ondersteuning volstaat.",
    ),
    S.STEP2: (
        "Situatie gestabiliseerd; casemanagement afgeschaald.",
        "Intensieve zorg niet meer nodig na herstel; terug naar gecoördineerde zorg.",
    ),
    S.STEP3: ("Intensieve zorg afgebouwd; complexe zorg blijft nodig.",),
}
ADMIT_REASONS = (
    "Opgenomen in het ziekenhuis na een val.",
    "Eerstelijnsverblijf (ELV) na een longontsteking.",
    "Respijtopname ter ontlasting van de mantelzorger.",
    "Ziekenhuisopname wegens hartfalen.",
)
RETURN_REASONS = (
    "Weer thuis; thuiszorg hervat, evaluatie in het volgende MDO.",
    "Ontslagen uit het ELV; overdracht ontvangen via eOverdracht.",
)
CLOSE_REASONS: dict[str, tuple[str, ...]] = {
    ClosureReason.DECEASED: ("Overleden.", "Rustig thuis overleden in het bijzijn van familie."),
    ClosureReason.MOVED: (
        "Verhuisd naar een andere gemeente; overgedragen aan de nieuwe huisarts.",
    ),
    ClosureReason.NURSING_HOME: ("Definitief opgenomen in het verpleeghuis.",),
    ClosureReason.CONSENT_WITHDRAWN: (
        "Bewoner trekt de toestemming in en wil geen ondersteuning van het kernteam.",
    ),
    ClosureReason.NO_LONGER_NEEDED: ("Geen ondersteuning meer nodig; redt zich goed.",),
}
GOALS: dict[str, tuple[str, ...]] = {
    Domain.SOMATIC: (
        "Pijn bij bewegen is goed onder controle.",
        "Medicijnen worden juist en op tijd ingenomen.",
        "Gewicht blijft stabiel; voldoende eten en drinken.",
    ),
    Domain.FUNCTIONAL: (
        "Veilig zelfstandig thuis blijven wonen.",
        "Niet meer vallen in huis.",
        "Zelf boodschappen doen met de rollator.",
    ),
    Domain.SOCIAL: (
        "Twee keer per week onder de mensen zijn.",
        "Minder eenzaam; wekelijks contact in de buurt.",
        "De mantelzorger houdt het vol en krijgt op tijd ontlasting.",
    ),
    Domain.PSYCHOLOGICAL: (
        "Minder somber; weer plezier in de dag.",
        "Omgaan met geheugenproblemen met een vaste dagstructuur.",
    ),
    Domain.COMMUNICATIVE: (
        "Goed kunnen horen tijdens gesprekken.",
        "Zelf hulp kunnen inroepen bij nood (alarmering werkt).",
    ),
    Domain.HOUSING: (
        "Woning is veilig: drempels weg, beugels in de badkamer.",
        "Een gelijkvloerse woning in de buurt vinden.",
    ),
}
MEMBER_ACTIONS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    Domain.SOMATIC: (
        ("Medicatiebeoordeling met de apotheker plannen", (R.GP, R.POH)),
        ("Bloeddruk en gewicht controleren bij huisbezoek", (R.POH,)),
        ("Verwijzing naar de diëtist bespreken", (R.GP,)),
    ),
    Domain.FUNCTIONAL: (
        ("Huisbezoek: valrisico en hulpmiddelen in huis bekijken", (R.DISTRICT_NURSE,)),
        ("Fysiotherapie aan huis aanvragen", (R.GP,)),
        ("Hulp bij het douchen twee keer per week inplannen", (R.DISTRICT_NURSE,)),
    ),
    Domain.SOCIAL: (
        ("Aanmelden bij de dagbesteding in de wijk", (R.WELFARE,)),
        ("Kennismaken met een vrijwilliger voor wekelijks bezoek", (R.WELFARE,)),
        ("Respijtzorg voor de mantelzorger bespreken", (R.WELFARE, R.POH)),
    ),
    Domain.PSYCHOLOGICAL: (
        ("Geheugentest en verwijzing naar de geheugenpoli bespreken", (R.GP,)),
        ("Huisbezoek casemanager dementie: dagstructuur afspreken", (R.DEMENTIA_CASE_MANAGER,)),
        ("Consult specialist ouderengeneeskunde bij onrust", (R.ELDERLY_CARE_PHYSICIAN,)),
    ),
    Domain.COMMUNICATIVE: (
        ("Gehoorapparaat laten nakijken", (R.POH,)),
        ("Personenalarmering aanvragen", (R.WELFARE, R.DISTRICT_NURSE)),
    ),
    Domain.HOUSING: (
        ("Wmo-aanvraag voor woningaanpassing indienen", (R.WELFARE,)),
        ("Inschrijven voor een gelijkvloerse woning in de woonzorgzone", (R.WELFARE,)),
    ),
}
PREVENTION_ACTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Kennismaking met de ouderenadviseur", (R.WELFARE,)),
    ("Aanmelden voor de beweeggroep in het buurthuis", (R.WELFARE,)),
    ("Jaarlijkse controle bij de POH inplannen", (R.POH,)),
)
CARER_ACTIONS = (
    "Boodschappen doen op dinsdag en vrijdag",
    "Meegaan naar de afspraak in het ziekenhuis",
    "Medicijnrol wekelijks nakijken",
    "Alarmknop maandelijks testen",
    "Post en rekeningen samen doornemen",
    "Elke zondag samen een stukje wandelen",
)
