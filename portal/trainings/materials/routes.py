from flask import abort, current_app, flash, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from portal.extensions import csrf, db
from portal.trainings.materials import bp, queries, services, staff_bp
from portal.trainings.materials.forms import LibraryFilterForm, MaterialForm, NewVersionForm, VersionForm
from portal.trainings.materials.models import FILE_KINDS, Material, MaterialVersion, format_size
from portal.trainings.models import DELIVERY_LANGUAGES, Course
from portal.web import (
    act, ask_first, attempt, filters_from, get_or_404, paginate, redirect_to, render, render_form, require,
)
from portal.web.forms import EmptyForm

# Room for the form's other fields around the largest file allowed.
FORM_SLACK = 256 * 1024
# A downloaded file is never a page: no script, no styles, no frames, no plugins, whatever it holds.
FILE_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


@bp.get("/")
def index():
    filters, used = filters_from(LibraryFilterForm)
    page = paginate(queries.library(programme=used.programme.data or "", language=used.language.data or ""),
                    per_page=20)
    return render("trainings/materials/index.html", "results", filters=filters, page=page,
                  can_manage_library=services.can_manage_library(current_user))


def _material_or_404(material_id) -> Material:
    material = get_or_404(Material, material_id)
    if not services.can_view(current_user, material):
        abort(404)
    return material


@bp.get("/<int:material_id>")
def show(material_id):
    material = _material_or_404(material_id)
    text = material.text_version(request.args.get("lang"))
    return render("trainings/materials/show.html", material=material, text=text,
                  body=services.render_text(text.text) if text else None,
                  can_manage_library=services.can_manage_library(current_user))


@bp.get("/files/<int:version_id>")
def download(version_id):
    version = get_or_404(MaterialVersion, version_id)
    _material_or_404(version.material_id)
    path = services.file_path(version)
    if path is None or not path.is_file():
        abort(404)
    mimetype = version.content_type if version.content_type in FILE_KINDS else "application/octet-stream"
    response = send_file(path, mimetype=mimetype, as_attachment=True, etag=version.sha256 or True,
                         download_name=version.filename or f"material-{version.material_id}", max_age=None,
                         conditional=True)
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"  # revalidated by ETag: a 304 costs no data
    return response


# --- staff ---

@staff_bp.before_request
@login_required
def staff_only():
    require(services.can_manage_library(current_user))


@staff_bp.get("/")
def index():
    return render("trainings/materials/staff_index.html", page=paginate(queries.staff_list()))


def _course_choices(form: MaterialForm):
    courses = db.session.scalars(select(Course).order_by(Course.id.desc()).limit(500))
    form.course_id.choices = [(0, _("Not attached to a course")), *((c.id, c.title) for c in courses)]


def _material_fields(form: MaterialForm) -> tuple:
    return (form.title.data, form.programme.data, form.course_id.data or None, form.summary.data or "",
            bool(form.published.data))


@staff_bp.route("/new", methods=["GET", "POST"])
def new():
    form = MaterialForm()
    _course_choices(form)
    error = None
    if form.validate_on_submit():
        material, error = attempt(services.create_material, current_user, *_material_fields(form))
        if error is None:
            flash(_("The material was created. Now add a language version: a file, a link or a text."), "success")
            return redirect_to(url_for("materials_staff.new_version", material_id=material.id))
    return render_form("trainings/materials/material_form.html", form=form, error=error, material=None)


@staff_bp.route("/<int:material_id>/edit", methods=["GET", "POST"])
def edit(material_id):
    material = get_or_404(Material, material_id)
    form = MaterialForm(obj=material)
    _course_choices(form)
    if not form.is_submitted():
        form.course_id.data = material.course_id or 0
    error = None
    if form.validate_on_submit():
        result, error = attempt(services.update_material, current_user, material, *_material_fields(form))
        if error is None:
            flash(_("The material was saved."), "success")
            return redirect_to(url_for("materials_staff.edit", material_id=material.id))
    return render_form("trainings/materials/material_form.html", form=form, error=error, material=material,
                       action_form=EmptyForm())


