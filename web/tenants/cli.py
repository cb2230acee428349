"""Command line of municipalities and bodies: `tenants create|list|deadline`, `bodies create|list`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from engine.texts import N_, joined
from services.errors import ServiceError
from services.reference import bodies
from services.tenants import create_body, create_municipality, tenant_by_code, tenants
from services.tenants.deadlines import set_deadline
from web.cli import fail, say, transaction


def tenants_group() -> AppGroup:
    """`flask --app app tenants ...`: one command per use case; add new ones here."""
    group = AppGroup("tenants", help="The oblast and its municipalities.")

    @group.command("create")
    @click.option("--code", required=True, help="Latin code, e.g. gatchina.")
    @click.option("--name", required=True,
                  help="Full name, e.g. «Гатчинский муниципальный округ».")  # not translated: an example name
    @click.option("--curator-name", default="", help="The curator body (default: the administration's press service).")
    @click.option("--curator-code", default="", help="Its body code (default: CODE.press).")
    def create(code: str, name: str, curator_name: str, curator_code: str) -> None:
        """Create a municipality on the regional library, with its curator body."""
        try:
            with transaction() as session:
                tenant = create_municipality(session=session, clock=current_app.config["CLOCK"], code=code,
                                             name=name, curator_name=curator_name, curator_code=curator_code)
                say(N_("Создано муниципальное образование %(code)s «%(name)s»", code=tenant.code, name=tenant.name))
        except ServiceError as exc:
            fail(joined([exc.message, *exc.fields.values()]))

    @group.command("list")
    def list_() -> None:
        """One tenant a line: code, kind, name."""
        with transaction() as session:
            for tenant in tenants(session=session):
                click.echo(f"{tenant.code}\t{tenant.kind}\t{tenant.name}")

    @group.command("deadline")
    @click.option("--tenant", "tenant_code", required=True, help="Tenant code (flask --app app tenants list).")
    @click.option("--step", required=True, help="Deadline name as in bpmn/parameters.json, e.g. case, draft.")
    @click.option("--value", required=True, help="A whole number above zero, at most a month.")
    @click.option("--unit", required=True, help="hours, minutes or days (working or calendar as in parameters).")
    def deadline(tenant_code: str, step: str, value: str, unit: str) -> None:
        """Set a deadline value of the tenant's own act; it applies to deadlines counted from now on."""
        try:
            with transaction() as session:
                tenant = tenant_by_code(session=session, code=tenant_code.strip())
                row = set_deadline(session=session, clock=current_app.config["CLOCK"], actor=None, tenant=tenant,
                                   step=step, value=value, unit=unit)
                say(N_("%(tenant)s\t%(name)s\t%(clause)s %(step)s\t%(current)s (региональный срок %(regional)s)",
                       tenant=tenant.code, name=row.name, clause=row.regional.clause, step=row.regional.title,
                       current=row.current.describe(), regional=row.regional.describe()))
        except ServiceError as exc:
            fail(exc.message)

    return group


def bodies_group() -> AppGroup:
    """`flask --app app bodies ...`."""
    group = AppGroup("bodies", help="Executive bodies and municipal departments.")

    @group.command("create")
    @click.option("--tenant", "tenant_code", required=True, help="Tenant code (flask --app app tenants list).")
    @click.option("--code", required=True)
    @click.option("--name", required=True)
    @click.option("--short-name", default="")
    def create(tenant_code: str, code: str, name: str, short_name: str) -> None:
        """Add a body to a tenant."""
        try:
            with transaction() as session:
                tenant = tenant_by_code(session=session, code=tenant_code)
                body = create_body(session=session, tenant_id=tenant.id, code=code, name=name,
                                   short_name=short_name)
                say(N_("Создан орган %(code)s «%(name)s» (%(tenant)s)", code=body.code, name=body.name,
                       tenant=tenant.code))
        except ServiceError as exc:
            fail(joined([exc.message, *exc.fields.values()]))

    @group.command("list")
    @click.option("--tenant", "tenant_code", default=None, help="Only this tenant's bodies.")
    def list_(tenant_code: str | None) -> None:
        """One body a line, its code first."""
        try:
            with transaction() as session:
                tenant_id = tenant_by_code(session=session, code=tenant_code).id if tenant_code else None
                for body in bodies(session=session, tenant_id=tenant_id):
                    marks = [*([N_("(куратор)")] if body.is_curator else []),
                             *([] if body.active else [N_("(упразднён)")])]
                    say(joined([f"{body.code}\t{body.short_name}", *marks], " "))
        except ServiceError as exc:
            fail(exc.message)

    return group
