from django.urls import path

from filings.servers import views

urlpatterns = [
    path("", views.server_list, name="list"),
    path("new/", views.server_edit, name="new"),
    path("<int:server_id>/", views.server_edit, name="edit"),
    path("<int:server_id>/assign/", views.server_assign, name="assign"),
    path("import/", views.server_import, name="import"),
    path("import/template.csv", views.server_import_template, name="import_template"),
]