@staff_bp.post("/<int:material_id>/delete")
def delete(material_id):
    material = get_or_404(Material, material_id)
    if EmptyForm().validate_on_submit():
        asked = ask_first(_("Delete this material and all its files?"), _("Yes, delete it"),
                          url_for("materials_staff.edit", material_id=material_id), material.title)
        if asked:
            return asked
        if act(services.delete_material, current_user, material, done=_("The material and its files were deleted.")):
            return redirect_to(url_for("materials_staff.index"))
    return redirect_to(url_for("materials_staff.edit", material_id=material_id))


def _accept_upload() -> bool:
    """An upload may be larger than any other request: this request's limit is raised, then CSRF is
    checked here (the app-wide check would have read the body under the smaller limit). False when
    the body is larger still: it is not read, and nothing changes."""
    request.max_content_length = current_app.config["MATERIALS_MAX_BYTES"] + FORM_SLACK
    if request.method != "POST":
        return True
    try:
        request.form  # noqa: B018  (reads the body, within the limit)
    except RequestEntityTooLarge:
        return False
    if current_app.config["WTF_CSRF_ENABLED"] and current_app.config["WTF_CSRF_CHECK_DEFAULT"]:
        csrf.protect()
    return True


def _version_page(form, material, version=None, error=None):
    form.file.description = _("A PDF or a picture (JPEG, PNG or WebP), at most %(max)s.",
                              max=format_size(current_app.config["MATERIALS_MAX_BYTES"]))
    return render_form("trainings/materials/version_form.html", form=form, error=error, material=material,
                       version=version)


@staff_bp.route("/<int:material_id>/versions/new", methods=["GET", "POST"])
@csrf.exempt
def new_version(material_id):
    material = get_or_404(Material, material_id)
    if not _accept_upload():
        return _version_page(NewVersionForm(formdata=None), material, error=services.FileTooLarge().message)
    form = NewVersionForm()
    if not form.is_submitted():
        taken = {v.language for v in material.versions}
        form.language.data = next((code for code in DELIVERY_LANGUAGES if code not in taken), None)
    error = None
    if form.validate_on_submit():
        result, error = attempt(services.add_version, current_user, material, form.language.data, form.title.data,
                                form.file.data, form.url.data, form.text.data)
        if error is None:
            flash(_("The version in %(language)s was added.", language=DELIVERY_LANGUAGES[form.language.data]),
                  "success")
            return redirect_to(url_for("materials_staff.edit", material_id=material.id))
    return _version_page(form, material, error=error)


@staff_bp.route("/versions/<int:version_id>/edit", methods=["GET", "POST"])
@csrf.exempt
def edit_version(version_id):
    version = get_or_404(MaterialVersion, version_id)
    material = version.material
    if not _accept_upload():
        return _version_page(VersionForm(formdata=None, obj=version), material, version,
                             error=services.FileTooLarge().message)
    form = VersionForm(obj=version)
    error = None
    if form.validate_on_submit():
        result, error = attempt(services.update_version, current_user, version, form.title.data, form.file.data,
                                form.url.data, form.text.data, remove_file=bool(form.remove_file.data))
        if error is None:
            flash(_("The version was saved."), "success")
            return redirect_to(url_for("materials_staff.edit", material_id=material.id))
    return _version_page(form, material, version, error=error)


@staff_bp.post("/versions/<int:version_id>/delete")
def delete_version(version_id):
    version = get_or_404(MaterialVersion, version_id)
    material_id = version.material_id
    if EmptyForm().validate_on_submit():
        act(services.delete_version, current_user, version, done=_("The language version was removed."))
    return redirect_to(url_for("materials_staff.edit", material_id=material_id))
