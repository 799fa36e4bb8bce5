"""The app form: every field optional at form level (a draft keeps what was typed)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from filings.appchecks import CERTIFICATE_MAX_BYTES, MINI_PLATFORM_CHOICES, certificate_extract, split_lines
from filings.mobile.apk import ApkFacts, apk_extract, apk_max_bytes
from filings.models import PERSON_FIELDS, AppKind, AppPlatform, OrderApp
from icpfiling.core import validators as v
from icpfiling.registry.models import PersonalIdType

LANGUAGE_CHOICES = [
    ("zh-hans", _("中文简体")),
    ("zh-hant", _("中文繁体")),
    ("en", _("英语")),
    ("ug", _("维吾尔语")),
    ("bo", _("藏语")),
    ("mn", _("蒙古语")),
    ("other", _("其他语言")),
]
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The submit button that reads an uploaded APK and shows the form again, filled (works without JS).
EXTRACT_APK = "extract_apk"


class ApkInput(forms.FileInput):
    """A file input followed by its own submit button: read the APK, fill the fields, save nothing."""

    def render(self, name, value, attrs=None, renderer=None):
        return format_html(
            '{}<button type="submit" name="{}" value="1">{}</button>',
            super().render(name, value, attrs, renderer),
            EXTRACT_APK,
            _("读取 APK 并填写"),
        )


class AppForm(forms.ModelForm):
    """One app (R-AP2) or mini-program / quick app (R-AP3); per-platform fields for apps only."""

    service_content = forms.MultipleChoiceField(
        choices=v.SERVICE_CONTENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        label=_("服务内容"),
        required=False,
    )
    languages = forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES, widget=forms.CheckboxSelectMultiple, label=_("语言"), required=False
    )
    domains_text = forms.CharField(
        label=_("使用的域名"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        help_text=_("每行一个，最多到三级域名（如 api.example.com）；可以是已备案网站的域名。"),
    )
    sdks_text = forms.CharField(
        label=_("第三方SDK"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        help_text=_("每行一个，格式：提供方|类型，例如：腾讯|推送。没有则留空。"),
    )
    mini_platform = forms.ChoiceField(
        choices=[("", _("请选择")), *MINI_PLATFORM_CHOICES], label=_("所属平台"), required=False
    )
    principal_id_type = forms.ModelChoiceField(
        PersonalIdType.objects.all(), to_field_name="code", label=_("证件类型"), required=False
    )

    class Meta:
        model = OrderApp
        fields = [
            "name",
            "mini_platform",
            "mini_appid",
            "service_content",
            "languages",
            "principal_same_as_entity",
            *PERSON_FIELDS,
            "remarks",
        ]
        widgets = {"principal_id_valid_until": DATE_WIDGET, "remarks": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, kind: str = AppKind.APP, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        for f in self.fields.values():
            f.required = False
        if kind == AppKind.APP:
            self.fields.pop("mini_platform")
            self.fields.pop("mini_appid")
        inst = self.instance
        if inst.pk:
            self.initial["domains_text"] = "\n".join(inst.domains or [])
            self.initial["sdks_text"] = "\n".join(
                f"{s.get('provider', '')}|{s.get('kind', '')}" for s in inst.sdks or []
            )
            if inst.principal_id_type:
                self.initial["principal_id_type"] = inst.principal_id_type
        for code, approval in v.PRE_APPROVAL_REQUIRED.items():
            self.fields[f"pre_approval_{code}"] = forms.CharField(
                label=_("前置审批：%(a)s 文号") % {"a": approval}, max_length=100, required=False
            )
            self.initial[f"pre_approval_{code}"] = (inst.pre_approvals or {}).get(code, "")
        if kind == AppKind.APP:
            existing = {p.platform: p for p in inst.platforms.all()} if inst.pk else {}
            for code, label in AppPlatform.choices:
                have = existing.get(code)
                self.fields[f"{code}_package_name"] = forms.CharField(
                    label=_("%(p)s 包名 / Bundle ID") % {"p": label}, max_length=255, required=False
                )
                self.fields[f"{code}_public_key"] = forms.CharField(
                    label=_("%(p)s 签名证书公钥") % {"p": label},
                    widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
                    max_length=4000,
                    required=False,
                )
                self.fields[f"{code}_fingerprint"] = forms.CharField(
                    label=_("%(p)s 证书指纹") % {"p": label},
                    max_length=200,
                    required=False,
                    help_text={
                        AppPlatform.ANDROID: _("MD5，32 位十六进制，可带冒号"),
                        AppPlatform.IOS: _("SHA-1，40 位十六进制，可带冒号"),
                    }.get(code, _("SHA-256、SHA-1 或 MD5 十六进制")),
                )
                self.fields[f"{code}_certificate"] = forms.FileField(
                    label=_("%(p)s 签名证书文件（可选）") % {"p": label},
                    required=False,
                    help_text=_("上传 .pem/.cer/.der 证书，自动填写公钥和指纹；文件本身不保存。"),
                    widget=forms.ClearableFileInput(attrs={"accept": ".pem,.cer,.crt,.der"}),
                )
                if code == AppPlatform.ANDROID:
                    self.fields["android_apk"] = forms.FileField(
                        label=_("Android 安装包 APK（可选）"),
                        required=False,
                        help_text=_(
                            "上传 .apk（上限 %(n)s MB），点“读取 APK 并填写”"
                            "自动填写包名、签名公钥和 MD5 指纹；APK 本身不保存。"
                        )
                        % {"n": apk_max_bytes() // (1024 * 1024)},
                        widget=ApkInput(attrs={"accept": ".apk,application/vnd.android.package-archive"}),
                    )
                if have:
                    for f in ("package_name", "public_key", "fingerprint"):
                        self.initial[f"{code}_{f}"] = getattr(have, f)

    apk_facts: ApkFacts | None = None

    def _fill(self, data: dict, values: dict[str, str]) -> None:
        """Put extracted values in the cleaned data and in the bound data the page shows again."""
        self.data = self.data.copy()
        for name, value in values.items():
            data[name] = self.data[name] = value

    def clean(self):
        """Fill public key and fingerprint from an uploaded signing certificate (read, never kept)."""
        data = super().clean()
        apk = data.get("android_apk")
        if apk and data.get("android_certificate"):
            self.add_error("android_apk", _("请只上传 APK 或签名证书文件中的一个：两者都会填写公钥和指纹。"))
        elif apk:
            try:
                facts = apk_extract(apk, size=apk.size)
            except ValidationError as exc:
                self.add_error("android_apk", exc)
            else:
                self.apk_facts = facts
                self._fill(
                    data,
                    {
                        "android_package_name": facts.package_name,
                        "android_public_key": facts.public_key,
                        "android_fingerprint": facts.fingerprint,
                    },
                )
        for code in AppPlatform.values if self.kind == AppKind.APP else ():
            upload = data.get(f"{code}_certificate")
            if not upload:
                continue
            try:
                if upload.size > CERTIFICATE_MAX_BYTES:
                    raise forms.ValidationError(
                        _("证书文件过大（上限 %(n)d KB），请上传签名证书本身（.pem、.cer 或 .der）。"),
                        params={"n": CERTIFICATE_MAX_BYTES // 1024},
                    )
                key, fingerprint = certificate_extract(upload.read(CERTIFICATE_MAX_BYTES + 1), platform=code)
            except forms.ValidationError as exc:
                self.add_error(f"{code}_certificate", exc)
                continue
            self._fill(data, {f"{code}_public_key": key, f"{code}_fingerprint": fingerprint})
        return data

    def clean_principal_id_type(self):
        t = self.cleaned_data.get("principal_id_type")
        return t.code if t else "resident_id"

    def fieldsets(self) -> list[dict]:
        person = [self[n] for n in PERSON_FIELDS]
        groups = [
            (
                _("基本信息"),
                [self[n] for n in ("name", "mini_platform", "mini_appid", "languages") if n in self.fields],
            ),
            (
                _("服务内容"),
                [self["service_content"]] + [self[n] for n in self.fields if n.startswith("pre_approval_")],
            ),
            (_("域名与第三方SDK"), [self["domains_text"], self["sdks_text"]]),
        ]
        if self.kind == AppKind.APP:
            for code, label in AppPlatform.choices:
                groups.append(
                    (
                        label,
                        [
                            self[f"{code}_{f}"]
                            for f in ("package_name", "apk", "certificate", "public_key", "fingerprint")
                            if f"{code}_{f}" in self.fields
                        ],
                    )
                )
        groups.append((_("负责人"), [self["principal_same_as_entity"], *person]))
        groups.append(("", [self["remarks"]]))
        return [{"legend": legend, "fields": fields, "collapsed": False} for legend, fields in groups]

    def values(self) -> dict:
        cd = self.cleaned_data
        data = {k: cd.get(k) for k in self.Meta.fields if k in cd}
        data["pre_approvals"] = {
            code: cd.get(f"pre_approval_{code}", "").strip()
            for code in v.PRE_APPROVAL_REQUIRED
            if cd.get(f"pre_approval_{code}", "").strip()
        }
        data["domains"] = [d.lower() for d in split_lines(cd.get("domains_text", ""))]
        sdks = []
        for line in (cd.get("sdks_text") or "").splitlines():
            if line.strip():
                provider, _sep, kind = line.partition("|")
                sdks.append({"provider": provider.strip()[:100], "kind": kind.strip()[:100]})
        data["sdks"] = sdks
        data["kind"] = self.kind
        return {
            k: ("" if val is None and k != "principal_id_valid_until" else val) for k, val in data.items()
        }

    def platform_values(self) -> dict[str, dict[str, str]]:
        if self.kind != AppKind.APP:
            return {}
        cd = self.cleaned_data
        return {
            code: {f: cd.get(f"{code}_{f}", "") for f in ("package_name", "public_key", "fingerprint")}
            for code in AppPlatform.values
        }

    @staticmethod
    def field_name(name: str) -> str:
        """The form field showing an ``apps[i].<name>`` key (validation errors, return reasons)."""
        if name.startswith("pre_approvals."):
            return "pre_approval_" + name.split(".", 1)[1]
        if name.startswith("platforms."):
            return name[len("platforms.") :].replace(".", "_", 1)
        if name in {"domains", "sdks"}:
            return name + "_text"
        return name

    def attach(self, errors: dict[str, list[str]], prefix: str) -> int:
        """Show the order-validation errors of this app beside its fields."""
        n = 0
        for key, msgs in errors.items():
            if not key.startswith(prefix):
                continue
            name = self.field_name(key[len(prefix) :])
            for m in msgs:
                self.add_error(name if name in self.fields else None, m)
                n += 1
        return n
