"""Validation of what the applicant enters on the filing form (R-V1…R-V3, R-W1…R-W5).

Pure functions: no database, no network, no clock. Anything that depends on "today"
takes it as an argument, and anything that depends on the registry (old certificate
numbers, one mobile per entity) is left to the caller.

Every refusal is a ``django.core.exceptions.ValidationError`` with a stable ``code``
and a Simplified Chinese message (the source language, wrapped in ``gettext_lazy``)
that says what is wrong and how to fix it. Empty input to a ``clean_*`` function is
refused with Django's usual code ``"required"``.

Libraries do the checking wherever one exists: python-stdnum (GB 32100 credit codes,
GB 11643 resident ID numbers), phonenumbers (mainland mobiles and fixed lines),
publicsuffixlist (registered domains, offline) and idna (IDNA 2008 with UTS #46).
"""

from __future__ import annotations

import calendar
import contextlib
import functools
import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import idna
import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from publicsuffixlist import PublicSuffixList
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidComponent

from icpfiling.core.pre_approvals import CATALOGUE, pre_approvals_in_force

__all__ = [
    "INDIVIDUAL_BANNED_WORDS",
    "NATIONAL_PREFIXES",
    "PRE_APPROVAL_REQUIRED",
    "SENSITIVE_WORDS",
    "SERVICE_CONTENT_CHOICES",
    "WEBSITE_NAME_MIN_CHINESE",
    "Person",
    "ResidentId",
    "SiteAddress",
    "add_months",
    "certificate_number_kind",
    "check_domain_real_name",
    "check_id_validity",
    "check_people_distinct",
    "check_server_validity",
    "check_service_content",
    "clean_landline",
    "clean_mobile",
    "clean_resident_id",
    "clean_site_address",
    "clean_uscc",
    "clean_website_name",
]

_WHITESPACE = re.compile(r"\s+")


