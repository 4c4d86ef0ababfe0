"""Every user-facing string is in the catalogue, and translated in fil and id."""
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def catalogue(lang):
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def extracted_ids(tmp_path):
    out = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-k", "_p:1c,2", "-k", "lazy_pgettext:1c,2", "-o", str(out), "--omit-header", "."],
                   cwd=ROOT, check=True, capture_output=True)
    with open(out, "rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


@pytest.mark.parametrize("lang", ["fil", "id"])
def test_every_message_is_translated_and_none_is_fuzzy(lang):
    cat = catalogue(lang)
    untranslated = [m.id for m in cat if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert not untranslated, f"{lang}: untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{lang}: fuzzy: {fuzzy[:10]}"


@pytest.mark.parametrize("lang", ["fil", "id"])
def test_placeholders_survive_translation(lang):
    import re
    for m in catalogue(lang):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        want = sorted(re.findall(r"%\(\w+\)[sd]", ids[0]))
        for s in strings:
            assert sorted(re.findall(r"%\(\w+\)[sd]", s)) == want, (lang, m.id, s)


def test_catalogues_hold_every_string_of_the_code(tmp_path):
    """A new string in the code must reach the catalogues: run `make messages`, then translate it."""
    in_code = extracted_ids(tmp_path)
    for lang in ("fil", "id"):
        in_catalogue = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(lang) if m.id}
        missing = sorted(in_code - in_catalogue)
        assert not missing, f"{lang} lacks {len(missing)}: {missing[:10]}"


PROPER_NAMES = {"Mission For Migrant Workers, Hong Kong"}


def test_sentences_are_really_translated():
    """Real translations, not copies of the English (names of places and languages may stay)."""
    for lang in ("fil", "id"):
        copies = [m.id for m in catalogue(lang) if isinstance(m.id, str) and len(m.id.split()) > 3
                  and m.string == m.id and m.id not in PROPER_NAMES]
        assert not copies, f"{lang}: {copies}"
