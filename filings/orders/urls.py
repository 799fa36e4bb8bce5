from django.urls import path

from filings.materials import views as mv
from filings.orders import views

app_name = "filings"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("new/", views.order_new, name="order_new"),
    path("filed/", views.filed_info, name="filed_info"),
    path("<int:order_id>/", views.order_detail, name="order_detail"),
    path("<int:order_id>/entity/", views.order_entity, name="order_entity"),
    path("<int:order_id>/websites/", views.order_websites, name="order_websites"),
    path("<int:order_id>/websites/new/", views.order_website_edit, name="order_website_new"),
    path("<int:order_id>/websites/<int:website_id>/", views.order_website_edit, name="order_website_edit"),
    path(
        "<int:order_id>/websites/<int:website_id>/delete/",
        views.order_website_delete,
        name="order_website_delete",
    ),
    path("<int:order_id>/preview/", views.order_preview, name="order_preview"),
    path("<int:order_id>/withdraw/", views.order_withdraw, name="order_withdraw"),
    path("<int:order_id>/abandon/", views.order_abandon, name="order_abandon"),
    path("<int:order_id>/materials/", mv.materials_page, name="materials"),
    path("<int:order_id>/materials/upload/", mv.material_upload, name="material_upload"),
    path("<int:order_id>/materials/status/", mv.material_status, name="material_status"),
    path("<int:order_id>/materials/<int:file_id>/", mv.material_file, name="material_file"),
    path("<int:order_id>/materials/<int:file_id>/delete/", mv.material_delete, name="material_delete"),
    path("<int:order_id>/sheet.pdf", mv.verification_sheet, name="verification_sheet"),
    path("<int:order_id>/phone-link/", mv.phone_link_create, name="phone_link_create"),
    path("<int:order_id>/phone-link/revoke/", mv.phone_link_revoke, name="phone_link_revoke"),
    path("<int:order_id>/phone-link/claim/", mv.phone_link_claim, name="phone_link_claim"),
]

# The phone's pages live outside /orders/ (no login); see icpfiling/urls/tenant.py.
phone_urlpatterns = [
    path("", mv.phone_start, name="phone_start"),
    path("<str:token>/", mv.phone_page, name="phone_page"),
]
