"""Security headers on every response."""
from flask import request
from flask_login import current_user

from portal.web.assets import stylesheet

# No inline script at all; the one inline style is our stylesheet, allowed by its hash.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' {style}",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def init_app(app):
    @app.after_request
    def security_headers(response):
        # For the access log (gunicorn.conf.py): the route, so that no secret in a path reaches a log.
        request.environ["portal.route"] = request.url_rule.rule if request.url_rule else "(no route)"
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP.format(style=stylesheet()[1]))
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html" and "Cache-Control" not in headers:
            # A signed-in person's pages are never stored, so that Back after sign-out, on a shared phone,
            # shows nothing of hers; a visitor's are not kept by shared caches and revalidated each time.
            signed_in = getattr(current_user, "is_authenticated", False)
            headers["Cache-Control"] = "no-store" if signed_in else "private, no-cache"
        return response