def _compact(value: str) -> str:
    """Full-width characters folded (NFKC), all whitespace removed, upper-cased."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", value)).upper()


# ---------------------------------------------------------------------------------------------
# R-V1 Unified social credit code and older certificate numbers
# ---------------------------------------------------------------------------------------------

# GB 32100-2015 alphabet: digits and upper-case letters without I, O, Z, S, V.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Position 1 is the registering authority: 1-9, A (军委编制), N (农业), Y (其他); position 2 the
# category (a digit); positions 3-8 the administrative region. stdnum.cn.uscc.validate() insists
# that the first eight characters are digits, which would turn away real codes issued by the
# A/N/Y authorities, so the format is checked here and the check character by stdnum.
_USCC_FORMAT = re.compile(rf"[1-9ANY][0-9][0-9]{{6}}[{_USCC_ALPHABET}]{{10}}")


def clean_uscc(value: str) -> str:
    """R-V1: normalise and check a unified social credit code (统一社会信用代码, GB 32100).

    Spaces are removed and letters upper-cased; the code must be 18 characters from the
    GB 32100 alphabet and carry the right check character (computed by python-stdnum).
    The embedded organisation code (positions 9-17) is not checked separately.
    """
    number = _compact(value)
    if not number:
        raise ValidationError(_("请填写统一社会信用代码（18位，见营业执照或登记证书）。"), code="required")
    if len(number) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，您填写了%(length)s位，请对照营业执照重新填写。"),
            code="uscc_length",
            params={"length": len(number)},
        )
    if not _USCC_FORMAT.fullmatch(number):
        raise ValidationError(
            _(
                "统一社会信用代码格式不正确：只能由数字和大写字母组成，且不含字母I、O、Z、S、V；"
                "第1位为1至9或字母A、N、Y，第2至8位为数字。请对照营业执照逐位核对（注意区分数字0与字母O、数字1与字母I）。"
            ),
            code="uscc_format",
        )
    if number[-1] != uscc.calc_check_digit(number[:17]):
        raise ValidationError(
            _("统一社会信用代码校验位不正确，请对照营业执照逐位核对。"),
            code="uscc_checksum",
        )
    return number


# GB 11714-1997 organisation code: 8 digits/upper-case letters, then a check character.
_ORG_CODE_FORMAT = re.compile(r"([0-9A-Z]{8})-?([0-9X])")
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _organisation_code_check_char(body: str) -> str:
    """GB 11714 check character for the 8-character body of an organisation code.

    Hand-written because no installed library implements GB 11714 (python-stdnum has
    ``cn.ric`` and ``cn.uscc`` only): weights 3,7,9,10,5,8,4,2; digits count as their value
    and letters A-Z as 10-35; check = 11 - (sum mod 11), where 10 is written X and 11 is 0.
    """
    total = sum(int(char, 36) * weight for char, weight in zip(body, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


_REGISTRATION_NUMBER_FORMAT = re.compile(r"[0-9]{15}")


def certificate_number_kind(value: str) -> str:
    """R-V1: classify a certificate number; never raises.

    Returns ``"uscc"`` (valid GB 32100 code), ``"registration_number"`` (old 15-digit 工商注册号),
    ``"organisation_code"`` (old 9-character 组织机构代码 with a valid GB 11714 check character,
    with or without the dash), ``"resident_id"`` (18-character mainland ID number with a valid
    GB 11643 check digit, a real birth date and a known region code) or ``"other"``. A number
    whose check character is wrong is ``"other"``. Old numbers are acceptable only when the
    registry already has them: the caller checks the registry, this function only classifies.
    """
    number = _compact(value)
    if _USCC_FORMAT.fullmatch(number) and number[-1] == uscc.calc_check_digit(number[:17]):
        return "uscc"
    if _RESIDENT_ID_FORMAT.fullmatch(number) and number[-1] == ric.calc_check_digit(number):
        try:
            ric.get_birth_date(number)
        except InvalidComponent:
            return "other"
        if _region_known(number[:6]):
            return "resident_id"
        return "other"
    # The GS 15-2006 check digit is not enforced: the registry lookup is authoritative for
    # these old numbers, and numbers converted from the pre-2007 13-digit scheme vary.
    if _REGISTRATION_NUMBER_FORMAT.fullmatch(number):
        return "registration_number"
    match = _ORG_CODE_FORMAT.fullmatch(number)
    if match and match.group(2) == _organisation_code_check_char(match.group(1)):
        return "organisation_code"
    return "other"


# ---------------------------------------------------------------------------------------------
# R-V2 Mainland resident ID numbers and their validity
# ---------------------------------------------------------------------------------------------

_RESIDENT_ID_FORMAT = re.compile(r"[0-9]{17}[0-9X]")
ADULT_AGE = 18


@dataclass(frozen=True)
class ResidentId:
    """A checked mainland resident ID number (居民身份证号码, GB 11643) and what it encodes."""

    number: str
    birth_date: date
    region_code: str
    province_admin_prefix: str
    age: int


def _age_on(birth_date: date, today: date) -> int:
    """Completed years of age on ``today`` (a 29 February birthday counts from 1 March)."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def _region_known(region_code: str) -> bool:
    """Whether stdnum's bundled GB/T 2260 table has ever listed this 6-digit county code.

    ``ric.validate()`` also requires the county to have existed in the birth year, which refuses
    real people: the code is the region of first issue (e.g. 310115 浦东新区, created 1992, is on
    the cards of residents born long before). Any code the table has ever had is accepted.
    """
    info = {key: val for _part, props in numdb.get("cn/loc").info(region_code) for key, val in props.items()}
    return "province" in info and "county" in info


def clean_resident_id(value: str, *, today: date, min_age: int = ADULT_AGE) -> ResidentId:
    """R-V2: check a mainland resident ID number and that its holder is an adult.

    Normalises (whitespace removed, ``x`` upper-cased), then checks the length, the format,
    the GB 11643 check digit (python-stdnum), a real birth date that is not after ``today``,
    a known region code, and an age of at least ``min_age`` on ``today`` (18 unless the
    province's age rule says otherwise).
    """
    number = _compact(value)
    if not number:
        raise ValidationError(_("请填写18位居民身份证号码。"), code="required")
    if len(number) != 18:
        raise ValidationError(
            _(
                "居民身份证号码应为18位，您填写了%(length)s位。请按身份证人像面"
                "上的号码完整填写；15位旧号码请换用18位号码。"
            ),
            code="id_length",
            params={"length": len(number)},
        )
    if not _RESIDENT_ID_FORMAT.fullmatch(number):
        raise ValidationError(
            _("居民身份证号码前17位应为数字，最后一位为数字或字母X，请对照身份证核对。"),
            code="id_format",
        )
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError(
            _("居民身份证号码校验位不正确，请对照身份证逐位核对。"),
            code="id_checksum",
        )
    try:
        birth_date = ric.get_birth_date(number)
    except InvalidComponent:
        raise ValidationError(
            _("居民身份证号码第7至14位的出生日期不是有效日期，请对照身份证核对。"),
            code="id_birth_date_invalid",
        ) from None
    if birth_date > today:
        raise ValidationError(
            _("居民身份证号码中的出生日期（%(birth_date)s）晚于今天，请对照身份证核对号码。"),
            code="id_birth_date_future",
            params={"birth_date": birth_date},
        )
    region_code = number[:6]
    if not _region_known(region_code):
        raise ValidationError(
            _("居民身份证号码前6位的地区代码（%(region_code)s）不存在，请对照身份证核对。"),
            code="id_region",
            params={"region_code": region_code},
        )
    age = _age_on(birth_date, today)
    if age < min_age:
        raise ValidationError(
            _("负责人须年满%(min_age)s周岁（此证件持有人现年%(age)s岁），请更换为成年负责人。"),
            code="id_under_18",
            params={"min_age": min_age, "age": age},
        )
    return ResidentId(
        number=number,
        birth_date=birth_date,
        region_code=region_code,
        province_admin_prefix=number[:2],
        age=age,
    )


