from django.urls import path

from filings import views

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
]
