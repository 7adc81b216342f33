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

# Support for an overburdened informal carer (actions marked as carer support).
CARER_SUPPORT_ACTIONS = (
    "Respijtzorg aanvragen: een weekend logeeropvang",
    "Aanmelden bij Steunpunt Mantelzorg Zuid voor een mantelzorgconsulent",
    "Dagbesteding twee dagen per week ter ontlasting van de mantelzorger",
    "Gesprek met de mantelzorger over taken verdelen in de familie",
)

# --- the resident's own goal, medication reviews, PZP, outcome events -----------------------

# "Wat is belangrijk voor u?", in the resident's own words; by the domain of the care-plan
# goals that serve it.
OWN_GOALS: dict[str, tuple[str, ...]] = {
    Domain.FUNCTIONAL: (
        "Zelf boodschappen blijven doen.",
        "Zo lang mogelijk in mijn eigen huis blijven wonen.",
        "Weer zelf kunnen douchen.",
        "Zonder angst om te vallen door het huis lopen.",
        "Elke dag mijn rondje met de rollator lopen.",
    ),
    Domain.SOMATIC: (
        "Minder pijn, zodat ik weer in de tuin kan werken.",
        "Niet meer zo moe zijn.",
        "Weer met plezier eten.",
    ),
    Domain.SOCIAL: (
        "Mijn kleinkinderen blijven zien.",
        "Op woensdag naar de soos kunnen.",
        "Op zondag weer naar de kerk kunnen.",
        "Mijn dochter niet tot last zijn.",
        "Koffie blijven drinken met de buurvrouw.",
    ),
    Domain.PSYCHOLOGICAL: (
        "Niet meer zo piekeren.",
        "Weten wat er die dag gaat gebeuren.",
        "Weer plezier hebben in de dag.",
    ),
    Domain.COMMUNICATIVE: (
        "De mensen om me heen weer goed verstaan.",
        "Zelf kunnen bellen als er iets is.",
    ),
    Domain.HOUSING: (
        "In mijn eigen wijk blijven wonen.",
        "Beneden kunnen wonen, zonder die trap.",
    ),
}
OWN_GOALS_OTHER = (
    "Thuis blijven, bij mijn kat.",
    "Op mijn negentigste verjaardag nog een feest geven.",
    "Carnaval nog een keer meevieren.",
    "Zelf blijven beslissen over mijn leven.",
    "In de zomer nog naar Valkenburg, naar de camping.",
    "Met de harmonie blijven meespelen, al is het alleen bij de repetitie.",
)
MEDICATION_NOTES = (
    "Geen wijzigingen; medicatie is passend.",
    "Slaapmiddel afgebouwd en gestopt.",
    "Dubbele maagbeschermer gestopt; bloeddruk na vier weken controleren.",
    "Plaspil verlaagd wegens duizeligheid bij het opstaan.",
    "Baxterrol via de apotheek gestart.",
    "Pijnstilling op vaste tijden: paracetamol vier keer per dag.",
    "Statine gestopt in overleg met de bewoner.",
    "Nierfunctie bepaald; dosering metformine aangepast.",
    "Valrisicoverhogende medicatie besproken; antidepressivum lager gedoseerd.",
)
PZP_WISHES = (
    "Wil zo lang mogelijk thuis blijven, ook als dat meer zorg vraagt.",
    "Geen behandelingen meer die alleen het leven rekken.",
    "Wil bij achteruitgang eerst met de familie overleggen.",
    "Wil de pastoor erbij als het einde nadert.",
    "Liever comfort dan behandeling; pijn moet goed bestreden worden.",
    "Wil niet meer naar het ziekenhuis, tenzij voor een gebroken heup.",
    "Wil thuis sterven, met de familie om zich heen.",
    "Euthanasieverklaring besproken; een kopie ligt bij de huisarts.",
)
PZP_LIMIT_NOTES: dict[str, str] = {
    "hospital": "Alleen bij een goed te behandelen oorzaak, zoals een heupfractuur.",
    "antibiotics": "Wel antibiotica bij een longontsteking, zo mogelijk thuis.",
    "tube_feeding": "Geen sondevoeding, ook niet tijdelijk.",
    "blood_transfusion": "Alleen als het klachten vermindert.",
}
# Who the legal representative is to the resident, by the carer's relationship (Dutch).
REPRESENTATIVE_WORDS: dict[str, str] = {
    "partner": "partner",
    "daughter": "dochter",
    "son": "zoon",
    "child": "kind",
    "daughter_in_law": "schoondochter",
    "son_in_law": "schoonzoon",
    "child_in_law": "schoonkind",
    "sister": "zus",
    "brother": "broer",
    "sibling": "broer of zus",
}
FALL_NOTES = (
    "Gevallen in de badkamer; geen letsel.",
    "'s Nachts gevallen op weg naar het toilet; blauwe plekken.",
    "Gestruikeld over de drempel in de keuken.",
    "Gevallen bij het opstaan uit de stoel; alarmering gebruikt.",
    "Buiten gevallen met de rollator; schaafwonden.",
    "Van de trap gevallen; pijn in de heup, geen breuk.",
)
FALL_EMERGENCY_NOTES = (
    "Na de val naar de SEH: pols gekneusd, weer naar huis.",
    "Na de val naar de SEH: hoofdwond gehecht.",
    "Na de val naar de SEH; foto zonder breuk.",
)
EMERGENCY_NOTES = (
    "Naar de SEH wegens benauwdheid; na behandeling naar huis.",
    "SEH: pijn op de borst, geen hartinfarct; weer naar huis.",
    "SEH wegens verwardheid: urineweginfectie, met antibiotica naar huis.",
    "SEH na een wegraking; ritmeonderzoek gepland.",
)
OUT_OF_HOURS_NOTES = (
    "'s Nachts de huisartsenpost gebeld wegens koorts.",
    "Huisartsenpost in het weekend: benauwd, prednison gestart.",
    "Huisartsenpost: onrustig en verward; visite gereden.",
    "Dochter belde de huisartsenpost: gevallen, geen letsel.",
    "Huisartsenpost: pijn niet onder controle; pijnstilling aangepast.",
)
ADMISSION_NOTES: dict[str, tuple[str, ...]] = {
    "hospital": ("Opgenomen via de SEH.", "Opname op de afdeling geriatrie."),
    "crisis": ("Crisisopname in een ELV-bed.", "Met spoed opgenomen; thuis niet langer veilig."),
}
NURSING_HOME_NOTES = (
    "Verhuisd naar het verpleeghuis in de wijk.",
    "Plaats gekregen op een psychogeriatrische afdeling.",
)
