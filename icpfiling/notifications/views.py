"""The in-app inbox (R-B2): a user's own messages, newest first; opening the page marks nothing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from icpfiling.notifications import selectors, services


@login_required
def inbox_list(request: HttpRequest) -> HttpResponse:
    messages = selectors.inbox_list(user_id=request.user.pk, tenant=request.tenant)[:100]
    return render(request, "notifications/inbox.html", {"inbox_messages": messages})


@login_required
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    services.inbox_mark_read(user_id=request.user.pk)
    return redirect("inbox:list")
