"""Materials (DRID): the library, text versions first, uploads that are checked by their content,
downloads that are never pages, staff changes with audit rows."""
import hashlib
import os
import time
from html.parser import HTMLParser
from io import BytesIO

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from portal.audit import AuditLog
from portal.extensions import db
from portal.trainings.materials import queries, services
from portal.trainings.materials.models import Material, MaterialVersion
from portal.web import NotAllowed
from tests.factories import (
    PDF_BYTES, PNG_BYTES, CourseFactory, MaterialFactory, MaterialVersionFactory, StaffFactory, UserFactory,
)
from tests.helpers import csrf_token, post, sign_in

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 40
WEBP_BYTES = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 40
NOT_ALLOWED = {
    "html renamed .pdf": (b"<!doctype html><html><script>alert(1)</script></html>", "guide.pdf"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "picture.svg"),
    "svg renamed .png": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
                         "picture.png"),
    "script": (b"alert(document.cookie)", "guide.js"),
    "windows program": (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 60, "guide.pdf"),
    "zip": (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 60, "guide.pdf"),
    "gif": (b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 30, "guide.gif"),
    "text": (b"Just some words, no file type at all.", "guide.pdf"),
}
HOSTILE_NAMES = {
    "parent folders": "../../../etc/passwd.pdf",
    "absolute path": "/etc/passwd.pdf",
    "windows path": "..\\..\\windows\\system.ini.pdf",
    "nul": "guide\x00.html.pdf",
    "newline": "guide\r\nContent-Type: text/html.pdf",
    "right-to-left override": "annual-report\u202efdp.exe",
    "zero width": "gu\u200bide.pdf",
    "very long": "a" * 300 + ".pdf",
}


@pytest.fixture
def folder(app, tmp_path):
    app.config["MATERIALS_DIR"] = str(tmp_path)
    return tmp_path


@pytest.fixture
def staff(app):
    return StaffFactory()


def upload(data: bytes, name: str = "gabay.pdf") -> FileStorage:
    return FileStorage(stream=BytesIO(data), filename=name)


def stored_files(folder):
    return sorted(p.name for p in folder.iterdir())


