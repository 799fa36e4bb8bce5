#!/usr/bin/env bash
# Re-extracts every translatable string (templates, including the .txt email
# templates, and Python) into locale/en/LC_MESSAGES/django.po, then compiles
# the catalogue to .mo (R-L1).
#
# Source strings are Simplified Chinese; after running this, fill in the
# English msgstr of every new entry (and clear any "fuzzy" flags) in
# locale/en/LC_MESSAGES/django.po. tests/platform/test_i18n.py fails while any entry is
# untranslated or fuzzy.
#
# Needs GNU gettext's xgettext/msgmerge (Debian: apt-get install gettext).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v xgettext >/dev/null 2>&1; then
  echo "update-translations: xgettext not found; install GNU gettext (apt-get install gettext)" >&2
  exit 1
fi

.venv/bin/python manage.py makemessages -l en --no-obsolete \
  --extension=html,txt,py \
  --ignore=.venv --ignore=var --ignore=staticfiles --ignore=tests
.venv/bin/python manage.py compile_translations

po=locale/en/LC_MESSAGES/django.po
.venv/bin/python - "$po" <<'PY'
import sys

import polib

po = polib.pofile(sys.argv[1])
todo = [e for e in po if not e.obsolete and (not e.msgstr and not e.msgstr_plural or "fuzzy" in e.flags)]
print(f"update-translations: {len(po)} entries, {len(todo)} untranslated or fuzzy")
for e in todo:
    print(f"  {e.msgid!r}  ({', '.join(f'{f}:{n}' for f, n in e.occurrences[:2])})")
PY
