"""The provider's extra materials (seed 001: 信息安全协议): the admin's page and the template."""

from django.urls import path

from filings.provider_documents import views

urlpatterns = [
    path("", views.document_list, name="list"),
    path("<int:document_id>/", views.document_edit, name="edit"),
    path("<int:document_id>/toggle/", views.document_toggle, name="toggle"),
    path("<int:document_id>/template/", views.template_download, name="template"),
]
