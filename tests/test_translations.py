"""The interface is Dutch first: every string has a Dutch translation that Django will use."""

import re
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parent.parent / "locale/nl/LC_MESSAGES/django.po"


def entries() -> list[str]:
    return PO.read_text().split("\n\n")[1:]  # the first block is the header


def test_no_fuzzy_or_untranslated_entries():
    for entry in entries():
        assert "#, fuzzy" not in entry, f"fuzzy entries are not compiled:\n{entry}"
        assert not re.search(r'^msgstr(\[\d\])? ""$(?!\n")', entry, re.M), f"untranslated:\n{entry}"


def test_compiled_catalogue_is_current():
    with translation.override("nl"):
        for entry in entries():
            match = re.search(r'^msgid "(.+)"\nmsgstr "(.+)"$', entry, re.M)
            if match and "%" not in match[1] and "\\" not in match[1]:
                context = re.search(r'^msgctxt "(.+)"$', entry, re.M)
                found = (
                    translation.pgettext(context[1], match[1])
                    if context
                    else translation.gettext(match[1])
                )
                assert found == match[2], "run `make messages`"