def add_months(value: date, *, months: int) -> date:
    """Calendar-month arithmetic: the same day ``months`` later, clamped to the month's end.

    ``add_months(date(2026, 11, 30), months=3) == date(2027, 2, 28)``.
    """
    month_index = value.year * 12 + value.month - 1 + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(value.day, last_day))


ID_MIN_VALID_MONTHS = 3


def check_id_validity(*, valid_until: date | None, long_term: bool, today: date) -> None:
    """R-V2: the ID document must stay valid for more than 3 calendar months after ``today``.

    A long-term (长期) document always passes.
    """
    if long_term:
        return
    if valid_until is None:
        raise ValidationError(
            _("请填写证件有效期的截止日期；如证件有效期为“长期”，请勾选“长期”。"),
            code="id_valid_until_required",
        )
    if valid_until < today:
        raise ValidationError(
            _("证件已于%(valid_until)s过期，请换领新证件后使用新证件信息备案。"),
            code="id_expired",
            params={"valid_until": valid_until},
        )
    limit = add_months(today, months=ID_MIN_VALID_MONTHS)
    if valid_until <= limit:
        raise ValidationError(
            _(
                "证件有效期至%(valid_until)s，剩余不足%(months)s个月（须晚于%(limit)s）。"
                "请先换领新证件，再用新证件信息备案。"
            ),
            code="id_expires_soon",
            params={"valid_until": valid_until, "months": ID_MIN_VALID_MONTHS, "limit": limit},
        )


# ---------------------------------------------------------------------------------------------
# R-V3 Phone numbers and distinct people
# ---------------------------------------------------------------------------------------------

# What a typed phone number may contain; letters (vanity numbers, "ext") are refused.
_PHONE_CHARS = re.compile(r"[0-9+\-() ]+")


def _parse_cn_phone(value: str) -> phonenumbers.PhoneNumber | None:
    """Parse a typed phone number as a valid Chinese mainland number, or ``None``."""
    text = unicodedata.normalize("NFKC", value).strip()
    text = _WHITESPACE.sub(" ", text)
    if not text or not _PHONE_CHARS.fullmatch(text):
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.extension or number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.region_code_for_number(number) != "CN":
        return None
    return number


def clean_mobile(value: str) -> str:
    """R-V3: a valid mainland mobile number, returned as its 11 national digits.

    Accepts ``+86 138 0013 8000``, ``13800138000``, ``86-13800138000`` and the like; the
    number must be of type MOBILE according to phonenumbers.
    """
    if not value or not value.strip():
        raise ValidationError(_("请填写11位中国大陆手机号码。"), code="required")
    number = _parse_cn_phone(value)
    if number is None or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise ValidationError(
            _(
                "“%(value)s”不是有效的中国大陆手机号码。请填写11位手机号码，例如13800138000；"
                "固定电话号码不能填在手机号码栏。"
            ),
            code="mobile_invalid",
            params={"value": value.strip()},
        )
    return str(number.national_number)


_FIXED_LINE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def clean_landline(value: str) -> str:
    """R-V3: a valid mainland fixed-line number, returned as ``0571-87654321`` (area code-number)."""
    if not value or not value.strip():
        raise ValidationError(_("请填写带区号的固定电话号码，例如0571-87654321。"), code="required")
    number = _parse_cn_phone(value)
    area_length = 0 if number is None else phonenumbers.length_of_geographical_area_code(number)
    if number is None or phonenumbers.number_type(number) not in _FIXED_LINE_TYPES or not area_length:
        raise ValidationError(
            _(
                "“%(value)s”不是有效的中国大陆固定电话号码。请填写“区号-号码”，例如0571-87654321，"
                "不要填写分机号；手机号码不能填在固定电话栏。"
            ),
            code="landline_invalid",
            params={"value": value.strip()},
        )
    national = str(number.national_number)
    return f"0{national[:area_length]}-{national[area_length:]}"


@dataclass
class Person:
    """A principal (负责人) as entered on the form."""

    name: str
    id_number: str
    mobile: str
    email: str


