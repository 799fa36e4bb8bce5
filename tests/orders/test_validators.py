"""Pure validation functions of the filing form (R-V1…R-V3, R-W1…R-W5); no database."""

from __future__ import annotations

from datetime import date

import idna
import pytest
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from stdnum.cn import ric, uscc

from icpfiling.core.validators import (
    PRE_APPROVAL_REQUIRED,
    SERVICE_CONTENT_CHOICES,
    Person,
    ResidentId,
    SiteAddress,
    add_months,
    certificate_number_kind,
    check_domain_real_name,
    check_id_validity,
    check_people_distinct,
    check_server_validity,
    check_service_content,
    clean_landline,
    clean_mobile,
    clean_resident_id,
    clean_site_address,
    clean_uscc,
    clean_website_name,
)

TODAY = date(2026, 11, 22)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(first17: str) -> str:
    """A valid credit code: 17 characters plus the check character stdnum computes."""
    return first17 + uscc.calc_check_digit(first17)


def make_id(region: str, birth: date, sequence: str = "001") -> str:
    """A valid resident ID number: stdnum computes the check digit (it ignores the last character)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    return first17 + ric.calc_check_digit(first17 + "?")


def flip_last(number: str, alphabet: str) -> str:
    """The same number with a different (so wrong) last character."""
    return number[:-1] + next(char for char in alphabet if char != number[-1])


VALID_USCC = make_uscc("91330106MA2H00001")


def raised(func, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        func(*args, **kwargs)
    return info.value


# --- R-V1 unified social credit code -------------------------------------------------------


def test_r_v1_uscc_generated_code_is_normalised_and_accepted():
    # Given a valid code typed in lower case with spaces
    typed = f" {VALID_USCC[:6].lower()} {VALID_USCC[6:].lower()} "
    # When it is cleaned
    cleaned = clean_uscc(typed)
    # Then it comes back compact and upper-case
    assert cleaned == VALID_USCC


def test_r_v1_uscc_published_example_is_accepted():
    # Given python-stdnum's documented example; when cleaned; then unchanged
    assert clean_uscc("91110000600037341L") == "91110000600037341L"


def test_r_v1_uscc_flipped_check_character_is_refused():
    # Given a valid code whose last character is changed
    wrong = flip_last(VALID_USCC, USCC_ALPHABET)
    # When cleaned, then the check character is reported
    assert raised(clean_uscc, wrong).code == "uscc_checksum"


def test_r_v1_uscc_flipped_body_character_is_refused():
    # Given a valid code with one digit in the middle changed
    wrong = VALID_USCC[:10] + ("1" if VALID_USCC[10] != "1" else "2") + VALID_USCC[11:]
    # Then the checksum catches it
    assert raised(clean_uscc, wrong).code == "uscc_checksum"


def test_r_v1_uscc_wrong_length_names_the_length():
    # Given 17 characters; when cleaned; then the length is refused and shown
    error = raised(clean_uscc, VALID_USCC[:17])
    assert error.code == "uscc_length"
    assert error.params == {"length": 17}


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_r_v1_uscc_letters_outside_gb32100_alphabet_are_refused(letter):
    # Given a code containing a letter GB 32100 excludes
    wrong = VALID_USCC[:9] + letter + VALID_USCC[10:]
    # Then it is a format error, not a checksum error
    assert raised(clean_uscc, wrong).code == "uscc_format"


def test_r_v1_uscc_issued_by_agricultural_authority_is_accepted():
    # Given a code of registering authority N (农业), which stdnum.validate() refuses as non-digit
    code = make_uscc("N2330106MA2H00001")
    assert not uscc.is_valid(code)
    # When cleaned, then it is accepted with its GB 32100 check character
    assert clean_uscc(code) == code


def test_r_v1_uscc_empty_is_required():
    # Given only spaces; when cleaned; then the field is required
    assert raised(clean_uscc, "  ").code == "required"


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        (VALID_USCC, "uscc"),
        ("91110000600037341l", "uscc"),
        ("330106000123456", "registration_number"),
        ("60003734-1", "organisation_code"),
        ("600037341", "organisation_code"),
        ("60003734-2", "other"),
        ("11010519491231002X", "resident_id"),
        ("360426199101010071", "resident_id"),
        (flip_last(VALID_USCC, USCC_ALPHABET), "other"),
        ("not a number", "other"),
        ("", "other"),
    ],
)
def test_r_v1_certificate_number_kind(number, kind):
    # Given a certificate number; when classified; then the kind matches (check characters count)
    assert certificate_number_kind(number) == kind


# --- R-V2 resident ID numbers and validity -----------------------------------------------------


def test_r_v2_well_known_id_number_is_decoded():
    # Given the well-known example number with a lower-case x
    result = clean_resident_id("11010519491231002x", today=TODAY)
    # Then it is normalised and its parts are decoded
    assert result == ResidentId(
        number="11010519491231002X",
        birth_date=date(1949, 12, 31),
        region_code="110105",
        province_admin_prefix="11",
        age=76,
    )


def test_r_v2_second_known_id_number_is_accepted():
    # Given the stdnum example (江西省德安县); when cleaned; then its province prefix is 36
    assert clean_resident_id("360426199101010071", today=TODAY).province_admin_prefix == "36"


def test_r_v2_flipped_check_digit_is_refused():
    # Given a valid number with its check digit changed; when cleaned; then the checksum fails
    wrong = flip_last("360426199101010071", "0123456789X")
    assert raised(clean_resident_id, wrong, today=TODAY).code == "id_checksum"


def test_r_v2_legacy_15_digit_number_is_a_length_error():
    # Given an old 15-digit number; when cleaned; then the length is refused and shown
    error = raised(clean_resident_id, "110105491231002", today=TODAY)
    assert error.code == "id_length"
    assert error.params == {"length": 15}


def test_r_v2_letter_inside_number_is_a_format_error():
    # Given a letter among the first 17 characters; when cleaned; then it is a format error
    assert raised(clean_resident_id, "1101051949123100AX", today=TODAY).code == "id_format"


def test_r_v2_future_birth_date_is_refused_although_stdnum_accepts_it():
    # Given a number with a correct check digit and a birth date in 2099
    number = make_id("110105", date(2099, 12, 31))
    assert ric.is_valid(number)
    # Then the birth date is refused
    error = raised(clean_resident_id, number, today=TODAY)
    assert error.code == "id_birth_date_future"
    assert error.params == {"birth_date": date(2099, 12, 31)}


def test_r_v2_impossible_birth_date_is_refused():
    # Given 30 February with a correct check digit
    first17 = "11010519910230002"
    number = first17 + ric.calc_check_digit(first17 + "?")
    assert raised(clean_resident_id, number, today=TODAY).code == "id_birth_date_invalid"


def test_r_v2_unknown_region_is_refused():
    # Given region 99xxxx (no such province) with a correct check digit; then the region is refused
    number = make_id("990426", date(1991, 1, 1))
    error = raised(clean_resident_id, number, today=TODAY)
    assert error.code == "id_region"
    assert error.params == {"region_code": "990426"}


def test_r_v2_region_created_after_birth_is_accepted():
    # Given a 浦东新区 (310115, created 1992) number of someone born in 1960, which stdnum refuses
    number = make_id("310115", date(1960, 1, 1))
    assert not ric.is_valid(number)
    # Then it is accepted: the code is the region of first issue, not of birth
    assert clean_resident_id(number, today=TODAY).region_code == "310115"


def test_r_v2_day_before_18th_birthday_is_refused():
    # Given someone who turns 18 tomorrow
    number = make_id("110105", date(2008, 11, 23))
    # Then today they are 17
    error = raised(clean_resident_id, number, today=TODAY)
    assert error.code == "id_under_18"
    assert error.params == {"min_age": 18, "age": 17}


def test_r_v2_18th_birthday_is_accepted():
    # Given someone whose 18th birthday is today; when cleaned; then they are 18 and accepted
    number = make_id("110105", date(2008, 11, 22))
    assert clean_resident_id(number, today=TODAY).age == 18


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
        (date(2026, 11, 22), 3, date(2027, 2, 22)),
        (date(2026, 1, 31), -2, date(2025, 11, 30)),
    ],
)
def test_r_v2_add_months_uses_calendar_months(start, months, expected):
    # Given a date and a month count; when added; then the day is clamped to the month's end
    assert add_months(start, months=months) == expected


def test_r_v2_long_term_id_passes_without_date():
    # Given a 长期 ID without an end date; when checked; then it passes
    assert check_id_validity(valid_until=None, long_term=True, today=TODAY) is None


def test_r_v2_missing_valid_until_is_required():
    # Given no end date and not long-term; when checked; then the date is required
    error = raised(check_id_validity, valid_until=None, long_term=False, today=TODAY)
    assert error.code == "id_valid_until_required"


def test_r_v2_expired_id_is_refused():
    # Given an ID that ended yesterday; when checked; then it is expired
    error = raised(check_id_validity, valid_until=date(2026, 11, 21), long_term=False, today=TODAY)
    assert error.code == "id_expired"


def test_r_v2_id_valid_exactly_three_months_is_refused():
    # Given 2026-11-30, three calendar months later is 2027-02-28: "more than 3 months" fails
    error = raised(
        check_id_validity, valid_until=date(2027, 2, 28), long_term=False, today=date(2026, 11, 30)
    )
    assert error.code == "id_expires_soon"
    assert error.params["limit"] == date(2027, 2, 28)


def test_r_v2_id_valid_one_day_beyond_three_months_is_accepted():
    # Given an end date one day past today + 3 calendar months; then it passes
    assert check_id_validity(valid_until=date(2027, 3, 1), long_term=False, today=date(2026, 11, 30)) is None


# --- R-V3 phones and distinct people -----------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["+86 138 0013 8000", "13800138000", "86-13800138000", "0086 13800138000", "138-0013-8000"]
)
def test_r_v3_mobile_formats_are_normalised(typed):
    # Given a mainland mobile typed in a common way; when cleaned; then 11 digits remain
    assert clean_mobile(typed) == "13800138000"


@pytest.mark.parametrize(
    "typed",
    ["12345678901", "1380013800", "0571-87654321", "+852 6123 4567", "1380013800a", "138 0013 8000 ext 1"],
)
def test_r_v3_invalid_mobiles_are_refused(typed):
    # Given a bad number, a landline, a Hong Kong mobile or letters; then it is refused, echoed
    error = raised(clean_mobile, typed)
    assert error.code == "mobile_invalid"
    assert error.params == {"value": typed}


def test_r_v3_newer_mobile_ranges_are_accepted():
    # Given 192 (中国广电) and 166 numbers; when cleaned; then they are valid mobiles
    assert [clean_mobile(n) for n in ("19212345678", "16612345678")] == ["19212345678", "16612345678"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0571-87654321", "0571-87654321"),
        ("010 12345678", "010-12345678"),
        ("+86 755 8888 8888", "0755-88888888"),
        ("(021)12345678", "021-12345678"),
    ],
)
def test_r_v3_landlines_are_formatted_with_area_code(typed, expected):
    # Given a fixed line typed in a common way; then it comes back as area code-number
    assert clean_landline(typed) == expected


@pytest.mark.parametrize("typed", ["13800138000", "87654321", "400-820-8820"])
def test_r_v3_non_landlines_are_refused(typed):
    # Given a mobile, a number without area code, or a 400 number; then it is not a landline
    assert raised(clean_landline, typed).code == "landline_invalid"


ENTITY = Person(name="张三", id_number="11010519491231002X", mobile="13800138000", email="zs@example.com")
OTHER = Person(name="李四", id_number="360426199101010071", mobile="13900139000", email="ls@example.com")


def test_r_v3_distinct_people_with_distinct_contacts_pass():
    # Given two people with their own contacts and a third emergency mobile; then no error
    assert (
        check_people_distinct(
            entity_principal=ENTITY, website_principals=[OTHER], emergency_mobile="13700137000"
        )
        == {}
    )


def test_r_v3_same_person_may_reuse_mobile_and_email():
    # Given the entity principal is also the website principal
    errors = check_people_distinct(
        entity_principal=ENTITY, website_principals=[ENTITY], emergency_mobile="13700137000"
    )
    # Then nothing is refused
    assert errors == {}


def test_r_v3_different_person_with_same_mobile_and_email_is_refused():
    # Given a different person who copied the entity principal's mobile (typed differently) and email
    copycat = Person(
        name="李四", id_number=OTHER.id_number, mobile="+86 138 0013 8000", email="ZS@Example.com "
    )
    # When checked
    errors = check_people_distinct(
        entity_principal=ENTITY, website_principals=[copycat], emergency_mobile="13700137000"
    )
    # Then both the mobile and the email of websites[0] are refused
    assert set(errors) == {"websites[0].principal.mobile", "websites[0].principal.email"}
    assert errors["websites[0].principal.mobile"][0].code == "mobile_shared_with_entity_principal"
    assert errors["websites[0].principal.email"][0].code == "email_shared_with_entity_principal"


def test_r_v3_error_key_is_the_website_position():
    # Given the second website's principal shares the entity principal's mobile
    copycat = Person(
        name="王五", id_number="360426199101010071", mobile=ENTITY.mobile, email="ww@example.com"
    )
    errors = check_people_distinct(
        entity_principal=ENTITY, website_principals=[ENTITY, copycat], emergency_mobile="13700137000"
    )
    # Then only websites[1] is named
    assert list(errors) == ["websites[1].principal.mobile"]


def test_r_v3_emergency_mobile_equal_to_entity_principal_is_refused():
    # Given the emergency mobile is the entity principal's (typed with spaces); then it is refused
    errors = check_people_distinct(
        entity_principal=ENTITY, website_principals=[OTHER], emergency_mobile="138 0013 8000"
    )
    assert list(errors) == ["entity.emergency_mobile"]
    assert errors["entity.emergency_mobile"][0].code == "emergency_mobile_not_distinct"
    assert errors["entity.emergency_mobile"][0].params == {"name": "张三"}


def test_r_v3_emergency_mobile_equal_to_website_principal_is_refused_once_per_person():
    # Given the emergency mobile is the website principal's, listed on two websites
    errors = check_people_distinct(
        entity_principal=ENTITY, website_principals=[OTHER, OTHER], emergency_mobile=OTHER.mobile
    )
    # Then one error names that person
    assert [e.params["name"] for e in errors["entity.emergency_mobile"]] == ["李四"]


# --- R-W1 site address -------------------------------------------------------------------------


def test_r_w1_registered_domain_is_accepted():
    # Given a registered domain; when cleaned; then it is a domain shown as typed
    assert clean_site_address("example.com") == SiteAddress(
        kind="domain", value="example.com", display="example.com"
    )


def test_r_w1_trailing_dot_upper_case_and_spaces_are_normalised():
    # Given spaces, capitals and a trailing dot; when cleaned; then they are removed
    assert clean_site_address("  Example.COM. ").value == "example.com"


def test_r_w1_subdomain_is_refused_naming_the_registered_domain():
    # Given a www subdomain; when cleaned; then it is refused and example.com is offered
    error = raised(clean_site_address, "www.example.com")
    assert error.code == "domain_is_subdomain"
    assert error.params == {"value": "www.example.com", "registered_domain": "example.com"}


def test_r_w1_private_section_of_psl_does_not_make_subdomains_registrable():
    # Given a name under github.io (a PRIVATE-section suffix); then github.io is the one to file
    error = raised(clean_site_address, "someone.github.io")
    assert error.params["registered_domain"] == "github.io"


@pytest.mark.parametrize("domain", ["miit.gov.cn", "beian.miit.gov.cn"])
def test_r_w1_government_names_under_gov_cn_are_accepted(domain):
    # Given a government name under gov.cn, of any level; then it is accepted as typed
    assert clean_site_address(domain) == SiteAddress(kind="domain", value=domain, display=domain)


@pytest.mark.parametrize("suffix", ["gov.cn", "com.cn", "com"])
def test_r_w1_public_suffix_itself_is_refused(suffix):
    # Given a public suffix alone; when cleaned; then it is not a registrable domain
    error = raised(clean_site_address, suffix)
    assert error.code == "domain_is_suffix"
    assert error.params == {"value": suffix}


def test_r_w1_unknown_suffix_is_refused():
    # Given a suffix not on the public suffix list; when cleaned; then the suffix is named
    error = raised(clean_site_address, "example.notatld")
    assert error.code == "domain_unknown_suffix"
    assert error.params == {"suffix": "notatld"}


def test_r_w1_chinese_idn_is_punycode_with_unicode_display():
    # Given a Chinese IDN; when cleaned; then the value is what the idna package encodes
    expected = idna.encode("例子.中国").decode("ascii")
    assert expected == "xn--fsqu00a.xn--fiqs8s"
    assert clean_site_address("例子.中国") == SiteAddress(kind="domain", value=expected, display="例子.中国")


def test_r_w1_chinese_label_under_cn_and_ideographic_full_stop():
    # Given a Chinese label under .cn, and the ideographic full stop 。; then both are punycode
    assert clean_site_address("中文.cn") == SiteAddress(
        kind="domain", value=idna.encode("中文.cn").decode("ascii"), display="中文.cn"
    )
    assert clean_site_address("例子。中国").value == "xn--fsqu00a.xn--fiqs8s"


@pytest.mark.parametrize(
    ("typed", "host"),
    [
        ("HTTPS://Example.com/x", "example.com"),
        ("example.com/path", "example.com"),
        ("example.com:8080", "example.com"),
    ],
)
def test_r_w1_url_is_refused_with_the_host_to_enter(typed, host):
    # Given a URL, a path or a port; when cleaned; then the host to enter is suggested
    error = raised(clean_site_address, typed)
    assert error.code == "domain_is_url"
    assert error.params == {"host": host}


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888"])
def test_r_w1_public_ip_is_accepted(address):
    # Given a public IPv4 or IPv6 address; when cleaned; then it is kind ip
    assert clean_site_address(address) == SiteAddress(kind="ip", value=address, display=address)


@pytest.mark.parametrize(
    "address", ["10.1.2.3", "127.0.0.1", "169.254.1.1", "192.168.1.1", "100.64.0.1", "2001:db8::1"]
)
def test_r_w1_non_public_ip_is_refused(address):
    # Given a private, loopback, link-local, shared or documentation address; then refused
    error = raised(clean_site_address, address)
    assert error.code == "ip_not_public"
    assert error.params == {"ip": address}


@pytest.mark.parametrize("typed", ["-bad-.com", "a_b.com", "example..com", "localhost"])
def test_r_w1_invalid_domain_labels_are_refused(typed):
    # Given bad labels (hyphen edges, underscore, empty label, no suffix); then invalid
    assert raised(clean_site_address, typed).code == "domain_invalid"


def test_r_w1_malformed_ip_is_refused():
    # Given dotted numbers out of range; when cleaned; then it is not a valid IPv4 address
    assert raised(clean_site_address, "300.1.1.1").code == "ip_invalid"


# --- R-W2 website names ------------------------------------------------------------------------


def test_r_w2_company_name_is_accepted_for_a_unit():
    # Given a unit's brand name with spaces around; when cleaned; then it is stripped and accepted
    assert clean_website_name(" 阿里云官网 ", individual=False, domain="aliyun.com") == "阿里云官网"


@pytest.mark.parametrize(
    ("name", "code"),
    [("12345", "name_not_chinese"), ("Example", "name_not_chinese"), ("!!!", "name_special_chars")],
)
def test_r_w2_names_without_chinese_are_refused(name, code):
    # Given a name without Chinese characters; when cleaned; then it is refused
    assert raised(clean_website_name, name, individual=False).code == code


def test_r_w2_pure_digits_are_not_chinese():
    # Given pure digits; when cleaned; then the minimum number of Chinese characters is named
    error = raised(clean_website_name, "12345", individual=False)
    assert error.code == "name_not_chinese"
    assert error.params == {"min": 3}


def test_r_w2_two_chinese_characters_are_too_short():
    # Given two Chinese characters (TX-驳回 asks for three); then the name is too short
    assert raised(clean_website_name, "示例", individual=False).code == "name_too_short"


@pytest.mark.parametrize("name", ["example.com", "欢迎来到example.com", "例子.中国"])
def test_r_w2_domain_names_are_refused(name):
    # Given a domain, a name containing one, or a Chinese IDN; then the name is a domain
    assert raised(clean_website_name, name, individual=False).code == "name_is_domain"


def test_r_w2_name_containing_the_sites_own_domain_is_refused():
    # Given the site's own IDN (passed as punycode) inside the name; then it is refused
    error = raised(clean_website_name, "例子.中国官网", individual=False, domain="xn--fsqu00a.xn--fiqs8s")
    assert error.code == "name_is_domain"


def test_r_w2_special_symbols_are_refused():
    # Given a decorative symbol; when cleaned; then the symbol is named
    error = raised(clean_website_name, "阿里云★官网", individual=False)
    assert error.code == "name_special_chars"
    assert error.params == {"char": "★"}


def test_r_w2_national_prefix_is_refused_for_ordinary_units():
    # Given an ordinary unit's name starting with 中国; then the prefix is named
    error = raised(clean_website_name, "中国示例网", individual=False)
    assert error.code == "name_national_prefix"
    assert error.params == {"prefix": "中国"}


def test_r_w2_national_prefix_is_allowed_for_national_units():
    # Given the same name for a national-level unit; then it is accepted
    assert clean_website_name("中国示例网", individual=False, national_unit=True) == "中国示例网"


def test_r_w2_banned_word_is_refused_for_individuals_and_named():
    # Given an individual's 博客; when cleaned; then the word is named
    error = raised(clean_website_name, "张三的博客", individual=True)
    assert error.code == "name_banned_word"
    assert error.params == {"word": "博客"}


def test_r_w2_banned_word_for_individuals_is_fine_for_units():
    # Given the same name for a unit: 博客 is banned only for individuals (reference §4.5)
    assert clean_website_name("张三的博客", individual=False) == "张三的博客"


def test_r_w2_individuals_may_not_use_political_words_anywhere():
    # Given 中国 inside (not at the start of) an individual's name; then it is refused
    error = raised(clean_website_name, "张三的中国菜谱", individual=True)
    assert error.params == {"word": "中国"}


def test_r_w2_sensitive_word_is_refused_for_everyone():
    # Given a sensitive word, even for a national unit; then the word is named
    error = raised(clean_website_name, "某某赌博研究", individual=False, national_unit=True)
    assert error.code == "name_sensitive_word"
    assert error.params == {"word": "赌博"}


def test_r_w2_personal_name_without_banned_words_is_accepted():
    # Given a personal name without banned words; when cleaned; then accepted
    assert clean_website_name("张三的读书笔记", individual=True) == "张三的读书笔记"


# --- R-W3 service content and pre-approvals ----------------------------------------------------


def test_r_w3_every_pre_approval_code_is_a_service_content_choice():
    # Given the constants; then every pre-approval code is selectable and 其他 needs none
    codes = {code for code, _label in SERVICE_CONTENT_CHOICES}
    assert set(PRE_APPROVAL_REQUIRED) <= codes
    assert "other" in codes
    assert "other" not in PRE_APPROVAL_REQUIRED


def test_r_w3_at_least_one_code_is_required():
    # Given no service content; when checked; then one is required
    errors = check_service_content(codes=[], pre_approvals={}, individual=False)
    assert [e.code for e in errors["service_content"]] == ["service_content_required"]


def test_r_w3_unknown_code_is_refused():
    # Given a code not in the list; when checked; then it is named
    errors = check_service_content(codes=["gambling"], pre_approvals={}, individual=False)
    assert errors["service_content"][0].code == "service_content_unknown"
    assert errors["service_content"][0].params == {"code": "gambling"}


def test_r_w3_individual_may_only_choose_other():
    # Given an individual who picks news and other
    errors = check_service_content(codes=["news", "other"], pre_approvals={}, individual=True)
    # Then news is refused by name and no pre-approval is asked for
    assert list(errors) == ["service_content"]
    assert errors["service_content"][0].code == "service_content_not_for_individuals"
    assert errors["service_content"][0].params == {"content": "新闻"}


def test_r_w3_individual_choosing_other_passes():
    # Given an individual choosing 其他 only; when checked; then no error
    assert check_service_content(codes=["other"], pre_approvals={}, individual=True) == {}


@pytest.mark.parametrize("approval", [None, "", "   "])
def test_r_w3_unit_news_without_approval_number_is_refused(approval):
    # Given a unit choosing news with no or a blank approval number; then the approval is asked for
    pre_approvals = {} if approval is None else {"news": approval}
    errors = check_service_content(
        codes=["news", "unit_portal"], pre_approvals=pre_approvals, individual=False
    )
    assert list(errors) == ["pre_approvals.news"]
    assert errors["pre_approvals.news"][0].code == "pre_approval_required"
    assert errors["pre_approvals.news"][0].params == {
        "content": "新闻",
        "document": "互联网新闻信息服务许可证",
    }


def test_r_w3_unit_with_approval_numbers_passes():
    # Given approval numbers for every content that needs one; then no error
    errors = check_service_content(
        codes=["medicine", "culture", "unit_portal"],
        pre_approvals={"medicine": "(京)-经营性-2026-0001", "culture": "京网文〔2026〕0001-001号"},
        individual=False,
    )
    assert errors == {}


# --- R-W4 server validity, R-W5 real-name verification -----------------------------------------


def test_r_w4_exactly_90_days_left_is_accepted():
    # Given 90 days of paid validity left; when checked; then it passes
    assert check_server_validity(paid_until=date(2027, 2, 20), today=TODAY) is None


def test_r_w4_89_days_left_is_refused_with_days():
    # Given 89 days left; when checked; then the days left and the minimum are shown
    error = raised(check_server_validity, paid_until=date(2027, 2, 19), today=TODAY)
    assert error.code == "server_validity_short"
    assert (error.params["days_left"], error.params["min_days"]) == (89, 90)


def test_r_w4_past_date_is_expired():
    # Given a server paid until yesterday; when checked; then it is expired
    assert raised(check_server_validity, paid_until=date(2026, 11, 21), today=TODAY).code == "server_expired"


def test_r_w5_missing_date_is_required():
    # Given no verification date; when checked; then it is required
    assert raised(check_domain_real_name, verified_on=None, today=TODAY).code == "real_name_date_required"


def test_r_w5_future_date_is_refused():
    # Given tomorrow as the verification date; when checked; then it is refused
    error = raised(check_domain_real_name, verified_on=date(2026, 11, 23), today=TODAY)
    assert error.code == "real_name_date_future"


def test_r_w5_two_days_old_is_refused_with_earliest_date():
    # Given verification 2 days ago; when checked; then the earliest submission day is given
    error = raised(check_domain_real_name, verified_on=date(2026, 11, 20), today=TODAY)
    assert error.code == "real_name_too_recent"
    assert error.params["earliest"] == TODAY.replace(day=23)


def test_r_w5_three_days_old_is_accepted():
    # Given verification 3 days ago; when checked; then it passes
    assert check_domain_real_name(verified_on=date(2026, 11, 19), today=TODAY) is None


# --- Messages ----------------------------------------------------------------------------------


def test_messages_are_lazy_chinese_and_carry_their_params():
    # Given a refusal with params; then its message is a lazy string in Chinese with the value filled in
    error = raised(clean_site_address, "www.example.com")
    assert isinstance(error.message, Promise)
    assert "请改填“example.com”" in error.messages[0]
