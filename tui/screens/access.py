"""Who can assume each role from the internet: the core's access map, and the reverse question.

Every path CA -> trust anchor -> profile -> role with the certificate constraints the trust
policy enforces (``Session.access``); a subject typed in (``CN=app.prod,OU=payments``) answers
which roles that certificate can assume, through which profiles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState

from remediations.access import CertificateQuery, parse_dn
from tui.screens import rafix_app
from tui.widgets.detail import DetailPane, access_content

if TYPE_CHECKING:
    from tui.app import RafixApp


class AccessScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="access_back", tooltip="Back to the findings"),
        Binding(
            "slash",
            "ask",
            "Ask for a subject",
            id="access_ask",
            tooltip="Which roles can a certificate with this subject assume?",
        ),
    ]

    @property
    def rafix(self) -> RafixApp:
        return rafix_app(self)

    def compose(self) -> ComposeResult:
        yield Static(
            Content.assemble(
                ("Who can assume each role", "bold"),
                ("  CA → trust anchor → profile → role, with what the certificate must say", "dim"),
            ),
            id="access-title",
            markup=False,
        )
        yield Input(
            placeholder="which roles can this certificate assume?  CN=app.prod,OU=payments  "
            "(issuer: add ;CN=Issuing CA)",
            id="access-subject",
        )
        yield DetailPane(id="access-map")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DetailPane).show(Content("Working out every path…"))
        self.query_one(DetailPane).focus()
        self._map(None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="access-map", name="map")
    def _map(self, query: CertificateQuery | None) -> Content:
        from remediations.render_access import render_access

        result = self.rafix.scan_result
        inventory = result.inventory if result is not None else None
        access = self.rafix.session.access(query=query, inventory=inventory)
        return access_content(render_access(access, "table", width=max(self.size.width - 4, 60)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "access-map":
            return
        pane = self.query_one(DetailPane)
        if event.state == WorkerState.SUCCESS and event.worker.result is not None:
            pane.show(event.worker.result)
        elif event.state == WorkerState.ERROR:
            pane.show(
                Content.assemble(("Cannot work it out: ", "bold $error"), str(event.worker.error))
            )

    def action_ask(self) -> None:
        self.query_one("#access-subject", Input).focus()

    @on(Input.Submitted, "#access-subject")
    def _asked(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.query_one(DetailPane).show(Content("Working out every path…"))
            self._map(None)
            return
        subject_text, _, issuer_text = text.partition(";")
        try:
            query = CertificateQuery(
                subject=parse_dn(subject_text), issuer=parse_dn(issuer_text) if issuer_text else {}
            )
        except ValueError as exc:
            self.notify(f"Not a subject: {exc}", severity="error", markup=False)
            return
        self.query_one(DetailPane).show(Content(f"Which roles can {text} assume…"))
        self.query_one(DetailPane).focus()
        self._map(query)

    def action_back(self) -> None:
        self.dismiss(None)