def _same_mobile(first: str, second: str) -> bool:
    def normal(mobile: str) -> str:
        try:
            return clean_mobile(mobile)
        except ValidationError:
            return _compact(mobile)

    return bool(first.strip()) and bool(second.strip()) and normal(first) == normal(second)


def _same_email(first: str, second: str) -> bool:
    return bool(first.strip()) and first.strip().casefold() == second.strip().casefold()


def check_people_distinct(
    *, entity_principal: Person, website_principals: list[Person], emergency_mobile: str
) -> dict[str, list[ValidationError]]:
    """R-V3: different people must not share contact details.

    A website principal who is a different person from the entity principal (another ID
    number) must have a different mobile and a different email; the emergency contact
    mobile must differ from every principal's mobile. Errors are keyed by field path:
    ``entity.emergency_mobile``, ``websites[<i>].principal.mobile``,
    ``websites[<i>].principal.email``. An empty dict means no conflict.
    """
    errors: dict[str, list[ValidationError]] = {}
    entity_id = _compact(entity_principal.id_number)
    for index, principal in enumerate(website_principals):
        website_id = _compact(principal.id_number)
        if not entity_id or not website_id or website_id == entity_id:
            continue
        if _same_mobile(principal.mobile, entity_principal.mobile):
            errors.setdefault(f"websites[{index}].principal.mobile", []).append(
                ValidationError(
                    _(
                        "网站负责人%(name)s与主体负责人%(entity_name)s不是同一人，手机号码不能相同。"
                        "请填写网站负责人本人的手机号码。"
                    ),
                    code="mobile_shared_with_entity_principal",
                    params={"name": principal.name, "entity_name": entity_principal.name},
                )
            )
        if _same_email(principal.email, entity_principal.email):
            errors.setdefault(f"websites[{index}].principal.email", []).append(
                ValidationError(
                    _(
                        "网站负责人%(name)s与主体负责人%(entity_name)s不是同一人，电子邮箱不能相同。"
                        "请填写网站负责人本人的电子邮箱。"
                    ),
                    code="email_shared_with_entity_principal",
                    params={"name": principal.name, "entity_name": entity_principal.name},
                )
            )
    seen_people: set[str] = set()
    for principal in [entity_principal, *website_principals]:
        key = _compact(principal.id_number) or f"{principal.name}|{principal.mobile}"
        if key in seen_people or not _same_mobile(emergency_mobile, principal.mobile):
            continue
        seen_people.add(key)
        errors.setdefault("entity.emergency_mobile", []).append(
            ValidationError(
                _(
                    "应急联系电话不能与负责人%(name)s的手机号码相同，"
                    "请填写另一位能及时联系到的人员的手机号码。"
                ),
                code="emergency_mobile_not_distinct",
                params={"name": principal.name},
            )
        )
    return errors


# ---------------------------------------------------------------------------------------------
# R-W1 Site address: a registered domain or a single public IP address
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteAddress:
    """A checked site address: ``kind`` is ``"domain"`` or ``"ip"``.

    ``value`` is the ASCII (punycode), lower-case form of a domain or the canonical text of an
    IP address; ``display`` is the Unicode form of an internationalised domain, else ``value``.
    """

    kind: str
    value: str
    display: str


@functools.cache
def _public_suffix_list() -> PublicSuffixList:
    """The bundled public suffix list, ICANN section only (built on first use, ~50 ms).

    The ICANN section is what registrars sell under: ``x.github.io`` is a subdomain of the
    registered domain ``github.io``, whose holder is the one who files.
    """
    return PublicSuffixList(only_icann=True)


# Under 政务 .gov.cn every name is its own registrable domain (gov.cn is a public suffix), and
# providers accept further levels there: "（.gov.cn后缀的域名允许二级域名备案）" (seed 002;
# icp-domain-reference §4.1, HW filing-rules.yml).
_GOVERNMENT_SUFFIX = "gov.cn"
_URL_MARKERS = re.compile(r"^[a-z][a-z0-9+.\-]*://|[/?#\\]")
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")
_TRAILING_DOTS = ".。．｡"


def _url_host(text: str) -> str | None:
    try:
        host = urlsplit(text if "://" in text else f"//{text}").hostname
    except ValueError:
        return None
    return host.rstrip(".") if host else None


def _refuse_url(text: str) -> ValidationError:
    host = _url_host(text)
    if host:
        return ValidationError(
            _("请只填写域名，例如“%(host)s”，不要包含“http://”“https://”、路径或端口号。"),
            code="domain_is_url",
            params={"host": host},
        )
    return ValidationError(
        _("请只填写域名（例如 example.com），不要包含“http://”“https://”、路径或端口号。"),
        code="domain_is_url",
    )


