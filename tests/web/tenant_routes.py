"""Every route the app registers, classified for the tenant isolation matrix (tests/web/test_tenant_isolation.py).

A new route must be added here, or the matrix fails and names it. Pick one kind:
- Ids: the URL names objects; each argument maps to the kind of object in the seeded world ("case", "task", ...).
  The other tenant's ids must give 404 for every role listed (a kind only one tenant has, like a municipality's
  variant version, is checked one way) (the roles that may use the route on their own
  tenant's objects; for GET the same request on their own objects must succeed, so the ids are the right ones,
  and show nothing of the other tenant).
- Refers: the URL names the user's own objects (or none) and the form names the other tenant's ("@user" is the
  other tenant's user id, "@body_code" its body code, "~user" the caller's own tenant's; a plain value is sent as
  is): refused, nothing changes in either tenant (`refused=False`: an action on the caller's own tenant; the other
  tenant must stay unchanged).
- Scoped: no ids (lists, search, exports, suggestions, counters; `args`: the caller's own objects in the URL):
  fetched by each listed role, the answer (XLSX, PDF and CSV exports read as text) must show none of the other
  tenant's markers (texts, authors, names, usernames); `overview`: the oblast may see municipalities' names and
  people (only the case contents are checked for the oblast's users); `region_only`: the oblast's page, a
  municipality's people get 403; `municipal_only`: a municipality's page (its variants), the oblast's get 403.
- Public: no tenant data at all (the reason is the documentation).
- Shared: data shared by every tenant on purpose (the reason says which and why).
After every cross-tenant request the other tenant's rows must be unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CURATORS = ("curator",)
EXECUTORS = ("executor",)
ADMINS = ("admin",)
REPORTS = ("leader", "curator", "admin", "responsible")
EVERYONE = ("curator", "executor", "responsible", "admin", "methodologist", "leader")
DRAFT = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Чужой ответ"}
MESSAGE = {"channel": "vk", "url": "https://vk.com/wall-9_9", "author": "Свой Автор", "text": "Своё сообщение",
           "published_at": "2026-11-24T09:00"}
AWAY = {"kind": "leave", "starts_on": "2026-11-25", "ends_on": "2026-11-26", "reason": "Чужой"}
LIBRARIANS = ("methodologist", "admin")  # who edits and publishes a library (the oblast's or a municipality's)
BOARD = ("leader", "curator", "admin")  # the leaders' dashboard
REGISTER = ("curator", "leader", "admin", "responsible")  # the breach register and the reports
PERIOD = {"from": "2026-11-01", "to": "2026-11-24"}
ACCOUNT = {"channel": "vk", "name": "Чужой аккаунт", "url": "https://vk.com/club-cross"}
DAY = {"day": "2026-12-07", "kind": "holiday", "reason": "Чужой день"}
TEMPLATE = "Здравствуйте! Вы спрашивали о ремонте: работы начнутся в понедельник."


@dataclass(frozen=True)
class Ids:
    """The URL names objects: the other tenant's give 404."""

    args: dict[str, str]
    roles: tuple[str, ...]
    form: dict[str, Any] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)  # non-id URL arguments, e.g. a file name
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Refers:
    """The form or query names the other tenant's objects: refused."""

    roles: tuple[str, ...]
    form: dict[str, Any] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)  # the user's own objects in the URL
    refused: bool = True  # False: the request may succeed for the caller's own tenant (still: other unchanged)


@dataclass(frozen=True)
class Scoped:
    """No ids: the answer shows nothing of the other tenant."""

    roles: tuple[str, ...]
    query: dict[str, str] = field(default_factory=dict)
    overview: bool = False
    region_only: bool = False  # a municipality's people get 403
    municipal_only: bool = False  # the oblast's people get 403
    args: dict[str, str] = field(default_factory=dict)  # the user's own objects in the URL


@dataclass(frozen=True)
class Public:
    """No tenant data."""

    reason: str


@dataclass(frozen=True)
class Shared:
    """Shared by every tenant on purpose."""

    reason: str


Spec = Ids | Refers | Scoped | Public | Shared
CHANNELS = Shared("the channel list of clause 4, one for the installation; only the oblast's administrator edits it "
                  "(a municipality's gets 403: tests/web/test_accounts.py)")

