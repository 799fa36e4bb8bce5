"""The provider admin's page of extra materials, and the template download for everyone."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from filings.provider_documents import selectors, services
from filings.provider_documents.forms import ProviderDocumentForm
from icpfiling.accounts.decorators import provider_admin_required, provider_role_required
from icpfiling.accounts.models import Role


def _form_errors(form: ProviderDocumentForm, exc: ValidationError) -> None:
    for field, msgs in exc.message_dict.items():
        for m in msgs:
            form.add_error(field if field in form.fields else None, m)


def _save(request: HttpRequest, form: ProviderDocumentForm, document=None):
    data = form.cleaned_data
    return services.provider_document_save(
        actor=request.user,
        tenant=request.tenant,
        document=document,
        name=data["name"],
        description=data["description"],
        copies=data["copies"],
        applies_to=data["applies_to"],
        template=data.get("template"),
    )


@provider_admin_required
def document_list(request: HttpRequest) -> HttpResponse:
    form = ProviderDocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            document = _save(request, form)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已添加材料“%(n)s”。") % {"n": document.name})
            return redirect("provider_docs:list")
    documents = selectors.provider_document_list(tenant=request.tenant)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "filings/provider_documents/list.html", {"form": form, "documents": documents}, status=status
    )


@provider_admin_required
def document_edit(request: HttpRequest, document_id: int) -> HttpResponse:
    document = selectors.access_provider_document_by_id(
        tenant=request.tenant, document_id=document_id, actor=request.user
    )
    initial = {
        "name": document.name,
        "description": document.description,
        "copies": document.copies,
        "applies_to": document.applies_to,
    }
    form = ProviderDocumentForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, form, document)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("provider_docs:list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "filings/provider_documents/edit.html",
        {"form": form, "document": document},
        status=status,
    )


@provider_admin_required
@require_POST
def document_toggle(request: HttpRequest, document_id: int) -> HttpResponse:
    document = selectors.access_provider_document_by_id(
        tenant=request.tenant, document_id=document_id, actor=request.user
    )
    services.provider_document_set_active(actor=request.user, document=document, active=not document.active)
    return redirect("provider_docs:list")


@provider_role_required(*Role.values)
def template_download(request: HttpRequest, document_id: int) -> HttpResponse:
    document = selectors.access_provider_document_by_id(
        tenant=request.tenant, document_id=document_id, actor=request.user
    )
    if not document.template_name:
        raise Http404
    return FileResponse(
        services.provider_document_template(document=document),
        as_attachment=True,
        filename=document.template_original_name or f"{document.name}.pdf",
        content_type="application/pdf",
    )