def _refuse_suffix(display: str) -> ValidationError:
    return ValidationError(
        _("“%(value)s”是公共后缀，不是可注册的域名，请填写您注册的完整域名，例如 example.%(value)s。"),
        code="domain_is_suffix",
        params={"value": display},
    )


def _clean_ip(text: str) -> SiteAddress | None:
    candidate = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if not address.is_global or address.is_multicast:
        raise ValidationError(
            _(
                "%(ip)s不是公网IP地址（内网、本机、保留或组播地址不能备案）。"
                "请填写服务器的独立公网IP地址，或改填域名。"
            ),
            code="ip_not_public",
            params={"ip": str(address)},
        )
    return SiteAddress(kind="ip", value=str(address), display=str(address))


def clean_site_address(value: str) -> SiteAddress:
    """R-W1: the website's registered domain, or a single public IP address.

    Whitespace, a trailing dot and upper case are normalised away. URLs are refused (enter
    the domain only). Domains are IDNA-encoded (IDNA 2008 with UTS #46 mapping, so full-width
    letters and the ideographic full stop 。 are accepted); the suffix must be on the public
    suffix list (offline, ICANN section); the input must not be a public suffix itself nor a
    subdomain of its registered domain, except under .gov.cn where government names of any
    level are accepted.
    """
    text = unicodedata.normalize("NFKC", value or "").strip().lower()
    if not text:
        raise ValidationError(_("请填写网站域名（例如 example.com）或独立公网IP地址。"), code="required")
    if _URL_MARKERS.search(text):
        raise _refuse_url(text)
    text = text.rstrip(_TRAILING_DOTS)
    ip_address = _clean_ip(text)
    if ip_address is not None:
        return ip_address
    if ":" in text:
        raise _refuse_url(text)
    if _DOTTED_NUMBERS.fullmatch(text):
        raise ValidationError(
            _("“%(value)s”不是有效的IPv4地址，请填写如 203.0.113.10 这样的四段数字（每段0至255）。"),
            code="ip_invalid",
            params={"value": text},
        )
    try:
        ascii_domain = idna.encode(text, uts46=True, std3_rules=True).decode("ascii")
        display = idna.decode(ascii_domain)
    except (idna.IDNAError, UnicodeError):
        raise ValidationError(
            _(
                "“%(value)s”不是有效的域名：每一段只能包含字母、数字、汉字和连字符，"
                "不能以连字符开头或结尾，也不能为空。请核对后重新填写。"
            ),
            code="domain_invalid",
            params={"value": text},
        ) from None
    psl = _public_suffix_list()
    suffix = psl.publicsuffix(ascii_domain, accept_unknown=False)
    if suffix == ascii_domain:
        raise _refuse_suffix(display)
    if "." not in ascii_domain:
        raise ValidationError(
            _("“%(value)s”不是完整的域名，请填写带后缀的域名，例如 example.com。"),
            code="domain_invalid",
            params={"value": display},
        )
    if suffix is None:
        raise ValidationError(
            _("域名后缀“.%(suffix)s”不是已知的顶级域名，请检查拼写，或使用工信部批准的域名后缀。"),
            code="domain_unknown_suffix",
            params={"suffix": idna.decode(ascii_domain.rsplit(".", 1)[-1])},
        )
    registered = psl.privatesuffix(ascii_domain, accept_unknown=False)
    if registered is None:  # a public suffix by a wildcard rule
        raise _refuse_suffix(display)
    if registered != ascii_domain and suffix != _GOVERNMENT_SUFFIX:
        raise ValidationError(
            _(
                "只能填写注册的一级域名，不能填写子域名“%(value)s”。请改填“%(registered_domain)s”，"
                "子域名不能单独备案。"
            ),
            code="domain_is_subdomain",
            params={"value": display, "registered_domain": idna.decode(registered)},
        )
    return SiteAddress(kind="domain", value=ascii_domain, display=display)


