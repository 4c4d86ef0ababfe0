"""Every HTML answer worth compressing is compressed, whatever its status (issue 11)."""
import gzip

import brotli
import pytest

from tests.factories import StaffFactory, UserFactory
from tests.helpers import csrf_token, post, sign_in


def _plain(response) -> bytes:
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    return brotli.decompress(body) if encoding == "br" else gzip.decompress(body) if encoding == "gzip" else body


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_refused_form_is_compressed_as_a_page_is(client, encoding):
    headers = {"Accept-Encoding": encoding}
    ok = client.get("/auth/login", headers=headers)
    refused = client.post("/auth/login", data={"csrf_token": csrf_token(client)}, headers=headers)
    assert ok.status_code == 200 and refused.status_code == 422
    for response in (ok, refused):
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
    plain = _plain(refused)
    assert b"Please check the form" in plain and len(refused.get_data()) < len(plain) / 2


@pytest.mark.parametrize("url, status, who", [("/no-such-page", 404, None), ("/staff/", 403, "member"),
                                              ("/organisations/2147483647", 404, "staff")])
def test_error_pages_are_compressed(client, url, status, who):
    if who:
        sign_in(client, StaffFactory() if who == "staff" else UserFactory())
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == status
    assert response.headers["Content-Encoding"] == "br" and "Accept-Encoding" in response.headers["Vary"]
    assert b"<html" in _plain(response)


def test_an_htmx_refusal_is_compressed_and_small_answers_are_left_alone(client):
    user = UserFactory()
    response = post(client, "/auth/login", {"identifier": user.phone, "password": "wrong"},
                    headers={"HX-Request": "true", "Accept-Encoding": "br"})
    assert response.status_code == 422 and response.headers["Content-Encoding"] == "br"
    assert _plain(response).lstrip().startswith(b'<div id="form-block">')
    # A redirect's few bytes are not worth it; nothing is compressed for a browser that does not ask.
    assert "Content-Encoding" not in client.get("/trainings/mine", headers={"Accept-Encoding": "br"}).headers
    assert "Content-Encoding" not in client.get("/no-such-page").headers


def test_a_500_page_is_compressed(app, client, monkeypatch):
    import portal.web
    monkeypatch.setattr(portal.web, "render", lambda *a, **k: 1 / 0)  # the home page fails
    monkeypatch.setattr(app.logger, "disabled", True)  # the failure is meant; its log line is not the point
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 500 and response.headers["Content-Encoding"] == "gzip"
    assert b"Something went wrong" in _plain(response)