ROUTES: dict[str, Spec | tuple[Spec, ...]] = {
    "static": Public("static files"),
    "auth.login": Public("the login form; usernames are unique per installation"),
    "auth.logout": Public("ends the caller's own session"),
    "auth.language": Public("the caller's interface language"),
    "api.openapi": Public("the API description"),
    "api.token": Public("a token for the caller's own credentials"),
    "account.password": Public("the caller's own password"),
    # Lists, searches, counters: nothing of the other tenant.
    "inbox.index": Public("/ redirects to the inbox"),
    "inbox.show": (Scoped(EVERYONE), Scoped(EVERYONE, query={"case_id": "@case"})),
    "inbox.take": Ids({"task_id": "exec_task"}, EXECUTORS),
    "inbox.release": Ids({"task_id": "exec_task"}, EXECUTORS),
    "inbox.save": Refers(EVERYONE, form={"name": "Свой вид", "body": "@body_code"}, refused=False),
    "inbox.delete": Ids({"view_id": "inbox_view"}, EXECUTORS),
    "reply_templates.index": Scoped(("responsible", "admin", "executor")),
    "reply_templates.save": (Refers(ADMINS, form={"body": "@body_code", "title": "Чужой шаблон", "text": TEMPLATE}),
                             Refers(ADMINS, form={"template_id": "@reply_template", "body": "~body_code",
                                                  "title": "Чужой шаблон", "text": TEMPLATE}, refused=False)),
    "reply_templates.delete": Ids({"template_id": "reply_template"}, ADMINS),
    "cases.index": (Scoped(("curator", "leader", "admin")), Scoped(("curator",), query={"status": "open"})),
    "cases.new": (Scoped(CURATORS), Refers(CURATORS, form=MESSAGE, refused=False)),
    "governor.index": Scoped(("curator", "leader")),
    "governor.new": (Scoped(CURATORS), Refers(CURATORS, form={
        "account": "vk", "url": "https://vk.com/wall-7_7", "published_at": "2026-11-24T09:30", "text": "Пост",
        "scope": "chosen", "bodies": "@body_code"})),
    "notifications.index": Scoped(EVERYONE),
    "notifications.badge": Scoped(EVERYONE),
    "notifications.read_all": Refers(EVERYONE, refused=False),
    "notifications.surge_rule": Refers(ADMINS, form={"surge_threshold": "7", "surge_window_hours": "2"},
                                       refused=False),
    "absences.index": Scoped(("admin", "responsible")),
    "absences.add": (Refers(ADMINS, form={**AWAY, "user": "@user", "substitute": "@substitute"}),
                     Refers(ADMINS, form={**AWAY, "user": "~user", "substitute": "@user"}),
                     Refers(ADMINS, form={**AWAY, "user": "@user", "substitute": "~user"})),
    "lexicon.index": Scoped(ADMINS),
    "lexicon.add": Refers(ADMINS, form={"list_name": "obscene", "pattern": "своёслово"}, refused=False),
    "admin.calendar": (Scoped(ADMINS), Scoped(ADMINS, query={"body": "@body_code"})),
    "admin.add": Refers(ADMINS, form={**DAY, "body": "@body_code"}),
    "admin.schedule": Refers(ADMINS, form={"body": "@body_code", "mon_start": "09:00", "mon_end": "17:00"}),
    "admin.import_year": Shared("the official production calendar of Russia, one for every tenant"),
    "integrity.index": Scoped(ADMINS),
    "tenants.municipality_list": Scoped(ADMINS, overview=True, region_only=True),
    "tenants.municipality_create": Refers(ADMINS),  # the oblast's page: refused to a municipality, empty: invalid
    "tenants.body_list": Scoped(ADMINS),
    "tenants.body_create": Refers(ADMINS, form={"code": "@body_code", "name": "Копия чужого органа"}),
    "tenants.person_list": Scoped(ADMINS),
    "tenants.person_create": (
        Refers(ADMINS, form={"username": "cross.person", "full_name": "Чужой Человек", "role": "executor",
                             "body": "@body"}),
        Refers(ADMINS, form={"username": "@username", "full_name": "Тёзка", "role": "curator"})),
    "account.tokens": Scoped(EVERYONE),
    "api.tasks": (Scoped(EVERYONE), Scoped(EVERYONE, query={"case_id": "@case"})),
    "api.tokens": Scoped(EVERYONE),
    "api.notifications": Scoped(EVERYONE),
    "api.messages": Refers(CURATORS, form={**MESSAGE, "url": "https://vk.com/wall-8_8"}, refused=False),
    # The URL names objects.
    "cases.show": (Ids({"case_id": "case"}, ("curator", "leader", "admin")),
                   Ids({"case_id": "transferred"}, ("curator", "leader"))),  # the municipal case's drafts unseen
    "cases.diagram": Ids({"case_id": "case"}, ("curator", "leader")),
    "cases.link": (Ids({"case_id": "case"}, CURATORS, form={"earlier_id": "1"}),
                   Refers(CURATORS, args={"case_id": "case"}, form={"earlier_id": "@case"})),
    "lexicon.dismiss": Ids({"case_id": "triage_case"}, CURATORS),
    "governor.show": Ids({"case_id": "post"}, ("curator", "leader")),
    "tasks.show": (Ids({"task_id": "task"}, ("curator", "leader")),
                   Ids({"task_id": "exec_task"}, ("executor", "responsible"), form=DRAFT),
                   Refers(CURATORS, args={"task_id": "triage_task"}, form={
                       "triage_decision": "send", "theme": "heating", "location": "@location",
                       "importance": "normal", "bodies": "@body_code"})),
    "tasks.competent_bodies": Ids({"task_id": "triage_task"}, CURATORS, query={"theme": "heating"}),
    "lexicon.checks": Ids({"task_id": "exec_task"}, EXECUTORS, form={"reply_text": "Текст"}),
    "absences.reassign": (Ids({"task_id": "exec_task"}, ("admin", "responsible"), form={"assignee": "1"}),
                          Refers(("responsible",), args={"task_id": "exec_task"}, form={"assignee": "@user"})),
    "attachments.upload_file": Ids({"task_id": "exec_task"}, EXECUTORS),
    "attachments.delete_file": Ids({"task_id": "exec_task", "attachment_id": "pending_attachment"}, EXECUTORS),
    "attachments.download": Ids({"attachment_id": "attachment"}, ("curator", "executor", "leader")),
    "notifications.open_one": Ids({"notification_id": "notification"}, CURATORS),
    "notifications.read_one": Ids({"notification_id": "notification"}, CURATORS),
    "absences.end": Ids({"absence_id": "absence"}, ADMINS),
    "lexicon.remove": Ids({"entry_id": "lexicon"}, ADMINS),
    "admin.edit": Ids({"override_id": "override"}, ADMINS, form=DAY),
    "admin.remove": Ids({"override_id": "override"}, ADMINS),
    "integrity.repair": Ids({"case_id": "case"}, ADMINS),
    "tenants.body_edit": Ids({"body_id": "body"}, ADMINS, form={"name": "Чужой"}),
    "tenants.body_delete": Ids({"body_id": "body"}, ADMINS),
    "tenants.body_restore": Ids({"body_id": "body"}, ADMINS),
    "tenants.person": Ids({"user_id": "user"}, ADMINS),
    "tenants.person_edit": (Ids({"user_id": "user"}, ADMINS, form={"full_name": "Чужой", "role": "admin"}),
                            Refers(ADMINS, args={"user_id": "user"}, form={"full_name": "Свой", "role": "executor",
                                                                           "body": "@body"})),
    "tenants.person_active": Ids({"user_id": "user"}, ADMINS, form={"active": "0"}),
    "tenants.person_password": Ids({"user_id": "user"}, ADMINS, form={"password": "another-password-123"}),
    "account.revoke": Ids({"token_id": "token"}, CURATORS),
    "api.case": Ids({"case_id": "case"}, ("curator", "leader")),
    "api.task": Ids({"task_id": "exec_task"}, EXECUTORS),
    "api.complete": Ids({"task_id": "exec_task"}, EXECUTORS, form=DRAFT),
    "api.take": Ids({"task_id": "exec_task"}, EXECUTORS),
    "api.release": Ids({"task_id": "exec_task"}, EXECUTORS),
    "api.revoke": Ids({"token_id": "token"}, CURATORS),
    # The breach register (clause 12), the leaders' dashboard, reports, the accounts registry (clause 5).
    "register.index": (Scoped(REGISTER), Scoped(("curator",), query={"body": "@body_code"})),
    "register.export": (Scoped(REGISTER), Scoped(("curator",), query={"deputy": "@deputy"})),
    "api.breaches": (Scoped(REGISTER, query=PERIOD), Scoped(("curator",), query={**PERIOD, "format": "xlsx"}),
                     Scoped(("curator",), query={**PERIOD, "body": "@body_code"})),
    "register.explanation": Ids({"breach_id": "breach"}, ("responsible",),
                                form={"reason": "other", "explanation": "Чужое объяснение"}),
    "register.verdict": Ids({"breach_id": "breach"}, CURATORS, form={"verdict": "justified"}),
    "register.measures": Ids({"breach_id": "breach"}, ("curator", "admin", "leader"), form={"measures": "Чужие"}),
    "register.deputies": (Scoped(("curator", "leader", "admin")),
                          Refers(ADMINS, form={"body": "@body_code", "deputy": "Чужой заместитель"})),
    "dashboard.index": Scoped(BOARD),
    "dashboard.panel": Scoped(BOARD),
    "dashboard.acknowledged": Ids({"alert_id": "alert"}, ("leader",)),
    "reports.index": Public("redirects to the monthly summary"),
    "reports.monthly": (Scoped(REGISTER), Scoped(CURATORS, query={"format": "xlsx"}),
                        Scoped(CURATORS, query={"format": "pdf"}),
                        Scoped(("curator", "responsible"), query={"format": "csv"}),
                        Scoped(("curator",), query={"body": "@body_code"})),
    "reports.cases": (Scoped(REGISTER, query={"month": "2026-11", "figure": "received"}),
                      Scoped(("curator",), query={"month": "2026-11", "figure": "received", "body": "@body_code"})),
    "reports.publish": Refers(("curator", "admin"), form={"month": "2026-11"}, refused=False),
    "reports.edition": (Ids({"edition_id": "edition"}, ("curator", "leader", "admin"), fixed={"fmt": "json"}),
                        Ids({"edition_id": "edition"}, CURATORS, fixed={"fmt": "xlsx"}),
                        Ids({"edition_id": "edition"}, CURATORS, fixed={"fmt": "pdf"})),
    "reports_api.api_monthly": (Scoped(REGISTER, query={"month": "2026-11"}),
                                Scoped(CURATORS, query={"month": "2026-11", "format": "xlsx"}),
                                Scoped(CURATORS, query={"month": "2026-11", "format": "csv"}),
                                Scoped(CURATORS, query={"month": "2026-11", "body": "@body_code"})),
    "networks.accounts": Scoped(("admin", "responsible", "curator")),
    "networks.export": Scoped(("admin", "responsible", "curator")),
    "networks.add": Refers(("admin", "responsible"), form={**ACCOUNT, "body": "@body_code"}),
    "networks.edit": (Ids({"account_id": "account"}, ("admin", "responsible"), form={**ACCOUNT, "body": "~body_code"}),
                      Refers(ADMINS, args={"account_id": "account"}, form={**ACCOUNT, "body": "@body_code"})),
    "networks.remove": Ids({"account_id": "account"}, ("admin", "responsible")),
    "networks_api.api_accounts": Scoped(("admin", "responsible", "curator")),
    "networks_api.api_add": Refers(ADMINS, form={**ACCOUNT, "body": "@body_code"}),
    "networks_api.api_account": Ids({"account_id": "account"}, ("admin", "curator")),
    "networks_api.api_edit": Ids({"account_id": "account"}, ADMINS, form={**ACCOUNT, "body": "~body_code"}),
    "networks_api.api_remove": Ids({"account_id": "account"}, ADMINS),
    "networks.channel_page": CHANNELS,
    "networks.channel_add": CHANNELS,
    "networks.channel_edit": CHANNELS,
    "networks_api.api_channels": CHANNELS,
    # The tenant's own act: deadline values; working together (4.3): the oblast's overview of municipalities.
    "deadlines.index": Scoped(ADMINS),
    "deadlines.change": Refers(ADMINS, args={"step": "step"}, form={"value": "7", "unit": "hours"}, refused=False),
    "deadlines.reset": Refers(ADMINS, args={"step": "step"}, refused=False),
    "cooperation.index": Scoped(("curator", "leader", "admin"), region_only=True),
    # The process library (regional versions shared; drafts, variants and adoptions per tenant) and the workbench.
    "processes.index": Scoped(("methodologist", "admin", "curator")),
    "processes.export": Shared("a regional version as a zip: the regional library is every tenant's template"),
    "processes.publish": Refers(LIBRARIANS),  # the regional library: refused to a municipality, empty: invalid
    "processes.view": Ids({"version_id": "variant_version"}, LIBRARIANS, query={"file": "case.bpmn"}),
    "processes.file": Ids({"version_id": "variant_version"}, LIBRARIANS, fixed={"name": "case.bpmn"}),
    "processes.adopt_version": Refers(LIBRARIANS, args={"process_id": "process"}, form={"number": "1"},
                                      refused=False),
    "processes.auto_adopt": Refers(LIBRARIANS, args={"process_id": "process"}, form={"auto": "0"}, refused=False),
    "workbench.start": Refers(LIBRARIANS, args={"process_id": "process"}, refused=False),
    "workbench.draft": Ids({"draft_id": "draft"}, LIBRARIANS),
    "workbench.migration": (Scoped(LIBRARIANS, args={"process_id": "process"}),
                            Refers(LIBRARIANS, args={"process_id": "process"}, form={"case": "@case"})),
    "workbench.versions.comparison": Scoped(LIBRARIANS, args={"process_id": "process"},
                                            query={"old": "v1", "new": "draft"}),
    "workbench.versions.publish": Ids({"draft_id": "draft"}, LIBRARIANS, form={"revision": "1", "comment": "Чужой"}),
    "workbench.variants.variant": Scoped(LIBRARIANS, args={"process_id": "process"}, municipal_only=True),
    "workbench.variants.rebase_variant": Refers(LIBRARIANS, args={"process_id": "process"}, refused=False),
    "workbench.sandbox_page": Ids({"draft_id": "draft"}, LIBRARIANS),
    "workbench.sandbox_start": Ids({"draft_id": "draft"}, LIBRARIANS,
                                   form={"start_at": "2026-11-24T09:00", "channel": "vk"}),
    "workbench.sandbox_advance": Ids({"draft_id": "draft"}, LIBRARIANS, form={"minutes": "60"}),
    "workbench.sandbox_stop": Ids({"draft_id": "draft"}, LIBRARIANS),
    "workbench.sandbox_complete": Ids({"draft_id": "draft"}, LIBRARIANS, fixed={"task_id": "triage"}),
    "workbench.table_page": Ids({"draft_id": "draft"}, LIBRARIANS, fixed={"name": "competent_body.dmn"}),
    "workbench.editors.forms": Ids({"draft_id": "draft"}, LIBRARIANS),
    "workbench.editors.new_form": Ids({"draft_id": "draft"}, LIBRARIANS, form={"name": "cross"}),
    "workbench.editors.form": Ids({"draft_id": "draft"}, LIBRARIANS, fixed={"name": "triage.schema.json"}),
    "workbench.editors.edit_form": Ids({"draft_id": "draft"}, LIBRARIANS, fixed={"name": "triage.schema.json"},
                                       form={"revision": "1"}),
    "workbench.editors.preview": Ids({"draft_id": "draft"}, LIBRARIANS, fixed={"name": "triage.schema.json"}),
    "workbench.editors.parameters": Ids({"draft_id": "draft"}, LIBRARIANS),
    "workbench.editors.edit_parameters": Ids({"draft_id": "draft"}, LIBRARIANS, form={"revision": "1"}),
    "workbench.data.diagram": Ids({"draft_id": "draft"}, LIBRARIANS, fixed={"name": "case.bpmn"}),
    "workbench.data.save": Ids({"draft_id": "draft"}, LIBRARIANS, fixed={"name": "case.bpmn"},
                               form={"xml": "<x/>", "revision": 1}),
    "workbench.data.table": Ids({"draft_id": "draft"}, LIBRARIANS, fixed={"name": "competent_body.dmn"}),
    "workbench.data.save_table_view": Ids({"draft_id": "draft"}, LIBRARIANS, fixed={"name": "competent_body.dmn"},
                                          form={"xml": "<x/>", "revision": 1}),
    "workbench.data.condition": Public("checks an expression's syntax, reads nothing"),
    # Reports: the rating, the heatmap and what-if read only the caller's tenant (a body code of another is 404).
    "reports.rating": (Scoped(REPORTS, query={"quarter": "2026-Q4"}), Scoped(REPORTS, query={"quarter": "2026-Q4",
                                                                                            "format": "json"})),
    "reports_api.api_rating": Scoped(REPORTS, query={"quarter": "2026-Q4"}),
    "reports.rating_cases_page": (
        Scoped(REPORTS, query={"quarter": "2026-Q4", "component": "case_on_time", "outcome": "all"}),
        Scoped(REPORTS, query={"quarter": "2026-Q4", "component": "steps_on_time", "body": "@body_code"})),
    "reports.heatmap": (Scoped(REPORTS, query={"period": "2026-11", "format": "json"}),
                        Scoped(REPORTS, query={"period": "2026-11", "body": "@body_code"})),
    "reports.heatmap_diagram_xml": Shared("the diagrams of the process library version the tenant runs"),
    "reports.whatif": (Scoped(REPORTS, query={"month": "2026-11", "parameter": "draft", "value": "4",
                                              "unit": "hours", "format": "json"}),
                       Scoped(REPORTS, query={"month": "2026-11", "parameter": "case", "value": "2", "unit": "hours"}),
                       Scoped(REPORTS, query={"month": "2026-11", "calendar": "production"})),
    "reports_api.api_whatif": Scoped(REPORTS, query={"month": "2026-11", "calendar": "hours", "day_start": "08:00",
                                                     "day_end": "17:00"}),
}
