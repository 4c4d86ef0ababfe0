"""What a gateway reports about a message it took. Not a page: no session, no CSRF token (the gateway
has neither), but a signature over the request made with our secret with the gateway; an unsigned or badly
signed report gets 403 and changes nothing."""
import hmac

from flask import abort, current_app, request

from portal.extensions import csrf
from portal.notifications import hooks_bp, services, sms, whatsapp


@hooks_bp.post("/sms/status")
@csrf.exempt
def sms_status():
    params = request.form.to_dict()
    if not sms.signed(current_app.config.get("SMS_STATUS_URL") or "", params,
                      request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    services.report_status(params.get("MessageSid", ""), params.get("MessageStatus", ""),
                           params.get("ErrorCode"))
    return "", 204


@hooks_bp.get("/whatsapp")
def whatsapp_verify():
    """Meta checks the webhook's address once, when it is set: our verify token back, its challenge echoed."""
    token = current_app.config.get("WHATSAPP_VERIFY_TOKEN")
    if (request.args.get("hub.mode") != "subscribe" or not token
            or not hmac.compare_digest(request.args.get("hub.verify_token", ""), token)):
        abort(403)
    return request.args.get("hub.challenge", ""), 200, {"Content-Type": "text/plain; charset=utf-8"}


@hooks_bp.post("/whatsapp")
@csrf.exempt
def whatsapp_status():
    """Meta's reports on the messages we sent: delivered or read, or failed (then sent by SMS instead).
    Messages people write to us are not read here: the portal is not a chat."""
    body = request.get_data(cache=True)
    if not whatsapp.signed(body, request.headers.get("X-Hub-Signature-256", "")):
        abort(403)
    report = request.get_json(silent=True)
    if report is None:
        abort(400)
    for provider_id, status, error_code in whatsapp.statuses(report):
        services.report_status(provider_id, status, error_code, channel="whatsapp")
    return "", 200