def audit(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def fetch(client, url, **kwargs):
    """GET a file: read and closed (a file response holds the file open until then)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


class Tags(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.tags, self.attrs = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, k, v or "") for k, v in attrs)


# --- services ---

def test_a_pdf_is_stored_under_a_random_name_and_every_change_is_audited(app, folder, staff):
    course = CourseFactory()
    material = services.create_material(staff, "Know your contract", "leap", course_id=course.id)
    v = services.add_version(staff, material, "fil", title="Alamin ang kontrata",
                             upload=upload(PDF_BYTES, "Know Your Contract (2024).PDF"), text="# Kontrata")
    assert v.filename == "Know_Your_Contract_2024.pdf"
    assert v.content_type == "application/pdf" and v.size == len(PDF_BYTES)
    assert v.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert stored_files(folder) == [v.storage_name] and len(v.storage_name) == 32 and "Know" not in v.storage_name
    assert (folder / v.storage_name).read_bytes() == PDF_BYTES
    [created] = audit("material.created")
    [added] = audit("material_version.added")
    assert created.actor_id == staff.id and created.entity_id == material.id
    assert added.details["language"] == "fil" and added.details["file"] and added.details["size"] == len(PDF_BYTES)
    services.update_material(staff, material, "Know your contract", "leap", None, "A guide", published=False)
    assert audit("material.updated") and material.course_id is None and not material.published


@pytest.mark.parametrize("data, kind", [(PDF_BYTES, "application/pdf"), (PNG_BYTES, "image/png"),
                                        (JPEG_BYTES, "image/jpeg"), (WEBP_BYTES, "image/webp")])
def test_pdfs_and_pictures_are_accepted(app, folder, staff, data, kind):
    material = MaterialFactory()
    v = services.add_version(staff, material, "en", upload=upload(data, "file"))
    assert v.content_type == kind and v.filename.endswith("." + {"application/pdf": "pdf", "image/png": "png",
                                                               "image/jpeg": "jpg", "image/webp": "webp"}[kind])


def test_the_type_comes_from_the_content_never_the_name(app, folder, staff):
    v = services.add_version(staff, MaterialFactory(), "en", upload=upload(PNG_BYTES, "photo.pdf"))
    assert v.content_type == "image/png" and v.filename == "photo.png"


@pytest.mark.parametrize("label", NOT_ALLOWED)
def test_other_types_are_refused_and_nothing_is_kept(app, folder, staff, label):
    data, name = NOT_ALLOWED[label]
    material = MaterialFactory()
    with pytest.raises(services.WrongFileType) as e:
        services.add_version(staff, material, "en", upload=upload(data, name))
    db.session.rollback()
    assert "Only PDF files and pictures" in str(e.value.message)
    assert count(MaterialVersion) == 0 and stored_files(folder) == [] and not audit("material_version.added")


def test_an_empty_file_is_refused(app, folder, staff):
    with pytest.raises(services.EmptyFile):
        services.add_version(staff, MaterialFactory(), "en", upload=upload(b"", "empty.pdf"))
    assert stored_files(folder) == []


def test_a_file_too_large_is_refused_and_nothing_is_kept(app, folder, staff):
    app.config["MATERIALS_MAX_BYTES"] = 1024
    with pytest.raises(services.FileTooLarge) as e:
        services.add_version(staff, MaterialFactory(), "en", upload=upload(PDF_BYTES + b"0" * 2000))
    db.session.rollback()
    assert "at most 1 KB" in str(e.value.message)
    assert count(MaterialVersion) == 0 and stored_files(folder) == []  # no partial file either
    v = services.add_version(staff, MaterialFactory(), "en", upload=upload(PDF_BYTES + b"0" * (1024 - len(PDF_BYTES))))
    assert v.size == 1024


@pytest.mark.parametrize("label", HOSTILE_NAMES)
def test_hostile_file_names_are_refused_and_nothing_is_kept(app, folder, staff, label):
    with pytest.raises(services.BadFileName) as e:
        services.add_version(staff, MaterialFactory(), "en", upload=upload(PDF_BYTES, HOSTILE_NAMES[label]))
    db.session.rollback()
    assert "Rename the file" in str(e.value.message)
    assert count(MaterialVersion) == 0 and stored_files(folder) == []


@pytest.mark.parametrize("name, want", [
    ("Gabay sa trabaho.pdf", "Gabay_sa_trabaho.pdf"),
    ("合同指南.pdf", "material-{id}-en.pdf"),
    ("..pdf", "pdf.pdf"),
    (".htaccess", "htaccess.pdf"),
    ("guide.html", "guide.pdf"),
    ("guide.pdf.exe", "guide.pdf.pdf"),
    ("b" * 250 + ".pdf", "b" * 116 + ".pdf"),  # long, not hostile: cut to fit
])
def test_other_names_become_safe_download_names(app, folder, staff, name, want):
    material = MaterialFactory()
    v = services.add_version(staff, material, "en", upload=upload(PDF_BYTES, name))
    assert v.filename == want.format(id=material.id)


def test_the_file_is_removed_when_the_transaction_fails(app, folder, staff, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")
    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(RuntimeError):
        services.add_version(staff, MaterialFactory(), "en", upload=upload(PDF_BYTES))
    assert stored_files(folder) == [] and count(MaterialVersion) == 0


def test_replacing_and_removing_files_and_deleting_remove_the_stored_files(app, folder, staff):
    material = MaterialFactory()
    v = services.add_version(staff, material, "en", upload=upload(PDF_BYTES), text="Basahin muna.")
    first = v.storage_name
    services.update_version(staff, v, upload=upload(PNG_BYTES, "poster.png"), text="Basahin muna.")
    assert v.storage_name != first and stored_files(folder) == [v.storage_name] and v.content_type == "image/png"
    services.update_version(staff, v, text="Basahin muna.", remove_file=True)
    assert v.storage_name is None and v.size is None and stored_files(folder) == []
    with pytest.raises(services.NothingToShow):
        services.update_version(staff, v, text="")
    db.session.rollback()
    services.update_version(staff, v, upload=upload(PDF_BYTES), text="")
    other = services.add_version(staff, material, "id", upload=upload(PDF_BYTES))
    assert len(stored_files(folder)) == 2
    services.delete_version(staff, other)
    assert stored_files(folder) == [v.storage_name]
    services.delete_material(staff, material)
    assert stored_files(folder) == [] and count(Material) == 0 and count(MaterialVersion) == 0
    assert [len(audit(a)) for a in ("material_version.added", "material_version.updated",
                                    "material_version.removed", "material.deleted")] == [2, 3, 1, 1]


def test_links_are_https_only(app, folder, staff):
    material = MaterialFactory()
    for bad in ("http://example.org/guide.pdf", "javascript:alert(1)", "https://", "https:///guide",
                "https://user:secret@example.org/", "data:text/html,<script>alert(1)</script>",
                "https://example.org/a b", "https://example.org:99999/", "https://[::1", "//example.org/x"):
        with pytest.raises(services.BadLink):
            services.add_version(staff, material, "en", url=bad)
        db.session.rollback()
    v = services.add_version(staff, material, "en", url="https://www.labour.gov.hk/eng/public/wcp/FDHguide.pdf")
    assert v.link_host == "www.labour.gov.hk" and audit("material_version.added")[0].details["link"]


def test_one_version_per_language_and_each_has_something_to_show(app, folder, staff):
    material = MaterialFactory()
    with pytest.raises(services.NothingToShow):
        services.add_version(staff, material, "en", title="Only a title")
    services.add_version(staff, material, "en", text="Isang teksto.")
    with pytest.raises(services.LanguageTaken):
        services.add_version(staff, material, "en", upload=upload(PDF_BYTES))
    with pytest.raises(services.DomainError):
        services.add_version(staff, material, "xx", text="Isang teksto.")
    assert stored_files(folder) == [] and count(MaterialVersion) == 1


def test_only_staff_manage_materials(app, folder):
    member, staff = UserFactory(), StaffFactory()
    material = MaterialFactory()
    version = MaterialVersionFactory(material=material)
    for call in (lambda: services.create_material(member, "X", "leap"),
                 lambda: services.update_material(member, material, "X", "leap"),
                 lambda: services.delete_material(member, material),
                 lambda: services.add_version(member, material, "fil", upload=upload(PDF_BYTES)),
                 lambda: services.update_version(member, version, text="X"),
                 lambda: services.delete_version(member, version)):
        with pytest.raises(NotAllowed):
            call()
    assert stored_files(folder) == [] and count(AuditLog) == 0
    assert services.can_view(None, material) and services.can_view(member, material)
    material.published = False
    assert not services.can_view(member, material) and services.can_view(staff, material)


def test_text_versions_are_rendered_safely():
    html = str(services.render_text(
        "# Title\n\n**bold** and [a link](https://example.org) and [bad](javascript:alert(1)) and "
        "[worse](JaVaScRiPt:alert(1)) and [data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
        "<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n![pic](https://tracker.example/p.png)\n\n"
        '<a href="javascript:alert(1)">raw</a> <iframe src="https://evil.example"></iframe>\n\n'
        "- one\n- two\n\nline one\nline two"))
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html and "<li>one</li>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">a link</a>' in html
    assert "line one<br>" in html
    parsed = Tags(html)
    assert set(parsed.tags) <= services.TAGS and not {"script", "img", "iframe"} & set(parsed.tags)
    assert {(tag, name) for tag, name, _ in parsed.attrs} <= {("a", "href"), ("a", "rel")}
    assert [v for tag, name, v in parsed.attrs if name == "href"] == ["https://example.org"]
    assert "&lt;script&gt;" in html  # raw HTML is shown as text, never run


# --- the library over HTTP ---

def test_the_library_lists_published_materials_and_htmx_answers_with_the_list(app, client, folder, staff):
    a = MaterialFactory(title="Contract guide", programme="leap")
    services.add_version(staff, a, "fil", upload=upload(PDF_BYTES + b"0" * (1_258_291 - len(PDF_BYTES))))
    services.add_version(staff, a, "en", text="Read me first.")
    b = MaterialFactory(title="Safety at home", programme="wite")
    MaterialVersionFactory(material=b, language="id")
    MaterialFactory(title="Nothing in it yet")
    hidden = MaterialFactory(title="Draft guide", published=False)
    MaterialVersionFactory(material=hidden)
    html = client.get("/materials/").get_data(as_text=True)
    assert "Contract guide" in html and "Safety at home" in html
    assert "Nothing in it yet" not in html and "Draft guide" not in html
    assert "PDF, 1.2 MB" in html and "Read the text version" in html
    assert html.index("Read the text version") < html.index("PDF, 1.2 MB")  # the text first
    html = client.get("/materials/?programme=wite").get_data(as_text=True)
    assert "Safety at home" in html and "Contract guide" not in html
    html = client.get("/materials/?language=fil").get_data(as_text=True)
    assert "Contract guide" in html and "Safety at home" not in html
    part = client.get("/materials/?language=id", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert part.lstrip().startswith('<div id="results">') and "<html" not in part and "Safety at home" in part
    assert client.get("/materials/?programme=<script>").status_code == 200


def test_the_material_page_shows_the_text_version_first(app, client, folder, staff):
    m = MaterialFactory(title="Contract guide", summary="What your contract says.")
    services.add_version(staff, m, "en", upload=upload(PDF_BYTES), text="**Read** this <script>alert(1)</script>")
    services.add_version(staff, m, "fil", title="Gabay sa kontrata", text="Basahin *ito*.")
    html = client.get(f"/materials/{m.id}").get_data(as_text=True)
    assert "<strong>Read</strong>" in html and "<script>alert" not in html and "&lt;script&gt;" in html
    assert html.index('id="text"') < html.index("Download: PDF")
    html = client.get(f"/materials/{m.id}?lang=fil").get_data(as_text=True)
    assert "<em>ito</em>" in html and "<h1>Gabay sa kontrata</h1>" in html
    assert client.get(f"/materials/{m.id}?lang=zz").status_code == 200
    assert client.get("/materials/999999").status_code == 404


def test_downloads_are_attachments_that_are_never_pages(app, client, folder, staff):
    m = MaterialFactory()
    v = services.add_version(staff, m, "en", upload=upload(PDF_BYTES, "Gabay sa trabaho.pdf"))
    response = fetch(client, f"/materials/files/{v.id}")
    assert response.status_code == 200 and response.data == PDF_BYTES
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=Gabay_sa_trabaho.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "private" in response.headers["Cache-Control"] and "public" not in response.headers["Cache-Control"]
    again = fetch(client, f"/materials/files/{v.id}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    # Even a row that says otherwise is never served as a page.
    v.content_type = "text/html"
    db.session.commit()
    response = fetch(client, f"/materials/files/{v.id}")
    assert response.mimetype == "application/octet-stream" and "attachment" in response.headers["Content-Disposition"]
    assert client.get("/materials/files/999999").status_code == 404
    text_only = MaterialVersionFactory(material=m, language="id")
    assert client.get(f"/materials/files/{text_only.id}").status_code == 404


def test_unpublished_materials_are_for_staff_only(app, client, folder, staff):
    m = MaterialFactory(published=False)
    v = services.add_version(staff, m, "en", upload=upload(PDF_BYTES), text="Draft.")
    assert client.get(f"/materials/{m.id}").status_code == 404
    assert client.get(f"/materials/files/{v.id}").status_code == 404
    sign_in(client, UserFactory())
    assert client.get(f"/materials/{m.id}").status_code == 404
    post(client, "/auth/logout")
    sign_in(client, staff)
    assert "only staff see" in client.get(f"/materials/{m.id}").get_data(as_text=True)
    assert fetch(client, f"/materials/files/{v.id}").status_code == 200


def test_for_course_gives_the_published_materials_of_a_course(app, folder):
    course = CourseFactory()
    b = MaterialVersionFactory(material=MaterialFactory(title="B guide", course_id=course.id)).material
    a = MaterialVersionFactory(material=MaterialFactory(title="A guide", course_id=course.id)).material
    MaterialVersionFactory(material=MaterialFactory(title="Draft", course_id=course.id, published=False))
    MaterialFactory(title="Empty", course_id=course.id)
    MaterialVersionFactory(material=MaterialFactory(title="Other"))
    assert [m.id for m in queries.for_course(course.id)] == [a.id, b.id]
    assert queries.for_course(999999) == []


def test_the_library_costs_the_same_queries_for_1_or_20_materials(app, client, count_queries):
    def queries_for_page():
        with count_queries() as counter:
            assert client.get("/materials/").status_code == 200
        return counter.count
    course = CourseFactory()
    MaterialVersionFactory(material=MaterialFactory(course_id=course.id))
    one = queries_for_page()
    for i in range(19):
        m = MaterialFactory(course_id=CourseFactory().id)
        MaterialVersionFactory(material=m, language="en")
        MaterialVersionFactory(material=m, language="fil")
    assert queries_for_page() == one


# --- staff over HTTP ---

def multipart(client, url, fields, page="/"):
    fields = {"csrf_token": csrf_token(client, page), **fields}
    return client.post(url, data=fields, content_type="multipart/form-data")


def test_staff_create_a_material_and_upload_a_version(app, client, folder, staff):
    course = CourseFactory(title="Paralegal basics")
    sign_in(client, staff)
    assert "Paralegal basics" in client.get("/staff/materials/new").get_data(as_text=True)
    response = post(client, "/staff/materials/new", {"title": "Contract guide", "programme": "leap",
                                                     "course_id": str(course.id), "published": "y"})
    assert response.status_code == 303
    material = db.session.scalar(select(Material))
    assert response.headers["Location"].endswith(f"/staff/materials/{material.id}/versions/new")
    page = client.get(f"/staff/materials/{material.id}/versions/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and "at most 10 MB" in page
    response = multipart(client, f"/staff/materials/{material.id}/versions/new", {
        "language": "fil", "title": "Gabay", "text": "Basahin muna.",
        "file": (BytesIO(PDF_BYTES), "Gabay.pdf")})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    v = db.session.scalar(select(MaterialVersion))
    assert v.filename == "Gabay.pdf" and stored_files(folder) == [v.storage_name]
    assert fetch(client, f"/materials/files/{v.id}").data == PDF_BYTES
    html = client.get(f"/staff/materials/{material.id}/edit").get_data(as_text=True)
    assert "Filipino" in html and "PDF" in html
    # HTMX: a refused upload answers with the form block only.
    response = client.post(f"/staff/materials/{material.id}/versions/new", content_type="multipart/form-data",
                           headers={"HX-Request": "true"},
                           data={"csrf_token": csrf_token(client, "/"), "language": "en",
                                 "file": (BytesIO(b"<html><script>alert(1)</script></html>"), "x.pdf")})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.lstrip().startswith('<div id="form-block">')
    assert "Only PDF files and pictures" in body


@pytest.mark.parametrize("label, data, name, message", [
    ("html as pdf", b"<!doctype html><script>alert(1)</script>", "guide.pdf", "Only PDF files and pictures"),
    ("svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "x.svg", "Only PDF files and pictures"),
    ("hostile name", PDF_BYTES, "../../etc/passwd.pdf", "Rename the file"),
    ("rtl name", PDF_BYTES, "report\u202efdp.exe", "Rename the file"),
    ("too large", PDF_BYTES + b"0" * 5000, "big.pdf", "too large"),
    ("far too large", PDF_BYTES + b"0" * 400_000, "huge.pdf", "too large"),
])
def test_refused_uploads_get_a_clear_message_and_change_nothing(app, client, folder, staff, label, data, name,
                                                                message):
    app.config["MATERIALS_MAX_BYTES"] = 4096  # the request limit is this plus room for the other fields
    material = MaterialFactory()
    sign_in(client, staff)
    before = count(AuditLog)
    response = multipart(client, f"/staff/materials/{material.id}/versions/new", {
        "language": "en", "file": (BytesIO(data), name)})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(MaterialVersion) == 0 and stored_files(folder) == [] and count(AuditLog) == before


def test_text_sent_into_the_file_field_is_a_clear_422(app, client, folder, staff):
    material = MaterialFactory()
    sign_in(client, staff)
    response = post(client, f"/staff/materials/{material.id}/versions/new",
                    {"language": "en", "file": "<script>alert(1)</script>"})
    assert response.status_code == 422 and "a file, a link or a text" in response.get_data(as_text=True)
    assert count(MaterialVersion) == 0


def test_an_upload_without_its_csrf_token_is_refused(app, client, folder, staff):
    material = MaterialFactory()
    sign_in(client, staff)
    response = client.post(f"/staff/materials/{material.id}/versions/new", content_type="multipart/form-data",
                           data={"language": "en", "file": (BytesIO(PDF_BYTES), "a.pdf")})
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert count(MaterialVersion) == 0 and stored_files(folder) == []


def test_other_requests_keep_the_small_limit(app, client):
    response = client.post("/auth/login", data={"identifier": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_staff_change_and_remove_versions_and_delete_materials(app, client, folder, staff):
    material = MaterialFactory(title="Old title")
    v = services.add_version(staff, material, "en", upload=upload(PDF_BYTES), text="Una.")
    sign_in(client, staff)
    page = client.get(f"/staff/materials/versions/{v.id}/edit").get_data(as_text=True)
    assert "Una." in page and "Remove the file" in page
    response = multipart(client, f"/staff/materials/versions/{v.id}/edit", {
        "title": "", "text": "Pangalawa.", "url": "https://example.org/guide",
        "file": (BytesIO(PNG_BYTES), "poster.png")})
    assert response.status_code == 303
    db.session.refresh(v)
    assert v.text == "Pangalawa." and v.content_type == "image/png" and stored_files(folder) == [v.storage_name]
    response = post(client, f"/staff/materials/{material.id}/edit", {"title": "New title", "programme": "pcsw",
                                                                     "course_id": "0"})
    assert response.status_code == 303
    db.session.refresh(material)
    assert material.title == "New title" and material.programme == "pcsw" and not material.published
    assert post(client, f"/staff/materials/versions/{v.id}/delete").status_code == 303
    assert count(MaterialVersion) == 0 and stored_files(folder) == []
    asked = post(client, f"/staff/materials/{material.id}/delete")  # asked once, on a page of its own
    assert asked.status_code == 200 and "Delete this material and all its files?" in asked.get_data(as_text=True)
    assert count(Material) == 1
    assert post(client, f"/staff/materials/{material.id}/delete", {"sure": "1"}).status_code == 303
    assert count(Material) == 0
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.entity_type != "users")
                                 .order_by(AuditLog.id)).all()
    assert actions == ["material_version.added", "material_version.updated", "material.updated",
                       "material_version.removed", "material.deleted"]


def test_members_cannot_manage(app, client, folder):
    material = MaterialFactory()
    v = MaterialVersionFactory(material=material)
    sign_in(client, UserFactory())
    for url in (f"/staff/materials/{material.id}/delete", f"/staff/materials/versions/{v.id}/delete"):
        assert post(client, url).status_code == 403
    response = multipart(client, f"/staff/materials/{material.id}/versions/new", {
        "language": "fil", "file": (BytesIO(PDF_BYTES), "a.pdf")})
    assert response.status_code == 403
    assert count(MaterialVersion) == 1 and count(Material) == 1 and stored_files(folder) == []


def test_the_worker_sweeps_stored_files_that_no_material_holds(app, folder, staff):
    material = services.create_material(staff, "Know your contract", "leap")
    held = services.add_version(staff, material, "fil", upload=upload(PDF_BYTES)).storage_name
    old_orphan, new_orphan, left_part = "a" * 32, "b" * 32, ".cccccccccccccccccccccccccccccccc.part"
    for name in (old_orphan, new_orphan, left_part, "README.txt"):
        (folder / name).write_bytes(b"x")
    hour_ago = time.time() - services.SWEEP_AFTER - 60
    for name in (held, old_orphan, left_part, "README.txt"):
        os.utime(folder / name, (hour_ago, hour_ago))
    result = app.test_cli_runner().invoke(args=["worker", "--rounds", "1", "--interval", "0"])
    assert "Materials: 2 files that no material holds were removed." in result.output
    # The held file stays; so do a file of an upload that may still be committing, and anything not ours.
    assert stored_files(folder) == sorted([held, new_orphan, "README.txt"])
    assert services.sweep_files() == 0
    assert services.sweep_files(now=time.time() + services.SWEEP_AFTER + 60) == 1  # the young one, later
