"""The web processes' reference caches stay true to the database (issue 17 item 8).

Province rules and a provider's own materials are built once per process and shared; every
edit must reach the next answer, in the editing process at once and in every other process
once the edit commits. "Another process" is simulated by what it sees: the shared generation
counter in the ``reference`` cache, and its own local copies.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from filings.materials.requirements import PROVIDER_DOCUMENTS_CACHE, provider_documents_active
from filings.models import ProviderDocument
from filings.provider_documents.services import provider_document_set_active
from icpfiling.core.refcache import ReferenceCache
from icpfiling.registry.models.rules import ProvinceRule, RuleKey
from icpfiling.registry.province_rules import RULES_CACHE, province_rules_for, province_rules_load
from icpfiling.tenancy.context import tenant_scope


@pytest.fixture
def rules(db) -> int:
    return province_rules_load()


def zj_days() -> int:
    return province_rules_for(
        province_code="ZJ", scope="unit", on=timezone.localdate()
    ).authority_review_working_days


def generation(cache: ReferenceCache) -> int:
    return caches["reference"].get(cache._generation_key, 0)


def test_r_s6_an_edit_through_the_model_is_the_next_answer_in_this_process(rules, django_assert_num_queries):
    # given: the answer is held by this process
    assert zj_days() == 30
    with django_assert_num_queries(0):
        assert zj_days() == 30
    # when: the operator's console saves the row (a model save: post_save)
    row = ProvinceRule.objects.get(province_id="ZJ", key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS)
    row.value = {"value": 25}
    row.save()
    # then: the very next answer is read again and carries the edit
    assert zj_days() == 25


def test_r_s6_a_deleted_row_is_gone_from_the_next_answer(rules):
    assert zj_days() == 30
    ProvinceRule.objects.filter(province_id="ZJ", key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS).delete()
    assert zj_days() == 20  # the national default answers again


def test_r_s6_other_processes_follow_the_shared_generation_only_after_commit(
    rules, django_capture_on_commit_callbacks
):
    before = generation(RULES_CACHE)
    # when: an edit is made but its transaction has not committed yet
    with django_capture_on_commit_callbacks(execute=False) as pending:
        row = ProvinceRule.objects.get(province_id="ZJ", key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS)
        row.value = {"value": 22}
        row.save()
    # then: nobody else has been told (they would cache the old rows under the new generation)
    assert generation(RULES_CACHE) == before
    assert len(pending) == 1
    # when: it commits
    pending[0]()
    # then: every process sees a new generation
    assert generation(RULES_CACHE) == before + 1


def test_r_s6_a_process_drops_its_copy_when_another_process_bumps_the_generation(rules):
    # given: this process holds the answer
    assert zj_days() == 30
    # when: another process changes the row and commits (here: an UPDATE, which this process's
    # signals never see, then that process's bump of the shared counter)
    ProvinceRule.objects.filter(province_id="ZJ", key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS).update(
        value={"value": 27}
    )
    assert zj_days() == 30  # no signal here, no bump yet: this process's copy
    RULES_CACHE._bump()
    # then
    assert zj_days() == 27


def test_r_s6_a_flushed_shared_cache_starts_a_new_generation(rules):
    RULES_CACHE._bump()
    assert zj_days() == 30
    ProvinceRule.objects.filter(province_id="ZJ", key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS).update(
        value={"value": 21}
    )
    caches["reference"].clear()  # Redis flushed: the counter is gone
    assert generation(RULES_CACHE) == 0
    assert zj_days() == 21
    RULES_CACHE._bump()  # a bump after the flush creates the counter again
    assert generation(RULES_CACHE) == 1


def test_r_s6_entries_expire_where_the_shared_cache_is_not_shared(rules, monkeypatch):
    assert zj_days() == 30
    ProvinceRule.objects.filter(province_id="ZJ", key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS).update(
        value={"value": 23}
    )
    monkeypatch.setattr(RULES_CACHE, "max_age", 0.0)
    assert zj_days() == 23


def test_r_s6_the_loader_invalidates_after_its_bulk_writes(rules, django_capture_on_commit_callbacks):
    ProvinceRule.objects.filter(province_id="ZJ", key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS).update(
        value={"value": 19}, seed_value={"value": 19}
    )
    RULES_CACHE.clear_local()
    assert zj_days() == 19
    before = generation(RULES_CACHE)
    with django_capture_on_commit_callbacks(execute=True):
        province_rules_load()  # puts the seed's 30 back with bulk_update (no signals)
    assert zj_days() == 30
    assert generation(RULES_CACHE) == before + 1


def test_r_d1_provider_documents_are_per_tenant_and_follow_every_write(
    alpha, beta, django_assert_num_queries
):
    admin = alpha.users["provider_admin"]
    alpha, beta = alpha.provider, beta.provider
    with tenant_scope(alpha):
        mine = ProviderDocument.objects.create(
            tenant=alpha, name="信息安全协议", description="盖章", copies=2, applies_to="all"
        )
        assert [d.pk for d in provider_documents_active(tenant_id=alpha.pk)] == [mine.pk]
        with django_assert_num_queries(0):
            provider_documents_active(tenant_id=alpha.pk)
    with tenant_scope(beta):
        assert provider_documents_active(tenant_id=beta.pk) == ()  # alpha's list is alpha's only
    with tenant_scope(alpha):
        # an UPDATE by the admin's "stop asking" service forgets the list
        provider_document_set_active(actor=admin, document=mine, active=False)
        assert provider_documents_active(tenant_id=alpha.pk) == ()
        provider_document_set_active(actor=admin, document=mine, active=True)
        mine.refresh_from_db()
        mine.name = "网络安全承诺书"
        mine.save()
        assert [d.name for d in provider_documents_active(tenant_id=alpha.pk)] == ["网络安全承诺书"]
        mine.delete()
        assert provider_documents_active(tenant_id=alpha.pk) == ()


def _write_then_fail(tenant) -> None:
    with transaction.atomic(), tenant_scope(tenant):
        ProviderDocument.objects.create(
            tenant=tenant, name="协议", description="-", copies=1, applies_to="all"
        )
        raise RuntimeError("the request failed after the write")


def test_r_d1_a_rolled_back_edit_announces_nothing(alpha, django_capture_on_commit_callbacks):
    before = generation(PROVIDER_DOCUMENTS_CACHE)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        _write_then_fail(alpha.provider)
    assert callbacks == []
    assert generation(PROVIDER_DOCUMENTS_CACHE) == before


def test_r_s6_the_command_makes_every_process_read_again_after_an_edit_by_sql(rules):
    from io import StringIO

    from django.core.management import call_command

    # given: a process holds the answer, and the row is changed behind the portal's back
    assert zj_days() == 30
    ProvinceRule.objects.filter(province_id="ZJ", key=RuleKey.AUTHORITY_REVIEW_WORKING_DAYS).update(
        value={"value": 26}
    )
    before = generation(RULES_CACHE)
    # when: the operator runs the command
    out = StringIO()
    call_command("reference_cache_forget", stdout=out)
    # then: every cache's shared generation moved, and the next answer is the database's
    assert generation(RULES_CACHE) == before + 1
    assert out.getvalue() == (
        "forgotten in every process: personal_id_types, provider_documents, province_rules\n"
    )
    assert zj_days() == 26
