"""What every check sees: the inventory, the settings and shared, lazily computed indexes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from functools import cached_property
from typing import Any

from remediations.iam.doc_facts import DocFactsMemo, PrivilegeShapes, shared_role_privilege
from remediations.iam.permissions import Memo, RolePrivilege
from remediations.iam.session_policies import SessionPolicyAnalysis, SessionShapes
from remediations.model import Crl, Inventory, Profile, Role, TrustAnchor
from remediations.settings import Settings
from remediations.shortcuts import shortcuts_on
from remediations.trust import TrustAnalysis, analyze_trust, plainly_not_ra


class ScanContext:
    def __init__(
        self,
        inventory: Inventory,
        settings: Settings | None = None,
        *,
        previous: ScanContext | None = None,
    ) -> None:
        """``previous``: the context of a scan of an earlier version of the same account (the
        plan's re-check of the account as its changes leave it): its analyses of what did not
        change are taken over (:meth:`_carry_over`); ignored inside ``plain_paths()``."""
        self.inventory = inventory
        self.settings = settings or Settings()
        self._trust: dict[str, TrustAnalysis | None] = {}
        self._privilege: dict[str, RolePrivilege] = {}
        self._privilege_shapes: PrivilegeShapes = {}
        #: What each identity document may grant, read once from the raw document (by id).
        self.doc_facts: DocFactsMemo = {}
        #: Per-policy-document results shared by the permission analyses of this scan.
        self.policy_memo: Memo = {}
        #: Session-policy analyses by (policy text, managed ARNs, account): profiles of one
        #: module share their session policy, and each analysis runs a few dozen probes.
        self.session_memo: dict[tuple[str | None, tuple[str, ...], str], SessionPolicyAnalysis] = {}
        #: Session-policy analyses shared by documents of one shape (each profile's session
        #: policy names its own resources, which the analysis does not depend on).
        self.session_shapes: SessionShapes = {}
        #: Indexes the checks derive from the inventory, by a key naming what they hold (e.g.
        #: ``("accepting_roles", anchor_arn)``): several checks ask the same questions.
        self.memo: dict[Hashable, Any] = {}
        self._previous: ScanContext | None = None
        if previous is not None and shortcuts_on():
            self._carry_over(previous)

    def _carry_over(self, previous: ScanContext) -> None:
        """Take over the analyses of ``previous`` that cannot differ here: the trust analysis
        of every role that is the very same object in both inventories (it reads the trust
        policy alone); when the managed policies are the same too, its privilege verdict, the
        analyses shared by shape (they read no literal) and the session-policy analyses; and
        the per-document memos. Those are keyed by the identity of documents of
        ``previous``'s inventory: this context holds ``previous``, so those documents stay
        alive and no other document can take their id.
        Indexes over the whole inventory (``memo``, the cached properties) are not taken over.
        """
        self._previous = previous
        same_policies = previous.inventory.policies is self.inventory.policies
        roles_before = previous.inventory.roles
        for arn, role in self.inventory.roles.items():
            if roles_before.get(arn) is not role:
                continue
            if arn in previous._trust:
                self._trust[arn] = previous._trust[arn]
            if same_policies and arn in previous._privilege:
                self._privilege[arn] = previous._privilege[arn]
        self.policy_memo.update(previous.policy_memo)
        self.doc_facts.update(previous.doc_facts)
        if same_policies:  # the shapes name managed policies (a boundary) by ARN alone
            self._privilege_shapes.update(previous._privilege_shapes)
            self.session_shapes.update(previous.session_shapes)
            self.session_memo.update(previous.session_memo)

    def trust(self, role: Role) -> TrustAnalysis | None:
        """The trust analysis of a role (cached); None when its trust policy is unreadable."""
        if role.arn in self._trust:
            return self._trust[role.arn]
        analysis = None if role.trust_policy is None else analyze_trust(role.trust_policy)
        self._trust[role.arn] = analysis
        return analysis

    def privilege(self, role: Role) -> RolePrivilege:
        """The verdict on a role's effective permissions (cached), with the grants behind it."""
        try:
            return self._privilege[role.arn]
        except KeyError:
            pass
        verdict = shared_role_privilege(
            role,
            self.inventory.policies,
            self.policy_memo,
            self._privilege_shapes,
            self.doc_facts,
        )
        self._privilege[role.arn] = verdict
        return verdict

    def privileged(self, role: Role) -> bool | None:
        """True: ``*:*``, ``iam:*`` or PassRole on *; False: not; None: cannot be decided."""
        return self.privilege(role).privileged

    @cached_property
    def ra_roles(self) -> list[tuple[Role, TrustAnalysis]]:
        """Roles whose trust policy lets Roles Anywhere in for at least one required action."""
        out = []
        for role in self.inventory.roles.values():
            if role.trust_policy is not None and plainly_not_ra(role.trust_policy):
                continue  # two thirds of a typical account: no analysis needed to know
            analysis = self.trust(role)
            if analysis is not None and analysis.trusts_ra:
                out.append((role, analysis))
        return out

    def profiles_listing(self, role: Role) -> list[Profile]:
        """Profiles that list the role however they spell its ARN, sorted by ARN (cached)."""
        key = ("profiles_listing", role.arn)
        found: list[Profile] | None = self.memo.get(key)
        if found is None:
            found = self.memo[key] = sorted(
                self.profiles_of_role.get(role.arn, ()), key=lambda p: p.arn
            )
        return found

    @cached_property
    def profiles_by_role(self) -> dict[str, list[Profile]]:
        index: dict[str, list[Profile]] = defaultdict(list)
        for profile in self.inventory.profiles.values():
            for arn in profile.role_arns:
                index[arn].append(profile)
        return dict(index)

    @cached_property
    def _roles_by_name(self) -> dict[tuple[str, str], Role]:
        return {(r.account_id, r.name): r for r in self.inventory.roles.values()}

    def role_for_arn(self, arn: str) -> Role | None:
        """The role an ARN names: exactly, else by account and name (names are unique in an
        account, and a profile may list the ARN with another path)."""
        role = self.inventory.roles.get(arn)
        if role is not None:
            return role
        parts = arn.split(":")
        account = parts[4] if len(parts) > 4 else ""
        return self._roles_by_name.get((account, arn.rsplit("/", 1)[-1]))

    @cached_property
    def profiles_of_role(self) -> dict[str, list[Profile]]:
        """Role ARN -> profiles listing that role, however they spell its ARN."""
        index: dict[str, list[Profile]] = defaultdict(list)
        for arn, profiles in self.profiles_by_role.items():
            role = self.role_for_arn(arn)
            if role is not None:
                index[role.arn].extend(p for p in profiles if p not in index[role.arn])
        return dict(index)

    @cached_property
    def crls_by_anchor(self) -> dict[str, list[Crl]]:
        index: dict[str, list[Crl]] = defaultdict(list)
        for crl in self.inventory.crls.values():
            index[crl.trust_anchor_arn].append(crl)
        return dict(index)

    @cached_property
    def anchors_by_region(self) -> dict[str, list[TrustAnchor]]:
        index: dict[str, list[TrustAnchor]] = defaultdict(list)
        for anchor in self.inventory.trust_anchors.values():
            index[anchor.region].append(anchor)
        return dict(index)
