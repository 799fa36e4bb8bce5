"""Interface language (R-L1): Simplified Chinese by default, complete English on request.

The source strings are Chinese; locale/en/LC_MESSAGES/django.po holds the English.
When one of these tests fails because a string is missing or untranslated, run
``bash scripts/update-translations.sh`` and fill in the new msgstr entries.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest
from asgiref.local import Local
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import trans_real

BASE_DIR = Path(settings.BASE_DIR)
PO_PATH = BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
SOURCE_ROOTS = [BASE_DIR / name for name in ("templates", "icpfiling", "filings", "verification_points")]
FIX = (
    "run `bash scripts/update-translations.sh` and translate the new entries"
    " in locale/en/LC_MESSAGES/django.po"
)

# %(name)s-style and positional printf placeholders; %% is a literal percent sign.
NAMED_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")
POSITIONAL_PLACEHOLDER = re.compile(r"%(?!\()[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")
QUOTED = r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
TRANSLATE_TAG = re.compile(r"{%\s*(?:translate|trans)\s+" + QUOTED)
UNDERSCORE_LITERAL = re.compile(r"\b_\(\s*" + QUOTED + r"\s*\)")
BLOCKTRANSLATE = re.compile(
    r"{%\s*blocktrans(?:late)?\b(?P<args>.*?)%}(?P<body>.*?){%\s*endblocktrans(?:late)?\s*%}", re.DOTALL
)
PLURAL_TAG = re.compile(r"{%\s*plural\s*%}")
TEMPLATE_VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")
GETTEXT_FUNCTIONS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
CONTEXT_GETTEXT_FUNCTIONS = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}


def _catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def _msgids() -> set[str]:
    return {entry.msgid for entry in _catalogue() if not entry.obsolete}


def _where(entry: polib.POEntry) -> str:
    return ", ".join(f"{path}:{line}" for path, line in entry.occurrences[:3]) or "?"


def _placeholders(text: str) -> tuple[set[str], int]:
    text = text.replace("%%", "")
    return set(NAMED_PLACEHOLDER.findall(text)), len(POSITIONAL_PLACEHOLDER.findall(text))


def _template_files() -> list[Path]:
    files = []
    for root in SOURCE_ROOTS:
        for path in sorted(root.rglob("*")):
            in_templates = path.is_relative_to(BASE_DIR / "templates") or "templates" in path.parts
            if path.suffix in {".html", ".txt"} and in_templates:
                files.append(path)
    return files


def _literal(quoted: str) -> str:
    return quoted[1:-1]


def _blocktranslate_msgids(args: str, body: str) -> list[str]:
    """The msgid(s) Django builds from a {% blocktranslate %} block: {{ x }} becomes %(x)s."""
    parts = PLURAL_TAG.split(body)
    msgids = []
    for part in parts:
        text = part.replace("%", "%%")
        text = TEMPLATE_VARIABLE.sub(r"%(\1)s", text)
        if re.search(r"\btrimmed\b", args):
            text = translation.trim_whitespace(text)
        msgids.append(text)
    return msgids


def _template_strings() -> list[tuple[str, str]]:
    """(msgid, "file:line") for every literal translatable string in the templates."""
    found = []
    for path in _template_files():
        source = path.read_text(encoding="utf-8")
        rel = path.relative_to(BASE_DIR)

        def line_of(offset: int, source: str = source, rel: Path = rel) -> str:
            return f"{rel}:{source.count(chr(10), 0, offset) + 1}"

        for pattern in (TRANSLATE_TAG, UNDERSCORE_LITERAL):
            for match in pattern.finditer(source):
                found.append((_literal(match.group(1)), line_of(match.start())))
        for match in BLOCKTRANSLATE.finditer(source):
            for msgid in _blocktranslate_msgids(match.group("args"), match.group("body")):
                found.append((msgid, line_of(match.start())))
    return found


def _python_strings() -> list[tuple[str, str]]:
    """(msgid, "file:line") for every gettext call on a string literal in the project's Python."""
    found = []
    for root in SOURCE_ROOTS:
        for path in sorted(root.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name in GETTEXT_FUNCTIONS:
                    arg = node.args[0]
                elif name in CONTEXT_GETTEXT_FUNCTIONS and len(node.args) > 1:
                    arg = node.args[1]
                else:
                    continue
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append((arg.value, f"{path.relative_to(BASE_DIR)}:{node.lineno}"))
    return found


def _reset_translation_caches() -> None:
    """Forget loaded catalogues so that a freshly compiled .mo is read (as Django does on setting_changed)."""
    trans_real._translations = {}
    trans_real._default = None
    trans_real._active = Local()
    trans_real.translation_catalog_exists.cache_clear()


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogue():
    call_command("compile_translations", verbosity=0)
    _reset_translation_caches()
    yield
    _reset_translation_caches()


@pytest.fixture(autouse=True)
def _default_language():
    """Requests activate their language for the thread; put the default back for the next test."""
    yield
    translation.deactivate()


def test_r_l1_catalogue_has_no_untranslated_or_fuzzy_entries():
    po = _catalogue()
    untranslated = [f"{e.msgid!r} ({_where(e)})" for e in po.untranslated_entries()]
    fuzzy = [f"{e.msgid!r} ({_where(e)})" for e in po.fuzzy_entries()]
    assert len(po) > 0, f"{PO_PATH} is empty; {FIX}"
    assert not untranslated, f"untranslated English entries; {FIX}:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy English entries (check them and drop the fuzzy flag):\n" + "\n".join(fuzzy)
    assert po.metadata.get("Language") == "en"


def test_r_l1_translations_keep_every_placeholder():
    broken = []
    for entry in _catalogue():
        if entry.obsolete:
            continue
        pairs = [(entry.msgid, entry.msgstr)] if not entry.msgid_plural else []
        for index, msgstr in sorted(entry.msgstr_plural.items()):
            pairs.append((entry.msgid if index == 0 else entry.msgid_plural, msgstr))
        for msgid, msgstr in pairs:
            if _placeholders(msgid) != _placeholders(msgstr):
                broken.append(f"{msgid!r} -> {msgstr!r} ({_where(entry)})")
    assert not broken, "translations whose placeholders differ from the source:\n" + "\n".join(broken)


def test_r_l1_every_template_string_is_in_the_catalogue():
    strings = _template_strings()
    assert any(msgid == "登录" for msgid, _ in strings), "the template scan found nothing"
    msgids = _msgids()
    missing = sorted({f"{msgid!r} ({where})" for msgid, where in strings if msgid not in msgids})
    assert not missing, f"template strings missing from the English catalogue; {FIX}:\n" + "\n".join(missing)


def test_r_l1_every_python_string_is_in_the_catalogue():
    strings = _python_strings()
    assert strings, "the Python scan found no gettext calls; is the scan broken?"
    msgids = _msgids()
    missing = sorted({f"{msgid!r} ({where})" for msgid, where in strings if msgid not in msgids})
    assert not missing, f"Python strings missing from the English catalogue; {FIX}:\n" + "\n".join(missing)


def test_r_l1_compiled_catalogue_translates_to_english():
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override("en"):
        assert translation.gettext("登录") == "Log in"
        assert translation.gettext("确认邮件已重新发送到 %(email)s。") % {"email": "a@b.test"} == (
            "The confirmation email has been resent to a@b.test."
        )
    with translation.override("zh-hans"):
        assert translation.gettext("登录") == "登录"


def test_r_l1_login_page_defaults_to_chinese(client, db):
    # given a visitor with no language preference on the platform host
    # when they open the login page
    response = client.get("/accounts/login/", HTTP_HOST="localhost")
    # then it is in Simplified Chinese
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "<h1>登录</h1>" in html
    assert "Log in" not in html


def test_r_l1_login_page_in_english_after_switching_language(client, db):
    # given a visitor who chooses English with the language switcher
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, HTTP_HOST="localhost")
    assert response.status_code == 302
    # when they open the login page
    response = client.get("/accounts/login/", HTTP_HOST="localhost")
    # then it is in English, with no Chinese left in the login form
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Log in</h1>" in html
    assert "登录" not in html
    assert "Forgot your password?" in html
    # and switching back restores Chinese
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, HTTP_HOST="localhost")
    response = client.get("/accounts/login/", HTTP_HOST="localhost")
    assert "<h1>登录</h1>" in response.content.decode()
