"""The onboarding wizard: one step per input, each checked as it is typed, then a review.

``OnboardWizard(session)`` reads the account through the session (in a thread worker) for its
defaults: the enabled trust anchors (the only one of a region is the default), the teams that
already have a profile, the issuer CN of the chosen anchor's CA. The review step shows the
plan's changes, diffs and API calls; accepting it dismisses the screen with the
:class:`~remediations.plan.Plan`, which the app sends through its usual preview, confirm, apply
and result screens. Escape goes back a step (and leaves the wizard from the first one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState

from remediations.model import Inventory
from remediations.onboarding import (
    Onboarding,
    OnboardRequest,
    anchor_issuer_cns,
    field_problem,
    split_list,
    teams_of_profiles,
)
from remediations.plan import Plan
from remediations.settings import Settings
from tui.widgets.diff_view import unified_content


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    title: str
    help: str
    optional: bool = False


STEPS: tuple[Step, ...] = (
    Step("workload", "Workload name", "Letters, digits, - and _; part of the role name."),
    Step("env", "Environment", "e.g. dev, stage, prod."),
    Step("team", "Team", "Workloads of one team share a profile per environment."),
    Step("trust_anchor_arn", "Trust anchor", "The enabled anchor whose CA issues the certificate."),
    Step("issuer_cn", "Issuer CN", "The issuing CA's CN, pinned in the trust policy."),
    Step("services", "AWS services", "IAM prefixes, comma-separated: s3, dynamodb, sqs."),
    Step(
        "resource_arns",
        "Resources (optional)",
        "ARNs to scope their services to, comma-separated; empty: every resource.",
        optional=True,
    ),
    Step(
        "managed_policy_arns",
        "Managed policies (optional)",
        "Managed policy ARNs to attach, comma-separated.",
        optional=True,
    ),
    Step(
        "spiffe_uri",
        "SPIFFE ID (optional)",
        "spiffe://trust-domain/path, pinned besides the subject; empty: none.",
        optional=True,
    ),
)
REVIEW = len(STEPS)


class OnboardWizard(Screen[Plan | None]):
    """Onboard a new workload; dismisses with the plan to apply, or None."""

    DEFAULT_CSS = """
    OnboardWizard { layout: vertical; }
    #wizard-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    #wizard-step { height: auto; padding: 1 2 0 2; }
    #wizard-prompt { text-style: bold; }
    #wizard-help, #wizard-hint { color: $text-muted; }
    #wizard-problem { color: $error; height: auto; }
    #wizard-input { margin: 1 0 0 0; }
    #wizard-review { height: 1fr; padding: 0 2; }
    #wizard-summary { height: auto; color: $text-muted; padding: 0 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="wizard_back", tooltip="The previous step"),
        Binding("ctrl+n", "next", "Next", id="wizard_next", tooltip="Check and go on"),
        Binding(
            "ctrl+y",
            "accept",
            "Accept plan",
            id="wizard_accept",
            tooltip="Send the plan to confirmation and apply",
        ),
    ]

    def __init__(self, session: Any) -> None:
        super().__init__()
        self.session = session
        self.step = 0
        self.values: dict[str, str] = {step.key: "" for step in STEPS}
        self.inventory: Inventory | None = None
        self.onboarding: Onboarding | None = None
        self.problem: str | None = None

    @property
    def settings(self) -> Settings:
        settings = getattr(self.session, "settings", None)
        return settings if isinstance(settings, Settings) else Settings()

    def compose(self) -> ComposeResult:
        yield Static("Onboard a new workload", id="wizard-title", markup=False)
        with Vertical(id="wizard-step"):
            yield Static("", id="wizard-prompt", markup=False)
            yield Static("", id="wizard-help", markup=False)
            yield Static("", id="wizard-hint", markup=False)
            yield Input(id="wizard-input")
            yield Static("", id="wizard-problem", markup=False)
        yield Static("", id="wizard-summary", markup=False)
        with VerticalScroll(id="wizard-review"):
            yield Static("", id="wizard-plan", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._show_step()
        self._load_account()

    # --- the account -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="wizard", name="account")
    def _load_account(self) -> Inventory:
        scanned = getattr(self.app, "scan_result", None)
        if scanned is not None and getattr(scanned, "inventory", None) is not None:
            inventory: Inventory = scanned.inventory
            return inventory
        load = getattr(self.session, "load", None)
        if callable(load):
            loaded: Inventory = load()
            return loaded
        result: Inventory = self.session.scan().inventory
        return result

    @work(thread=True, exclusive=True, exit_on_error=False, group="wizard", name="plan")
    def _plan(self, request: OnboardRequest, inventory: Inventory) -> Onboarding:
        # Through the facade, as `rafix onboard` plans: the request is checked, then planned
        # on the inventory the wizard already read.
        onboarding: Onboarding = self.session.onboard(request, inventory=inventory)
        return onboarding

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "wizard":
            return
        if event.state == WorkerState.SUCCESS:
            if event.worker.name == "account":
                self.inventory = event.worker.result
                self._show_step()
            else:
                self.onboarding = event.worker.result
                self._show_review()
        elif event.state == WorkerState.ERROR:
            what = "Cannot read the account" if event.worker.name == "account" else "Refused"
            self.problem = f"{what}: {event.worker.error}"
            self._show_review() if self.step == REVIEW else self._set_problem(self.problem)
        self.refresh_bindings()

    # --- defaults from the account ---------------------------------------------------------

    def candidates(self, key: str) -> list[str]:
        inventory = self.inventory
        if inventory is None:
            return []
        if key == "trust_anchor_arn":
            return sorted(a.arn for a in inventory.trust_anchors.values() if a.enabled)
        if key == "team":
            return teams_of_profiles(inventory, self.settings, self.values["env"])
        if key == "issuer_cn":
            anchor = inventory.trust_anchors.get(self.values["trust_anchor_arn"])
            return anchor_issuer_cns(anchor) if anchor else []
        return []

    def default(self, key: str) -> str:
        options = self.candidates(key)
        if key == "trust_anchor_arn" and self.inventory is not None:
            regions = {a.split(":")[3] for a in options}
            if len(options) == 1 or len(regions) == len(options) == 1:
                return options[0]
            return ""
        return options[0] if len(options) == 1 else ""

    def _hint(self, key: str) -> str:
        if self.inventory is None and key in ("trust_anchor_arn", "team", "issuer_cn"):
            return "reading the account…"
        options = self.candidates(key)
        if key == "trust_anchor_arn" and self.inventory is not None:
            names = {a.arn: a.name for a in self.inventory.trust_anchors.values()}
            return "\n".join(f"{names[a]}: {a}" for a in options) or "no enabled trust anchor"
        if key == "team" and options:
            return "teams with a profile: " + ", ".join(options)
        if key == "issuer_cn":
            return (
                f"from the anchor's CA: {', '.join(options)}"
                if options
                else "rafix cannot read this anchor's CA (ACM PCA?): type the issuing CA's CN"
            )
        return ""

    # --- steps -----------------------------------------------------------------------------

    def _show_step(self) -> None:
        review = self.step == REVIEW
        self.query_one("#wizard-step").display = not review
        self.query_one("#wizard-review").display = review
        if review:
            return
        step = STEPS[self.step]
        self.query_one("#wizard-prompt", Static).update(
            Content.assemble((f"Step {self.step + 1} of {len(STEPS) + 1}: ", "dim"), step.title)
        )
        self.query_one("#wizard-help", Static).update(step.help)
        self.query_one("#wizard-hint", Static).update(self._hint(step.key))
        box = self.query_one("#wizard-input", Input)
        value = self.values[step.key] or self.default(step.key)
        box.suggester = SuggestFromList(self.candidates(step.key), case_sensitive=False)
        box.value = value
        box.placeholder = "(optional)" if step.optional else step.title
        box.focus()
        self._set_problem(self._check(step, value) if value else None)
        self._summary()

    def _summary(self) -> None:
        given = [
            f"{s.title.split(' (')[0]}: {self.values[s.key]}" for s in STEPS if self.values[s.key]
        ]
        self.query_one("#wizard-summary", Static).update(" · ".join(given))

    def _check(self, step: Step, value: str) -> str | None:
        if not value.strip():
            return None if step.optional or step.key == "issuer_cn" else "a value is needed"
        problem = field_problem(step.key, value)
        if problem is None and step.key == "trust_anchor_arn" and self.inventory is not None:
            anchor = self.inventory.trust_anchors.get(value.strip())
            if anchor is None:
                problem = "not a trust anchor of this account"
            elif not anchor.enabled:
                problem = f"trust anchor {anchor.name} is disabled"
        return problem

    def _set_problem(self, problem: str | None) -> None:
        self.query_one("#wizard-problem", Static).update(problem or "")
        self.query_one("#wizard-input", Input).set_class(problem is not None, "-invalid")

    @on(Input.Changed, "#wizard-input")
    def _typed(self, event: Input.Changed) -> None:
        if self.step < REVIEW:
            self._set_problem(self._check(STEPS[self.step], event.value) if event.value else None)

    @on(Input.Submitted, "#wizard-input")
    def _submitted(self) -> None:
        self.action_next()

    def action_next(self) -> None:
        if self.step == REVIEW:
            return
        step = STEPS[self.step]
        value = self.query_one("#wizard-input", Input).value.strip()
        problem = self._check(step, value)
        if problem is not None:
            self._set_problem(problem)
            return
        if step.key == "trust_anchor_arn" and value != self.values[step.key]:
            self.values["issuer_cn"] = ""  # a new anchor: its own CA's CN is the default
        self.values[step.key] = value
        self.step += 1
        if self.step == REVIEW:
            self._start_review()
        self._show_step()
        self.refresh_bindings()

    def action_back(self) -> None:
        if self.step == 0:
            self.dismiss(None)
            return
        if self.step < REVIEW:
            self.values[STEPS[self.step].key] = self.query_one("#wizard-input", Input).value.strip()
        self.step -= 1
        self.onboarding = None
        self._show_step()
        self.refresh_bindings()

    def action_accept(self) -> None:
        if self.step == REVIEW and self.onboarding is not None and self.onboarding.plan.changes:
            self.dismiss(self.onboarding.plan)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "accept":
            return self.step == REVIEW and self.onboarding is not None
        if action == "next":
            return self.step < REVIEW
        return True

    # --- review ----------------------------------------------------------------------------

    def request(self) -> OnboardRequest:
        v = self.values
        return OnboardRequest(
            workload=v["workload"],
            env=v["env"],
            team=v["team"],
            trust_anchor_arn=v["trust_anchor_arn"],
            issuer_cn=v["issuer_cn"] or None,
            services=split_list(v["services"]),
            resource_arns=split_list(v["resource_arns"]),
            managed_policy_arns=split_list(v["managed_policy_arns"]),
            spiffe_uri=v["spiffe_uri"] or None,
        )

    def _start_review(self) -> None:
        self.onboarding = None
        self.problem = None
        self.query_one("#wizard-plan", Static).update(Content("Planning…"))
        if self.inventory is None:
            self.problem = "the account is still being read; go back and try again"
            self._show_review()
            return
        self._plan(self.request(), self.inventory)

    def _show_review(self) -> None:
        target = self.query_one("#wizard-plan", Static)
        if self.onboarding is None:
            target.update(
                Content.assemble(
                    ("Cannot plan this onboarding\n", "bold $error"),
                    self.problem or "",
                    ("\n\nescape: back to fix it", "dim"),
                )
            )
            return
        target.update(review_content(self.onboarding))


def review_content(onboarding: Onboarding) -> Content:
    """The review step: names, then each change with its summary, API calls and diff."""
    names = onboarding.names
    plan = onboarding.plan
    parts: list[Content] = [
        Content.styled(f"Step {REVIEW + 1} of {REVIEW + 1}: review\n", "bold"),
        Content.assemble(("role     ", "dim"), names.role_arn, "\n"),
        Content.assemble(("profile  ", "dim"), f"{names.profile_name} ({names.region})", "\n"),
        Content.assemble(
            ("subject  ", "dim"),
            f"CN={names.cn}" + (f", OU={names.ou}" if names.ou else ""),
            f" issued by {names.issuer_cn}",
            (f", SAN URI {names.spiffe_uri}" if names.spiffe_uri else ""),
            "\n",
        ),
        Content.assemble(("services ", "dim"), ", ".join(names.services), "\n\n"),
    ]
    if not plan.changes:
        parts.append(
            Content.styled(
                "Already onboarded: the account holds exactly this; nothing to apply.\n",
                "bold $success",
            )
        )
    for change in plan.changes:
        parts.append(
            Content.assemble(
                (f"{change.id} {change.resource_type} ", "bold $accent"), change.resource_arn, "\n"
            )
        )
        parts.append(Content(f"  {change.summary}\n"))
        parts.append(Content.styled("  API calls:\n", "bold"))
        parts += [Content(f"    {call.describe()}\n") for call in change.calls]
        parts.append(unified_content(change.text_diff.splitlines()))
        parts.append(Content("\n\n"))
    if plan.changes:
        parts.append(
            Content.styled("ctrl+y: accept (confirmation comes next) · escape: back", "bold")
        )
    return Content("").join(parts)


def client_config_content(onboarding: Onboarding, inventory: Inventory) -> Content:
    """What the workload's operator needs once the onboarding is applied: the certificate
    subject, the key and CSR command, and the ``~/.aws/config`` block (as ``rafix onboard``
    prints them), with the profile's real ARN read back from the account."""
    names = onboarding.names
    found = [
        p.arn
        for p in inventory.profiles.values()
        if p.region == names.region and p.name == names.profile_name
    ]
    config = onboarding.client_config(profile_arn=found[0] if len(found) == 1 else None)
    subject = config.subject + (f" (SAN URI {config.spiffe_uri})" if config.spiffe_uri else "")
    return Content("\n").join(
        [
            Content.styled("Give the workload's operator:", "bold $accent"),
            Content.assemble(("Certificate subject to request from the CA: ", "bold"), subject),
            Content.styled("Key and CSR (on the workload's host):", "bold"),
            Content(f"  {config.openssl_command}"),
            Content(f"Save the certificate the CA issues as {config.certificate_path}."),
            Content.styled("~/.aws/config:", "bold"),
            *(Content(f"  {line}") for line in config.aws_config.splitlines()),
        ]
    )
