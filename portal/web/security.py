"""Security headers on every response."""
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
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP.format(style=stylesheet()[1]))
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html" and "Cache-Control" not in headers:
            # Pages may show personal data: not kept by shared caches, revalidated each time.
            headers["Cache-Control"] = "private, no-cache"
        return response
