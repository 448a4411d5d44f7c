"""The benchmark's ceiling: a view that does nothing, behind the same middleware as every
page. Routed only when BENCH_ENDPOINTS is on (bench/run sets it); production never has it."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def noop(request):
    return HttpResponse(b"ok", content_type="text/plain")
