"""R-L1 (issue 12, item 7): every demo page reads in its language, with no internal strings.

Renders the pages of every role of the full demo (the same walk as test_demo_pages) in
Chinese and in English and fails on a raw field key ("websites[0].name", "upload
staff_diploma"), a placeholder choice label, a reference label (province, nature,
certificate or ID type) left in Chinese in English, or full-width punctuation inside
English text.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from filings.models import FilingOrder
from icpfiling.demo.seed import demo_seed
from icpfiling.registry.models import CertificateType, EntityNature, PersonalIdType, Province
from icpfiling.tenancy.context import tenant_scopes_disabled
from tests.platform.test_demo_pages import PLATFORM, _pages
from tests.platform.test_demo_pages import _client as _login

pytestmark = pytest.mark.django_db

RAW_KEY = re.compile(r"\b(?:entity|websites\[\d+\]|materials)\.[a-z_]+\b|\bwebsites\[\d+\]")
RAW_LOG = re.compile(r"\b(?:upload|view|agreement) [a-z]+_[a-z_]+\b")
PLACEHOLDERS = ("- Select an option -", "---------")
# Curly quotes (U+201C/U+201D) are English typography too, not full-width forms: left out.
FULL_WIDTH = "：、，。；（）！？"
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


class _Text(HTMLParser):
    """Text nodes a reader sees (script, style and textarea contents left out), plus option labels."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "textarea", "code", "pre"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "textarea", "code", "pre") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.nodes.append(data.strip())


