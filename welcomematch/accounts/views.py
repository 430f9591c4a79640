"""The audit trail for administrators: view, filter, export as CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from welcomematch.accounts import selectors
from welcomematch.accounts.audit_labels import audit_action_label
from welcomematch.accounts.forms import AuditFilterForm
from welcomematch.accounts.models import Role
from welcomematch.accounts.permissions import role_required
from welcomematch.accounts.services import audit_event_record
from welcomematch.core.spreadsheet import csv_cell

ADMINISTRATORS = frozenset({Role.ADMINISTRATOR})
PAGE_SIZE = 50
#: ``what`` is the action's code (stable, for scripts); ``what_in_words`` its label in the
#: language of the page the export was started from.
CSV_HEADER = (
    "when",
    "who",
    "what",
    "record_type",
    "record_id",
    "from_where",
    "details",
    "what_in_words",
)


def _events(request: HttpRequest) -> tuple[AuditFilterForm, Any]:
    form = AuditFilterForm(request.GET)
    events = selectors.audit_events_filtered(
        events=selectors.audit_events_visible(user=request.user), **form.filters()
    )
    return form, events


@require_GET
@role_required(ADMINISTRATORS)
def audit_list(request: HttpRequest) -> HttpResponse:
    form, events = _events(request)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_list.html", {"form": form, "page": page})


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@role_required(ADMINISTRATORS)
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    form, events = _events(request)
    audit_event_record(
        actor=request.user,  # type: ignore[arg-type]
        action="audit.exported",
        object_type="accounts.auditevent",
        object_id="",
        data={"filters": {k: str(v) for k, v in form.filters().items()}},
        programme_id=getattr(request.user, "programme_id", None),
    )
    writer = csv.writer(_Echo())
    language = translation.get_language()

    def rows() -> Iterator[str]:
        # Streamed after the view returns: the labels in the language of the request.
        with translation.override(language):
            yield writer.writerow(CSV_HEADER)
            for event in events.iterator(chunk_size=2000):
                yield writer.writerow(
                    [
                        csv_cell(str(cell))
                        for cell in (
                            event.created_at.isoformat(),
                            event.actor.username if event.actor else "",
                            event.action,
                            event.object_type,
                            event.object_id,
                            event.ip_address or "",
                            _json(event.data),
                            audit_action_label(event.action),
                        )
                    ]
                )

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    return response


def _json(data: Any) -> str:
    import json

    return json.dumps(data, ensure_ascii=False, sort_keys=True)
