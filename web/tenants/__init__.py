"""The administrators' pages: municipalities (the oblast's administrator), bodies and people (every administrator,
in their own tenant only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from models.org import ROLES
from services.errors import Invalid, ServiceError
from services.tenants import (
    body_rows,
    create_body,
    create_municipality,
    delete_body,
    edit_body,
    municipalities,
    require_admin,
    require_region_admin,
    restore_body,
)
from services.tenants.people import (
    ROLE_TITLES,
    add_person,
    edit_person,
    generate_password,
    people,
    person_in,
    reset_password,
    set_active,
)
from web.common import clock, db, me

bp = Blueprint("tenants", __name__, url_prefix="/admin")
DEPARTMENT_ROWS = 4  # empty department rows on the municipality form; more are added on its bodies page


@bp.before_request
@login_required
def _admins_only() -> None:
    """Every page here is an administrator's, about their own tenant."""
    require_admin(me())


# --- municipalities ---------------------------------------------------------------------------------------------------

@bp.get("/municipalities")
def municipality_list() -> ResponseReturnValue:
    """The municipalities with their bodies and people, and the form that creates one."""
    return _municipalities()


@bp.post("/municipalities")
def municipality_create() -> ResponseReturnValue:
    """Create a municipality with its curator, departments, settlements and first administrator."""
    require_region_admin(me())
    form = request.form
    departments = [(code, name) for code, name in zip(form.getlist("department_code"),
                                                      form.getlist("department_name"), strict=False)
                   if code.strip() or name.strip()]
    password = form.get("admin_password", "") or generate_password()
    try:
        tenant = create_municipality(
            session=db(), clock=clock(), code=form.get("code", ""), name=form.get("name", ""),
            curator_name=form.get("curator_name", ""), curator_code=form.get("curator_code", ""),
            departments=departments, settlements=form.get("settlements", "").splitlines(),
            admin_username=form.get("admin_username", ""), admin_full_name=form.get("admin_full_name", ""),
            admin_password=password, admin_email=form.get("admin_email", ""))
    except Invalid as exc:
        return _municipalities(error=exc, status=422)
    created = {"name": tenant.name, "username": form.get("admin_username", "").strip(),
               "password": password if not form.get("admin_password") else ""}
    return _municipalities(created=created)


def _municipalities(*, error: Invalid | None = None, created: dict[str, str] | None = None,
                    status: int = 200) -> ResponseReturnValue:
    require_region_admin(me())
    if error:
        db().rollback()
    return render_template("tenants_municipalities.html", rows=municipalities(session=db()), error=error,
                           values=request.form if error else {}, created=created, rows_count=DEPARTMENT_ROWS), status


# --- bodies -----------------------------------------------------------------------------------------------------------

@bp.get("/bodies")
def body_list() -> ResponseReturnValue:
    """The tenant's bodies with their people and open tasks, the forms that add, rename and remove them."""
    return _bodies()


@bp.post("/bodies")
def body_create() -> ResponseReturnValue:
    """Add a department."""
    form = request.form
    try:
        body = create_body(session=db(), tenant_id=me().tenant_id, code=form.get("code", ""),
                           name=form.get("name", ""), short_name=form.get("short_name", ""))
    except Invalid as exc:
        return _bodies(error=exc, failed="create")
    flash(gettext("Орган «%(name)s» добавлен", name=body.name), "success")
    return redirect(url_for("tenants.body_list"))


@bp.post("/bodies/<int:body_id>")
def body_edit(body_id: int) -> ResponseReturnValue:
    """Rename a body."""
    try:
        body = edit_body(session=db(), tenant_id=me().tenant_id, body_id=body_id, name=request.form.get("name", ""),
                         short_name=request.form.get("short_name", ""))
    except Invalid as exc:
        return _bodies(error=exc, failed=f"edit-{body_id}")
    flash(gettext("Орган «%(name)s» сохранён", name=body.name), "success")
    return redirect(url_for("tenants.body_list"))


@bp.post("/bodies/<int:body_id>/delete")
def body_delete(body_id: int) -> ResponseReturnValue:
    """Delete a body, or abolish it when it has history; refused while it has open tasks or people."""
    try:
        outcome = delete_body(session=db(), tenant_id=me().tenant_id, body_id=body_id)
    except Invalid as exc:
        return _bodies(error=exc, failed=f"edit-{body_id}")
    flash(gettext("Орган удалён") if outcome == "deleted" else
          gettext("У органа есть история работы: он упразднён — скрыт из выбора, история и отчёты сохранены"),
          "success")
    return redirect(url_for("tenants.body_list"))


