from django.urls import path

from . import views

app_name = "comments"

urlpatterns = [
    path("form/<int:article_id>/", views.comment_form, name="form"),
    path("post/<int:article_id>/", views.post_comment, name="post"),
    path("<int:comment_id>/flag/", views.flag_comment, name="flag"),
]
