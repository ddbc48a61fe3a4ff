from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard.presenters import overview_context


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/home.html", overview_context(request.GET.get("cluster", "default")))
