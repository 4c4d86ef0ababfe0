"""The directory over HTTP: the public listing and a service's page, the exports, and the staff's pages."""
from __future__ import annotations

from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.directory import bp, forms, services, staff_bp
from portal.directory.models import Service
from portal.web import (
    act, attachment, attempt, filters_from, get_or_404, paginate, redirect_to, render, render_form, require,
)
from portal.web.forms import EmptyForm


@bp.get("/")
def index():
    filters, used = filters_from(forms.FilterForm)
    page = paginate(services.listing(used.kind.data or "", used.language.data or "", used.district.data or "",
                                     used.q.data or ""))
    return render("directory/index.html", "results", filters=filters, page=page)


@bp.get("/<int:service_id>")
def show(service_id):
    service = get_or_404(Service, service_id)
    if not (service.published or services.can_manage(current_user)):
        abort(404)  # a hidden service is not there for the public (a 403 would say it exists)
    return render("directory/show.html", s=service)


@bp.get("/export.json")
@login_required
def export_json():
    """Every service, published or not, in the HSDS shape: staff only (it holds what is not shown)."""
    require(services.can_manage(current_user))
    return attachment(services.export_json(), "application/json", "directory.json")


@bp.get("/export.csv")
@login_required
def export_csv():
    require(services.can_manage(current_user))
    return attachment(services.export_csv(), "text/csv; charset=utf-8", "directory.csv")


# --- staff ---

@staff_bp.before_request
@login_required
def managers_only():
    require(services.can_manage(current_user))


@staff_bp.get("/")
def manage():
    return render("directory/staff.html", page=paginate(services.listing(everything=True)), empty=EmptyForm())


@staff_bp.route("/new", methods=["GET", "POST"])
def new():
    form = forms.ServiceForm()
    error = None
    if form.validate_on_submit():
        _created, error = attempt(services.create, current_user, form.values())
        if error is None:
            flash(_("The service was added."), "success")
            return redirect_to(url_for("directory_staff.manage"))
    return render_form("directory/form.html", form=form, s=None, error=error)


@staff_bp.route("/<int:service_id>/edit", methods=["GET", "POST"])
def edit(service_id):
    service = get_or_404(Service, service_id)
    form = forms.ServiceForm() if forms.ServiceForm().is_submitted() else forms.ServiceForm.of(service)
    error = None
    if form.validate_on_submit():
        _changed, error = attempt(services.update, current_user, service, form.values())
        if error is None:
            flash(_("The service was changed."), "success")
            return redirect_to(url_for("directory_staff.manage"))
    return render_form("directory/form.html", form=form, s=service, error=error)


@staff_bp.post("/<int:service_id>/delete")
def delete(service_id):
    service = get_or_404(Service, service_id)
    if EmptyForm().validate_on_submit():
        act(services.delete, current_user, service,
            done=_("The service was removed (or hidden, where a case names it)."))
    return redirect_to(url_for("directory_staff.manage"))


@staff_bp.route("/import", methods=["GET", "POST"])
def import_file():
    form = forms.ImportForm()
    error = None
    if form.validate_on_submit():
        upload = form.file.data
        records, error = attempt(services.parse, upload.filename or "", upload.read(2 * 1024 * 1024))
        if error is None:
            result, error = attempt(services.import_records, current_user, records)
            if error is None:
                flash(_("Imported: %(created)d added, %(updated)d changed.", created=result[0], updated=result[1]),
                      "success")
                return redirect_to(url_for("directory_staff.manage"))
    return render_form("directory/import.html", form=form, error=error)