@bp.post("/bodies/<int:body_id>/restore")
def body_restore(body_id: int) -> ResponseReturnValue:
    """Bring an abolished body back."""
    body = restore_body(session=db(), tenant_id=me().tenant_id, body_id=body_id)
    flash(gettext("Орган «%(name)s» восстановлен", name=body.name), "success")
    return redirect(url_for("tenants.body_list"))


def _bodies(*, error: Invalid | None = None, failed: str = "") -> ResponseReturnValue:
    if error:
        db().rollback()
    return render_template("tenants_bodies.html", rows=body_rows(session=db(), tenant_id=me().tenant_id),
                           error=error, failed=failed, values=request.form if error else {}), 422 if error else 200


# --- people -----------------------------------------------------------------------------------------------------------

@bp.get("/people")
def person_list() -> ResponseReturnValue:
    """The tenant's people and the form that adds one."""
    return _people()


@bp.post("/people")
def person_create() -> ResponseReturnValue:
    """Add a person; an empty password is generated and shown once."""
    form = request.form
    try:
        user, password = add_person(session=db(), tenant_id=me().tenant_id, username=form.get("username", ""),
                                    full_name=form.get("full_name", ""), role=form.get("role", ""),
                                    body_id=form.get("body"), email=form.get("email", ""),
                                    password=form.get("password", ""))
    except Invalid as exc:
        return _people(error=exc)
    shown = {"username": user.username, "password": password if not form.get("password") else ""}
    return _people(created=shown)


def _people(*, error: Invalid | None = None, created: dict[str, str] | None = None) -> ResponseReturnValue:
    if error:
        db().rollback()
    tenant_id = me().tenant_id
    return render_template("tenants_people.html", people=people(session=db(), tenant_id=tenant_id),
                           **_choices(tenant_id), error=error, values=request.form if error else {},
                           created=created), 422 if error else 200


def _choices(tenant_id: int) -> dict[str, Any]:
    bodies = [row.body for row in body_rows(session=db(), tenant_id=tenant_id)
              if row.body.active and not row.body.is_curator]
    return {"bodies": bodies, "roles": ROLES, "role_titles": ROLE_TITLES}


@bp.get("/people/<int:user_id>")
def person(user_id: int) -> ResponseReturnValue:
    """One person: edit, deactivate, reset the password."""
    return _person(user_id)


@bp.post("/people/<int:user_id>")
def person_edit(user_id: int) -> ResponseReturnValue:
    """Save a person's name, role, body and e-mail address."""
    form = request.form
    try:
        user = edit_person(session=db(), actor=me(), user_id=user_id, full_name=form.get("full_name", ""),
                           role=form.get("role", ""), body_id=form.get("body"), email=form.get("email", ""))
    except Invalid as exc:
        return _person(user_id, error=exc, failed="edit")
    flash(gettext("Сотрудник %(name)s сохранён", name=user.full_name), "success")
    return redirect(url_for("tenants.person", user_id=user_id))


@bp.post("/people/<int:user_id>/active")
def person_active(user_id: int) -> ResponseReturnValue:
    """Deactivate a person or let them back in."""
    active = request.form.get("active") == "1"
    try:
        user = set_active(session=db(), clock=clock(), actor=me(), user_id=user_id, active=active)
    except Invalid as exc:
        return _person(user_id, error=exc, failed="active")
    flash(gettext("%(name)s снова может входить", name=user.full_name) if active else
          gettext("%(name)s отключён: вход закрыт, сеансы и токены завершены", name=user.full_name), "success")
    return redirect(url_for("tenants.person", user_id=user_id))


@bp.post("/people/<int:user_id>/password")
def person_password(user_id: int) -> ResponseReturnValue:
    """Set a temporary password (or generate one) and show it once."""
    given = request.form.get("password", "")
    try:
        password = reset_password(session=db(), clock=clock(), actor=me(), user_id=user_id, password=given)
    except Invalid as exc:
        return _person(user_id, error=exc, failed="password")
    return _person(user_id, new_password=password if not given else "", reset=True)


def _person(user_id: int, *, error: ServiceError | None = None, failed: str = "", new_password: str = "",
            reset: bool = False) -> ResponseReturnValue:
    if error:
        db().rollback()
    tenant_id = me().tenant_id
    user = person_in(session=db(), tenant_id=tenant_id, user_id=user_id)
    return render_template("tenants_person.html", person=user, **_choices(tenant_id), error=error, failed=failed,
                           values=request.form if error else {}, new_password=new_password,
                           reset=reset), 422 if error else 200
