"""What a gateway reports about a message it took. Not a page: no session, no CSRF token (the gateway
has neither), but a signature over the request made with our auth token; an unsigned or badly signed
report gets 403 and changes nothing."""
from flask import abort, current_app, request

from portal.extensions import csrf
from portal.notifications import hooks_bp, services, sms


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