def _nodes(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.nodes


def _reference_names() -> set[str]:
    names = set(Province.objects.values_list("name", flat=True))
    names |= set(Province.objects.values_list("full_name", flat=True))
    for model in (EntityNature, CertificateType, PersonalIdType):
        names |= set(model.objects.values_list("name", flat=True))
    return names


def _problems(html: str, language: str, reference: set[str]) -> list[str]:
    out = []
    for node in _nodes(html):
        if RAW_KEY.search(node) or RAW_LOG.search(node):
            out.append(f"raw key: {node!r}")
        if any(p in node for p in PLACEHOLDERS):
            out.append(f"placeholder: {node!r}")
        if language != "en":
            continue
        if node in reference:
            out.append(f"untranslated reference label: {node!r}")
        # English text (Latin words, no Chinese) must use ASCII punctuation.
        bare = node
        for ch in FULL_WIDTH:
            bare = bare.replace(ch, "")
        if LATIN_WORD.search(node) and not CJK.search(bare) and bare != node:
            out.append(f"full-width punctuation: {node!r}")
    return out


def _client(host: str, email: str, language: str):
    # The portal follows only the explicit switch (the language cookie), not Accept-Language.
    from django.conf import settings

    client = _login(host, email, language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _every_page() -> list[tuple[str, str, str]]:
    """(host, login, url) for every page of every role of the demo, both providers and the authority."""
    pages = []
    for slug in ("alpha", "beta"):
        for role, urls in _pages(slug).items():
            pages += [(f"{slug}.localhost", f"{role}@{slug}.demo", url) for url in urls]
        pages += [
            (f"{slug}.localhost", f"applicant@{slug}.demo", "/orders/new/"),
            (f"{slug}.localhost", f"applicant@{slug}.demo", "/"),
            (f"{slug}.localhost", f"reviewer@{slug}.demo", "/"),
            (f"{slug}.localhost", f"admin@{slug}.demo", "/"),
            (f"{slug}.localhost", f"verifier@{slug}.demo", "/"),
        ]
        with tenant_scopes_disabled():
            drafts = FilingOrder.objects.filter(tenant__slug=slug, status__in=["draft", "returned"])
            for pk in drafts.values_list("pk", flat=True):
                pages += [
                    (f"{slug}.localhost", f"applicant@{slug}.demo", f"/orders/{pk}/{step}/")
                    for step in ("entity", "websites", "materials", "preview")
                ]
    with tenant_scopes_disabled():
        at_authority = list(
            FilingOrder.objects.filter(status__in=["authority_review", "approved"]).values_list(
                "pk", "province_id"
            )
        )
    for province in ("zj", "gd"):
        login = f"authority-{province}@gov.demo"
        pages += [("localhost", login, reverse("authority:queue", PLATFORM))]
        pages += [("localhost", login, reverse("authority:history", PLATFORM))]
        pages += [
            ("localhost", login, reverse("authority:order", PLATFORM, kwargs={"order_id": pk}))
            for pk, code in at_authority
            if code.lower() == province
        ]
    return pages


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_r_l1_every_page_reads_in_its_language_without_internal_strings(language):
    # Given the full demo (orders in every state, returns, applications, bookings, statements)
    demo_seed()
    reference = _reference_names()
    clients: dict[tuple[str, str], object] = {}
    problems, opened = [], 0
    # When every page of every role is rendered in the language
    for host, login, url in _every_page():
        client = clients.get((host, login)) or clients.setdefault(
            (host, login), _client(host, login, language)
        )
        r = client.get(url)
        if r.status_code != 200:
            continue
        opened += 1
        problems += [f"{login} {url}: {p}" for p in _problems(r.content.decode(), language, reference)]
    # Then none shows a raw key, a placeholder, or (in English) Chinese reference labels or punctuation
    if os.environ.get("PAGE_LANGUAGE_DUMP"):
        Path(os.environ["PAGE_LANGUAGE_DUMP"] + language).write_text("\n".join(problems))
    assert opened > 100
    assert problems == []


def test_r_l1_province_documents_and_conditions_read_in_chinese_without_english_shorthand():
    # Given every conditional document of every province in the rules' seed file
    from filings.materials.requirements import condition_label, document_name_label
    from icpfiling.registry.seed_files import PROVINCE_RULES_FILE

    text = PROVINCE_RULES_FILE.read_text(encoding="utf-8")
    docs = re.findall(r"- name: (.*)\n(?:\s+\w+:.*\n)*?\s+condition: (.*)", text)
    assert len(docs) > 10

    def unquote(value: str) -> str:
        return value.strip().strip("'\"")

    # When they are labelled for the applicant, Then no English shorthand is left
    english = re.compile(r"[A-Za-z]{3,}")
    left = [
        label
        for name, condition in docs
        for label in (document_name_label(unquote(name)), condition_label(unquote(condition)))
        if english.search(label)
    ]
    assert left == []
    assert condition_label("entity runs internet-finance business") == "主办单位从事互联网金融业务"


def test_r_l1_point_application_file_log_names_action_and_document():
    # Given a logged upload of a staff diploma
    from verification_points.models.applications import ApplicationFileAccess

    entry = ApplicationFileAccess(action="upload", kind="staff_diploma")
    # Then the log reads in words, in both languages
    from django.utils import translation

    assert (str(entry.get_action_display()), str(entry.get_kind_display())) == ("上传", "工作人员学历证明")
    with translation.override("en"):
        assert str(entry.get_action_display()) == "Upload"
        assert "staff_diploma" not in str(entry.get_kind_display())


def test_r_l1_lists_labels_and_notes_join_in_the_readers_language():
    # Given the separators every page and service builds text with
    from django.utils import translation

    from icpfiling.core.text import bracketed, clause_join, labelled, list_join

    def joined() -> tuple[str, str, str, str]:
        return (
            list_join(["A", "B", "C"]),
            clause_join(["a, b", "c"]),
            labelled("Domain", "a.cn"),
            bracketed("a.cn", "1"),
        )

    # When they are built in Chinese and in English
    with translation.override("zh-hans"):
        chinese = joined()
    with translation.override("en"):
        english = joined()
    # Then Chinese keeps full-width punctuation and English uses ASCII with spaces
    assert chinese == ("A、B、C", "a, b；c", "Domain：a.cn", "a.cn（1）")
    assert english == ("A, B, C", "a, b; c", "Domain: a.cn", "a.cn (1)")
