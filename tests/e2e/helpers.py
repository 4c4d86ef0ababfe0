"""Steps the browser tests share."""
from contextlib import contextmanager

from playwright.sync_api import expect

from tests.factories import PASSWORD

SIGN_OUT = "nav form[action='/auth/logout'] button"  # in any language


def sign_in(page, base, login, password=PASSWORD, double=False):
    page.goto(f"{base}/auth/login")
    page.fill("#identifier", login)
    page.fill("#password", password)
    button = page.locator("#form-block button")
    button.dblclick() if double else button.click()
    expect(page.locator(SIGN_OUT)).to_be_visible()


def sign_out(page, double=False):
    button = page.locator(SIGN_OUT)
    button.dblclick() if double else button.click()
    expect(page.locator("nav a[href^='/auth/login']")).to_be_visible()


@contextmanager
def settled(page):
    """Wait, after the steps inside, until HTMX has swapped and settled its answer: a response received is not
    yet a page changed, and a tap on the old content in between goes to elements about to be replaced."""
    page.evaluate("""() => { window.__settled = false;
        document.body.addEventListener("htmx:afterSettle", () => { window.__settled = true; }, {once: true}); }""")
    yield
    page.wait_for_function("() => window.__settled === true")
