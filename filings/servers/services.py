"""Writes for the provider's server inventory (R-M5, R-W4): one by one, assignment, CSV import.

The CSV import is the standard library's ``csv`` reader plus bulk writes: a file is checked
completely first (every bad row named with its line number and field), and only a file without
a single bad row is written, in one transaction (all-or-nothing). Rows are matched on the
instance id, so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
import ipaddress
from dataclasses import dataclass, field
from datetime import date

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from filings.models import Server
from filings.servers import selectors
from icpfiling.accounts.models import Membership, Role, User
from icpfiling.core.text import clause_join, list_join
from icpfiling.tenancy.models import Provider
from icpfiling.tenancy.storage import tenant_file_name, tenant_of_file_name

MAX_CAPACITY = 5  # R-W4: one server carries at most 5 websites
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ROWS = 20_000
IMPORT_SALT = "filings.servers.import"
IMPORT_TOKEN_MAX_AGE = 3600
INSTANCE_ID_MAX = 64

# Column -> accepted header spellings (English keys as in the template, or the Chinese labels).
COLUMNS = {
    "instance_id": ("instance_id", "实例id", "实例 id"),
    "name": ("name", "名称"),
    "public_ips": ("public_ips", "公网ip", "公网 ip"),
    "region": ("region", "地域", "地域 / 机房", "地域/机房"),
    "owner_email": ("owner_email", "所属账户", "所属账户邮箱"),
    "paid_until": ("paid_until", "到期日", "付费到期日"),
    "capacity": ("capacity", "可备案网站数"),
}
REQUIRED_COLUMNS = ("instance_id", "public_ips", "paid_until")
TEMPLATE_HEADER = list(COLUMNS)
UPDATED_FIELDS = ["label", "ip_address", "additional_ips", "region", "owner", "paid_until", "capacity"]


def _require_admin(actor: User, tenant: Provider) -> None:
    m = Membership.objects.filter(user=actor, tenant=tenant).first()
    if not (actor.is_active and m and m.role == Role.PROVIDER_ADMIN):
        raise PermissionDenied


def parse_ips(text: str) -> list[str]:
    """``"1.2.3.4; 5.6.7.8"`` -> normalised addresses; ValidationError naming the bad one."""
    parts = [p for p in text.replace(",", " ").replace(";", " ").replace("，", " ").split() if p]
    if not parts:
        raise ValidationError(_("请填写至少一个公网 IP。"))
    out = []
    for p in parts:
        try:
            out.append(str(ipaddress.ip_address(p)))
        except ValueError:
            raise ValidationError(_("“%(ip)s”不是有效的 IP 地址。") % {"ip": p}) from None
    if len(set(out)) != len(out):
        raise ValidationError(_("同一个 IP 填写了两次。"))
    return out


def _check_owner(*, tenant: Provider, owner: User | None) -> None:
    if owner is not None and not (
        owner.provider_id == tenant.pk
        and Membership.objects.filter(user=owner, tenant=tenant, role=Role.APPLICANT).exists()
    ):
        raise ValidationError({"owner_email": _("该邮箱不是本接入商的申请人账户，请先请对方注册。")})


@transaction.atomic
def server_save(
    *,
    actor: User,
    tenant: Provider,
    server: Server | None,
    instance_id: str,
    label: str,
    public_ips: list[str],
    region: str,
    owner: User | None,
    paid_until: date,
    capacity: int,
) -> Server:
    """Create (``server`` None) or edit one server. Errors name the field."""
    _require_admin(actor, tenant)
    _check_owner(tenant=tenant, owner=owner)
    instance_id = instance_id.strip()
    errors: dict[str, list[str]] = {}
    if not instance_id:
        errors.setdefault("instance_id", []).append(_("请填写实例 ID。"))
    clash = Server.objects.filter(tenant=tenant, instance_id=instance_id).exclude(
        pk=server.pk if server else None
    )
    if instance_id and clash.exists():
        errors.setdefault("instance_id", []).append(_("实例 ID 已被另一台服务器使用。"))
    ip_clash = Server.objects.filter(tenant=tenant, ip_address=public_ips[0]).exclude(
        pk=server.pk if server else None
    )
    if ip_clash.exists():
        errors.setdefault("public_ips", []).append(
            _("公网 IP %(ip)s 已属于另一台服务器。") % {"ip": public_ips[0]}
        )
    if not 1 <= capacity <= MAX_CAPACITY:
        errors.setdefault("capacity", []).append(_("可备案网站数须在 1 到 5 之间。"))
    if errors:
        raise ValidationError(errors)
    s = server or Server(tenant=tenant)
    s.instance_id, s.label, s.region = instance_id, label.strip() or instance_id, region.strip()
    s.ip_address, s.additional_ips = public_ips[0], public_ips[1:]
    s.owner, s.paid_until, s.capacity = owner, paid_until, capacity
    try:
        with transaction.atomic():
            s.save()
    except IntegrityError:
        # A concurrent save took the instance id or IP first; the constraints decided.
        raise ValidationError(
            {"instance_id": _("实例 ID 或公网 IP 刚被另一台服务器使用，请刷新后重试。")}
        ) from None
    return s


@transaction.atomic
def server_assign(*, actor: User, tenant: Provider, server: Server, owner_email: str) -> Server:
    """Assign a server to an applicant's account (empty email: back to unassigned)."""
    _require_admin(actor, tenant)
    owner = None
    if owner_email.strip():
        owner = selectors.applicant_find_by_email(tenant=tenant, email=owner_email)
        if owner is None:
            raise ValidationError(
                {"owner_email": _("本接入商没有使用该邮箱的申请人账户，请确认邮箱，或请对方先注册。")}
            )
    Server.objects.filter(pk=server.pk, tenant=tenant).update(owner=owner)
    server.owner = owner
    return server


