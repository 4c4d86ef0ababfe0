"""Steps the browser tests share."""
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
