from django.urls import path

from icpfiling.publicquery import views

app_name = "query"
urlpatterns = [
    path("", views.search, name="search"),
    path("api/", views.search_json, name="api"),
    path("entity/<str:number>/", views.entity, name="entity"),
]
