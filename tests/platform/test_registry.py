"""Registry: reference data, numbers (R-S6) and the allocator under concurrency."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from icpfiling.registry.models import (
    CertificateType,
    EntityNature,
    EntityNumberSequence,
    FiledEntity,
    FiledWebsite,
    FormerCertificate,
    Province,
    RegistryStatus,
)
from icpfiling.registry.reference import reference_data_load
from icpfiling.registry.selectors import filed_entity_find, filed_website_find
from icpfiling.registry.services import (
    DomainTaken,
    entity_number_allocate,
    registry_entity_file,
    registry_website_file,
)
from tests.services import requires_postgres


def _entity(province="ZJ", cert="91330106MA2H000015", name="示例公司") -> FiledEntity:
    return registry_entity_file(
        province=Province.objects.get(code=province),
        nature=EntityNature.objects.get(code=4),
        certificate_type=CertificateType.objects.get(code="business_licence"),
        certificate_number=cert,
        name=name,
        principal_name="张三",
        filed_at=timezone.make_aware(timezone.datetime(2026, 5, 1, 9, 0)),
    )


@pytest.mark.django_db
def test_reference_data_has_31_provinces_with_current_prefixes():
    assert Province.objects.count() == 31
    prefixes = dict(Province.objects.values_list("name", "icp_prefix"))
    # recent numbers print 蜀/黔/滇/陇 (province-rules.yaml, icp_prefix)
    assert (prefixes["四川"], prefixes["贵州"], prefixes["云南"], prefixes["甘肃"]) == (
        "蜀",
        "黔",
        "滇",
        "陇",
    )
    assert (prefixes["浙江"], prefixes["广东"], prefixes["北京"]) == ("浙", "粤", "京")
    assert EntityNature.objects.get(code=5).is_individual is True
    assert set(CertificateType.objects.get(code="uscc").natures.values_list("code", flat=True)) >= {2, 3, 6}


@pytest.mark.django_db
def test_reference_data_load_is_idempotent():
    counts = reference_data_load()
    assert counts == reference_data_load()
    assert Province.objects.count() == counts["provinces"] == 31


@pytest.mark.django_db
def test_r_s6_entity_numbers_are_per_province_and_per_year():
    zj, gd = Province.objects.get(code="ZJ"), Province.objects.get(code="GD")
    assert entity_number_allocate(province=zj, year=2026) == "浙ICP备2026000001号"
    assert entity_number_allocate(province=zj, year=2026) == "浙ICP备2026000002号"
    assert entity_number_allocate(province=gd, year=2026) == "粤ICP备2026000001号"
    assert entity_number_allocate(province=zj, year=2027) == "浙ICP备2027000001号"


@pytest.mark.django_db
def test_r_s6_website_numbers_follow_the_entity_and_are_never_reused():
    entity = _entity()
    first = registry_website_file(entity=entity, domain="a-example.cn", name="甲", provider=_provider("p1"))
    assert first.website_number == f"{entity.entity_number}-1"
    # cancelling a website never frees its -N
    FiledWebsite.objects.filter(pk=first.pk).update(status=RegistryStatus.CANCELLED)
    second = registry_website_file(entity=entity, domain="b-example.cn", name="乙", provider=_provider("p2"))
    assert second.website_number == f"{entity.entity_number}-2"
    assert second.access_records.get().provider.slug == "p2"


@pytest.mark.django_db
def test_r_o1_domain_is_filed_once_across_the_registry():
    entity = _entity()
    registry_website_file(entity=entity, domain="Dup-Example.cn", name="甲", provider=_provider("p1"))
    other = _entity(cert="91330106MA2H000023", name="另一公司")
    # the filing names the domain (R-C2: checked over every domain of every active website) ...
    with pytest.raises(DomainTaken) as taken, transaction.atomic():
        registry_website_file(entity=other, domain="dup-example.cn", name="乙", provider=_provider("p2"))
    assert taken.value.domain == "dup-example.cn"
    # ... and the unique constraint is what decides when the check is bypassed (a race)
    with pytest.raises(IntegrityError), transaction.atomic():
        FiledWebsite.objects.create(
            entity=other,
            seq=1,
            website_number="x-1",
            domain="dup-example.cn",
            name="乙",
            filed_at=timezone.now(),
        )


@pytest.mark.django_db
def test_r_o6_entity_found_by_its_pre_merger_number():
    entity = _entity()
    FormerCertificate.objects.create(
        entity=entity, certificate_type_id="business_licence", number="330106000012345"
    )
    assert filed_entity_find(certificate_number="330106000012345") == entity
    assert filed_entity_find(certificate_number=" 91330106ma2h000015 ") == entity
    assert filed_entity_find(certificate_number="330106000099999") is None


@pytest.mark.django_db
def test_filed_website_lookup_ignores_case():
    entity = _entity()
    registry_website_file(entity=entity, domain="case-example.cn", name="甲", provider=_provider("p1"))
    assert filed_website_find(domain="CASE-example.CN").entity == entity


def _provider(slug):
    from icpfiling.tenancy.models import Provider

    return Provider.objects.get_or_create(slug=slug, defaults={"name": slug})[0]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_s6_allocator_hands_out_distinct_numbers_under_concurrent_approvals():
    """Eight approvals at the same instant get eight consecutive, distinct numbers."""
    reference_data_load()  # transactional tests start from an empty database
    zj = Province.objects.get(code="ZJ")
    workers = 8
    barrier = threading.Barrier(workers)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def approve(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                entity = registry_entity_file(
                    province=zj,
                    nature=EntityNature.objects.get(code=4),
                    certificate_type=CertificateType.objects.get(code="business_licence"),
                    certificate_number=f"CONCURRENT{i:08d}",
                    name=f"并发公司{i}",
                    principal_name="张三",
                )
                site = registry_website_file(
                    entity=entity, domain=f"concurrent{i}.cn", name="站", provider=_provider(f"c{i}")
                )
            numbers.append(site.website_number)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    year = timezone.localdate().year
    assert sorted(numbers) == [f"浙ICP备{year}{n:06d}号-1" for n in range(1, workers + 1)]
    assert EntityNumberSequence.objects.get(province=zj, year=year).last_value == workers


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_s6_concurrent_websites_of_one_entity_get_distinct_suffixes():
    reference_data_load()
    entity = _entity()
    workers = 6
    barrier = threading.Barrier(workers)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def add(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            e = FiledEntity.objects.get(pk=entity.pk)
            numbers.append(
                registry_website_file(
                    entity=e, domain=f"site{i}.cn", name="站", provider=_provider(f"w{i}")
                ).seq
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(numbers) == list(range(1, workers + 1))