# ---------------------------------------------------------------------------------------------
# CSV import
# ---------------------------------------------------------------------------------------------


@dataclass
class ImportRow:
    line: int
    instance_id: str
    label: str
    ips: list[str]
    region: str
    owner_id: int | None
    owner_email: str
    paid_until: date
    capacity: int
    action: str = "create"  # create | update | unchanged


@dataclass
class ImportCheck:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message); line 0 = the file

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


def _header_map(header: list[str]) -> tuple[dict[str, int], list[str]]:
    names = {spelling: key for key, spellings in COLUMNS.items() for spelling in spellings}
    found: dict[str, int] = {}
    unknown = []
    for i, h in enumerate(header):
        key = names.get(h.strip().lower())
        if key is None:
            if h.strip():
                unknown.append(h.strip())
        else:
            found[key] = i
    return found, unknown


def server_import_check(*, tenant: Provider, data: bytes) -> ImportCheck:
    """Read a CSV file and name every problem; writes nothing."""
    result = ImportCheck()
    if len(data) > IMPORT_MAX_BYTES:
        result.errors.append((0, _("文件超过 5 MB，请分成几个文件导入。")))
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append((0, _("文件不是 UTF-8 编码。请在表格软件中另存为“CSV UTF-8”后重新上传。")))
        return result
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error:
        header = None
    if not header:
        result.errors.append((0, _("文件是空的，第一行应为列名（可下载模板参考）。")))
        return result
    cols, unknown = _header_map(header)
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing or unknown:
        msg = _("列名不正确：")
        if missing:
            msg += _("缺少 %(cols)s。") % {"cols": list_join(missing)}
        if unknown:
            msg += _("无法识别 %(cols)s。") % {"cols": list_join(unknown)}
        result.errors.append((0, msg + _("请按模板的列名填写。")))
        return result

    by_instance, ip_holder = selectors.server_keys(tenant=tenant)
    raw_rows: list[tuple[int, dict[str, str]]] = []
    try:
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            if len(raw_rows) >= IMPORT_MAX_ROWS:
                result.errors.append(
                    (0, _("一次最多导入 %(n)s 行，请分成几个文件。") % {"n": IMPORT_MAX_ROWS})
                )
                return result
            values = {k: (row[i].strip() if i < len(row) else "") for k, i in cols.items()}
            raw_rows.append((reader.line_num, values))
    except csv.Error as exc:
        result.errors.append((reader.line_num, _("CSV 格式错误：%(e)s") % {"e": exc}))
        return result
    if not raw_rows:
        result.errors.append((0, _("文件里没有服务器行。")))
        return result

    emails = {v["owner_email"].lower() for _n, v in raw_rows if v.get("owner_email")}
    owners = selectors.applicant_ids_by_email(tenant=tenant, emails=emails) if emails else {}
    seen_instance: dict[str, int] = {}
    seen_ip: dict[str, int] = {}
    for line, v in raw_rows:
        problems: list[str] = []
        instance_id = v["instance_id"]
        if not instance_id:
            problems.append(_("实例 ID 为空"))
        elif len(instance_id) > INSTANCE_ID_MAX:
            problems.append(_("实例 ID 超过 64 个字符"))
        elif instance_id in seen_instance:
            problems.append(
                _("实例 ID %(id)s 与第 %(n)s 行重复") % {"id": instance_id, "n": seen_instance[instance_id]}
            )
        else:
            seen_instance[instance_id] = line
        ips: list[str] = []
        try:
            ips = parse_ips(v["public_ips"])
        except ValidationError as exc:
            problems.append(_("公网 IP：%(e)s") % {"e": exc.messages[0]})
        if ips:
            primary = ips[0]
            holder = ip_holder.get(primary)
            if holder is not None and holder != instance_id:
                problems.append(_("公网 IP %(ip)s 已属于另一台服务器") % {"ip": primary})
            elif primary in seen_ip:
                problems.append(
                    _("公网 IP %(ip)s 与第 %(n)s 行重复") % {"ip": primary, "n": seen_ip[primary]}
                )
            else:
                seen_ip[primary] = line
        paid_until = None
        try:
            paid_until = date.fromisoformat(v["paid_until"])
        except ValueError:
            problems.append(
                _("到期日“%(d)s”不是 YYYY-MM-DD 格式的日期") % {"d": v["paid_until"]}
                if v["paid_until"]
                else _("到期日为空")
            )
        capacity = MAX_CAPACITY
        if v.get("capacity"):
            try:
                capacity = int(v["capacity"])
            except ValueError:
                capacity = 0
            if not 1 <= capacity <= MAX_CAPACITY:
                problems.append(_("可备案网站数“%(c)s”须为 1 到 5 的整数") % {"c": v["capacity"]})
        owner_email = v.get("owner_email", "")
        owner_id = None
        if owner_email:
            owner_id = owners.get(owner_email.lower())
            if owner_id is None:
                problems.append(_("所属账户 %(e)s 不是本接入商的申请人") % {"e": owner_email})
        label = v.get("name", "") or instance_id
        if len(label) > 100:
            problems.append(_("名称超过 100 个字符"))
        region = v.get("region", "")
        if len(region) > 100:
            problems.append(_("地域超过 100 个字符"))
        if problems:
            result.errors.append((line, clause_join(problems)))
            continue
        row = ImportRow(line, instance_id, label, ips, region, owner_id, owner_email, paid_until, capacity)
        old = by_instance.get(instance_id)
        if old is not None:
            same = (
                old.label == label
                and old.ip_address == ips[0]
                and list(old.additional_ips) == ips[1:]
                and old.region == region
                and old.owner_id == owner_id
                and old.paid_until == paid_until
                and old.capacity == capacity
            )
            row.action = "unchanged" if same else "update"
        result.rows.append(row)
    return result