def registered_domain(value: str) -> str | None:
    """The registered domain (ASCII form) behind any host, subdomain or URL, or None.

    Lenient where ``clean_site_address`` is strict: a search box accepts
    ``https://www.例子.中国/path`` and answers ``xn--fsqu00a.xn--fiqs8s``. Under .gov.cn the
    name below the suffix is the registered one, as for filings.
    """
    text = unicodedata.normalize("NFKC", value or "").strip().lower()
    if _URL_MARKERS.search(text) or ":" in text:
        text = _url_host(text) or ""
    text = text.rstrip(_TRAILING_DOTS)
    if "." not in text or _DOTTED_NUMBERS.fullmatch(text):
        return None
    try:
        ascii_host = idna.encode(text, uts46=True, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    return _public_suffix_list().privatesuffix(ascii_host, accept_unknown=False)


# ---------------------------------------------------------------------------------------------
# R-W2 Website names
# ---------------------------------------------------------------------------------------------

# "三个或三个以上汉字" (TX-驳回, icp-domain-reference §4.5 "≥ 3 Chinese characters"); QC-name
# gives no count. Three is the stricter published rule: a shorter name would be returned by the
# reviewer anyway, so the applicant learns it at once instead of after a round trip.
WEBSITE_NAME_MIN_CHINESE = 3

# Sensitive words refused for everyone (icp-domain-reference §4.5; QC-name "敏感信息（如反腐、
# 赌博、廉政、色情等）"; TX-驳回).
SENSITIVE_WORDS: tuple[str, ...] = ("反腐", "赌博", "廉政", "色情")

# Prefixes ("字头") refused unless the entity is a national-level unit (icp-domain-reference
# §4.5; TX-驳回; QC-name adds 全国).
NATIONAL_PREFIXES: tuple[str, ...] = ("中国", "中华", "中央", "全国", "国家", "人民", "人大")

# Words individuals may not use (icp-domain-reference §4.5, QC-name personal rules, QC-limit).
INDIVIDUAL_BANNED_WORDS: tuple[str, ...] = (
    "博客",
    "论坛",
    "在线",
    "社区",
    "交流",
    "个人空间",
    "爱好者",
    "导航",
    "工作室",
    "平台",
    "热线",
    "社团",
    "网络",
    "网站",
    "网址",
    "主页",
    "资讯",
    "作品展示",
    # "国家职能性质的反腐、纪检、监察、信访，以及涉及公共利益的维权、投诉" (QC-name).
    "维权",
    "投诉",
    "反腐",
    "纪检",
    "监察",
    "信访",
    # "不得含有中国、中央、国家、中华、人大、人民等具有显著政治特征的词汇" anywhere in an
    # individual's name, not only as a prefix (QC-name personal rules).
    "中国",
    "中央",
    "国家",
    "中华",
    "人大",
    "人民",
)

_CHINESE_CHAR = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# A dotted token ("example.com", "例子.中国", "欢迎来到example.com"): a domain when its last label
# is a known public suffix.
_DOTTED_TOKEN = re.compile(r"[\w\-]+(?:[.。．｡][\w\-]+)+")
_NAME_ALLOWED_SYMBOLS = frozenset("·")  # the interpunct of transliterated foreign names


def _looks_like_domain(name: str) -> bool:
    psl = _public_suffix_list()
    for token in _DOTTED_TOKEN.findall(name.lower()):
        candidate = re.sub(r"[。．｡]", ".", token)
        try:
            candidate = idna.encode(candidate.rsplit(".", 1)[-1], uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            continue
        if psl.publicsuffix(candidate, accept_unknown=False) == candidate:
            return True
    return False


def clean_website_name(
    name: str, *, individual: bool, domain: str | None = None, national_unit: bool = False
) -> str:
    """R-W2: check a website name (网站名称) and return it stripped.

    Refused for everyone: a domain (or anything containing one), special symbols, fewer than
    3 Chinese characters (so pure digits or letters), sensitive words. Units that are not
    national-level may not start the name with 中国/中华/中央/全国/国家/人民/人大; individuals may
    not use the banned words of the reference (博客, 论坛, 平台, …), named in ``params``.
    """
    text = unicodedata.normalize("NFKC", name or "").strip()
    if not text:
        raise ValidationError(_("请填写网站名称，例如“某某公司官网”。"), code="required")
    folded = _WHITESPACE.sub("", text).lower()
    domain_forms: set[str] = set()
    if domain:
        domain_forms.add(domain.strip().rstrip(".").lower())
        with contextlib.suppress(idna.IDNAError, UnicodeError):
            domain_forms.add(idna.decode(domain.strip().rstrip(".").lower()))
    if _looks_like_domain(folded) or any(form and form in folded for form in domain_forms):
        raise ValidationError(
            _("网站名称不能是域名或包含域名，请用能概括网站内容的中文名称，例如“某某公司官网”。"),
            code="name_is_domain",
        )
    for char in text:
        if unicodedata.category(char)[0] in "PS" and char not in _NAME_ALLOWED_SYMBOLS:
            raise ValidationError(
                _("网站名称不能包含特殊符号“%(char)s”，请删除后只保留汉字、字母或数字。"),
                code="name_special_chars",
                params={"char": char},
            )
    chinese = len(_CHINESE_CHAR.findall(text))
    if chinese == 0:
        raise ValidationError(
            _("网站名称不能是纯数字或纯字母，请使用含至少%(min)s个汉字、能概括网站内容的名称。"),
            code="name_not_chinese",
            params={"min": WEBSITE_NAME_MIN_CHINESE},
        )
    if chinese < WEBSITE_NAME_MIN_CHINESE:
        raise ValidationError(
            _("网站名称至少需要%(min)s个汉字，请补充为能概括网站内容的名称。"),
            code="name_too_short",
            params={"min": WEBSITE_NAME_MIN_CHINESE},
        )
    for word in SENSITIVE_WORDS:
        if word in text:
            raise ValidationError(
                _("网站名称不能包含敏感词“%(word)s”，请修改网站名称。"),
                code="name_sensitive_word",
                params={"word": word},
            )
    if individual:
        for word in INDIVIDUAL_BANNED_WORDS:
            if word in text:
                raise ValidationError(
                    _(
                        "个人网站名称不能包含“%(word)s”，请删除该词，"
                        "改用能说明网站个人用途的名称（例如“张三的读书笔记”）。"
                    ),
                    code="name_banned_word",
                    params={"word": word},
                )
    elif not national_unit:
        for prefix in NATIONAL_PREFIXES:
            if text.startswith(prefix):
                raise ValidationError(
                    _(
                        "非国家级单位的网站名称不能以“%(prefix)s”开头，请修改名称；"
                        "如确属国家级单位，请选择相应单位性质并提交证明材料。"
                    ),
                    code="name_national_prefix",
                    params={"prefix": prefix},
                )
    return text


# ---------------------------------------------------------------------------------------------
# R-W3 Service content and pre-approvals (前置审批)
# ---------------------------------------------------------------------------------------------

SERVICE_CONTENT_CHOICES: list[tuple[str, object]] = [
    ("general_portal", _("综合门户")),
    ("unit_portal", _("单位门户")),
    ("news", _("新闻")),
    ("publishing", _("出版")),
    ("education", _("教育")),
    ("medicine", _("药品和医疗器械")),
    ("culture", _("文化")),
    ("audio_video", _("广播电影电视节目")),
    ("finance", _("金融")),
    ("ecommerce", _("电子商务")),
    ("search", _("搜索引擎")),
    ("bbs", _("论坛社区")),
    ("ride_hailing", _("网络预约出租汽车")),
    ("other", _("其他")),
]
_SERVICE_CONTENT_LABELS = dict(SERVICE_CONTENT_CHOICES)

# Service content that needs a pre-approval, and the document that proves it. Sources:
# icp-domain-reference §3.6 (TX-前置, 《互联网信息服务管理办法》第五条); notes mark what is inferred.
# Every catalogued pre-approval document by service-content code, whether in force or not.
# What applies on a date is ``pre_approvals_in_force(on=...)`` (the dated catalogue with its
# sources, icpfiling.core.pre_approvals): 教育 and 电子公告 are end-dated there, 网约车 added.
PRE_APPROVAL_REQUIRED: dict[str, str] = {p.code: p.document for p in CATALOGUE}


def check_service_content(
    *,
    codes: list[str],
    pre_approvals: dict[str, str],
    individual: bool,
    today: date | None = None,
    details: dict[str, dict] | None = None,
) -> dict[str, list[ValidationError]]:
    """R-W3: chosen service content and the pre-approval numbers it needs.

    At least one known code is required; individuals may only choose "other" (个人网站服务
    内容只能为“其他”, icp-domain-reference §4.5); each chosen code listed in
    ``PRE_APPROVAL_REQUIRED`` needs a non-empty approval number in ``pre_approvals[code]``.
    Errors are keyed ``service_content`` and ``pre_approvals.<code>``; empty dict when fine.
    """
    errors: dict[str, list[ValidationError]] = {}
    if not codes:
        errors["service_content"] = [
            ValidationError(
                _("请至少选择一项网站服务内容；不涉及所列内容时请选择“其他”。"),
                code="service_content_required",
            )
        ]
        return errors
    for code in dict.fromkeys(codes):
        if code not in _SERVICE_CONTENT_LABELS:
            errors.setdefault("service_content", []).append(
                ValidationError(
                    _("“%(code)s”不是可选的网站服务内容，请从列表中重新选择。"),
                    code="service_content_unknown",
                    params={"code": code},
                )
            )
            continue
        if individual and code != "other":
            errors.setdefault("service_content", []).append(
                ValidationError(
                    _(
                        "个人网站的服务内容只能选择“其他”，不能选择“%(content)s”。"
                        "如确需开办此类网站，请以单位性质备案。"
                    ),
                    code="service_content_not_for_individuals",
                    params={"content": _SERVICE_CONTENT_LABELS[code]},
                )
            )
            continue
        # the catalogue in force on the checked day (the local date unless given)
        on = today or timezone.localdate()
        required = pre_approvals_in_force(on=on)
        approval = required[code].document if code in required else None
        if approval and details is not None:
            _check_approval_details(errors, code, approval, (details or {}).get(code) or {}, on)
        if approval and not (pre_approvals.get(code) or "").strip():
            errors.setdefault(f"pre_approvals.{code}", []).append(
                ValidationError(
                    _(
                        "网站服务内容“%(content)s”需要前置审批，请填写《%(document)s》的审批号并上传"
                        "审批文件；如网站不涉及此内容，请取消选择。"
                    ),
                    code="pre_approval_required",
                    params={"content": _SERVICE_CONTENT_LABELS[code], "document": approval},
                )
            )
    return errors


def _check_approval_details(
    errors: dict[str, list[ValidationError]], code: str, document: str, detail: dict, today: date
) -> None:
    """R-W3: the approval's issuing authority and validity date are recorded; expired is refused."""
    if not str(detail.get("authority") or "").strip():
        errors.setdefault(f"pre_approvals.{code}.authority", []).append(
            ValidationError(
                _("请填写《%(document)s》的发证机关。"),
                code="pre_approval_authority",
                params={"document": document},
            )
        )
    raw = detail.get("valid_until")
    try:
        valid_until = date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        valid_until = None
    if valid_until is None:
        errors.setdefault(f"pre_approvals.{code}.valid_until", []).append(
            ValidationError(
                _("请填写《%(document)s》的有效期至（长期有效请填写证件上的日期或 2099-12-31）。"),
                code="pre_approval_validity",
                params={"document": document},
            )
        )
    elif valid_until < today:
        errors.setdefault(f"pre_approvals.{code}.valid_until", []).append(
            ValidationError(
                _("《%(document)s》已于 %(date)s 过期，请先向发证机关办理延续，取得有效的审批文件后再提交。"),
                code="pre_approval_expired",
                params={"document": document, "date": valid_until.isoformat()},
            )
        )


# ---------------------------------------------------------------------------------------------
# R-W4 Server validity, R-W5 domain real-name verification
# ---------------------------------------------------------------------------------------------


def check_server_validity(*, paid_until: date, today: date, min_days: int = 90) -> None:
    """R-W4: the server must have at least ``min_days`` days of paid validity left (seed 003)."""
    if paid_until < today:
        raise ValidationError(
            _("服务器已于%(paid_until)s到期，请先续费（剩余有效期至少%(min_days)s天）后再备案。"),
            code="server_expired",
            params={"paid_until": paid_until, "min_days": min_days},
        )
    days_left = (paid_until - today).days
    if days_left < min_days:
        raise ValidationError(
            _(
                "服务器剩余有效期只有%(days_left)s天，备案要求至少%(min_days)s天。"
                "请续费服务器后再提交，或选择其他有效期足够的服务器。"
            ),
            code="server_validity_short",
            params={"days_left": days_left, "min_days": min_days, "paid_until": paid_until},
        )


def check_domain_real_name(*, verified_on: date | None, today: date, min_days: int = 3) -> None:
    """R-W5: the domain's real-name verification must be at least ``min_days`` days old (seed 003)."""
    if verified_on is None:
        raise ValidationError(
            _(
                "请填写域名实名认证通过的日期（可在域名注册商的控制台查询）；尚未实名认证的域名请先完成实名认证。"
            ),
            code="real_name_date_required",
        )
    if verified_on > today:
        raise ValidationError(
            _("域名实名认证日期%(verified_on)s晚于今天，请核对后重新填写。"),
            code="real_name_date_future",
            params={"verified_on": verified_on},
        )
    if (today - verified_on).days < min_days:
        earliest = verified_on + timedelta(days=min_days)
        raise ValidationError(
            _(
                "域名实名认证信息需要约%(min_days)s天才能同步至工信部，请于%(earliest)s或之后再提交备案"
                "（实名认证日期：%(verified_on)s）。"
            ),
            code="real_name_too_recent",
            params={"earliest": earliest, "min_days": min_days, "verified_on": verified_on},
        )


def mobile_region(value: str) -> str:
    """The region a mainland mobile number was issued in, e.g. "浙江省杭州市" ('' if unknown).

    phonenumbers ships the number-prefix geocoding data offline.
    """
    from phonenumbers import geocoder

    try:
        number = phonenumbers.parse(clean_mobile(value), "CN")
    except (ValidationError, phonenumbers.NumberParseException):
        return ""
    return geocoder.description_for_number(number, "zh")
