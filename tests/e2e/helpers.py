"""Steps the browser tests share."""
from playwright.sync_api import expect

from tests.factories import PASSWORD


def sign_in(page, base, login, password=PASSWORD, double=False):
    page.goto(f"{base}/auth/login")
    page.fill("#identifier", login)
    page.fill("#password", password)
    button = page.locator("#form-block button")
    button.dblclick() if double else button.click()
    expect(page.locator("nav").get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page, double=False):
    button = page.locator("nav").get_by_role("button", name="Sign out")
    button.dblclick() if double else button.click()
    expect(page.locator("nav").get_by_role("link", name="Sign in")).to_be_visible()