def server_import_stage(*, actor: User, tenant: Provider, data: bytes) -> tuple[ImportCheck, str | None]:
    """Check a file for the preview; a clean file is kept and a signed token returned for confirm."""
    _require_admin(actor, tenant)
    check = server_import_check(tenant=tenant, data=data)
    if not check.ok:
        return check, None
    name = storages["default"].save(
        tenant_file_name(tenant_id=tenant.pk, kind="server_import", extension="csv"), ContentFile(data)
    )
    token = signing.dumps({"n": name, "t": tenant.pk, "u": actor.pk}, salt=IMPORT_SALT)
    return check, token


def _staged_file(*, actor: User, tenant: Provider, token: str) -> str:
    try:
        data = signing.loads(token, salt=IMPORT_SALT, max_age=IMPORT_TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise ValidationError({"token": _("预览已过期，请重新上传文件。")}) from None
    name = data.get("n", "")
    if data.get("t") != tenant.pk or data.get("u") != actor.pk or tenant_of_file_name(name) != tenant.pk:
        raise ValidationError({"token": _("预览已过期，请重新上传文件。")})
    if not storages["default"].exists(name):
        raise ValidationError({"token": _("预览已过期，请重新上传文件。")})
    return name


@transaction.atomic
def server_import_apply(*, actor: User, tenant: Provider, token: str) -> dict[str, int]:
    """Write a previewed file: everything or nothing. The file is checked again (it may have
    gone stale since the preview); any bad row now refuses the whole file."""
    _require_admin(actor, tenant)
    name = _staged_file(actor=actor, tenant=tenant, token=token)
    with storages["default"].open(name, "rb") as fh:
        data = fh.read()
    check = server_import_check(tenant=tenant, data=data)
    if not check.ok:
        raise ValidationError(
            [_("第 %(n)s 行：%(e)s") % {"n": line, "e": msg} if line else msg for line, msg in check.errors]
        )
    by_instance, _ips = selectors.server_keys(tenant=tenant)
    new, changed = [], []
    for r in check.rows:
        if r.action == "unchanged":
            continue
        s = by_instance.get(r.instance_id) or Server(tenant=tenant, instance_id=r.instance_id)
        s.label, s.ip_address, s.additional_ips, s.region = r.label, r.ips[0], r.ips[1:], r.region
        s.owner_id, s.paid_until, s.capacity = r.owner_id, r.paid_until, r.capacity
        (changed if s.pk else new).append(s)
    try:
        with transaction.atomic():
            Server.objects.bulk_update(changed, UPDATED_FIELDS, batch_size=1000)
            Server.objects.bulk_create(new, batch_size=1000)
    except IntegrityError:
        # Another import or edit took an instance id or IP between the check and now.
        raise ValidationError(
            _("导入期间服务器清单被修改（实例 ID 或 IP 冲突），未导入任何行。请重新上传。")
        ) from None
    transaction.on_commit(lambda: storages["default"].delete(name))
    return {"created": len(new), "updated": len(changed), "unchanged": check.count("unchanged")}
