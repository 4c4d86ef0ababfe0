"""Referrals over HTTP, without JavaScript (plain posts and redirects) unless said: the leader's form in steps,
the status-only view, the Mission's queue and case page; what each page shows, and to whom."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from portal.audit import AuditLog
from portal.extensions import db
from portal.referrals import services
from portal.referrals.models import Referral, ReferralState
from tests.factories import MembershipFactory, OrganisationFactory, StaffFactory
from tests.helpers import csrf_token, post, sign_in, snapshot

NAME, EMPLOYER = "Rosalinda Cruz", "Mrs Wong Employer"


def walk_the_form(client, org, member=None) -> Referral:
    page = client.get(f"/referrals/new/{org.id}").get_data(as_text=True)
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)
    token = csrf_token(client, f"/referrals/new/{org.id}")
    response = client.post(f"/referrals/new/{org.id}", data={"csrf_token": token, "key": key,
                                                             "worker": str(member.id) if member else ""})
    assert response.status_code == 303
    again = client.post(f"/referrals/new/{org.id}", data={"csrf_token": token, "key": key, "worker": ""})
    assert again.headers["Location"] == response.headers["Location"]  # a double tap: the same draft
    r = db.session.scalars(select(Referral)).one()
    steps = [
        {"categories": ["wages", "termination"], "urgency": "days", "story": "Not paid since August."},
        {"termination_date": services.today().isoformat()},
        {"name": NAME, "phone": "9123 4567", "language": "fil", "interpreter": "y"},
        {"channels": ["sms"], "days": ["sun"], "hours": "after 21:00", "message_only": "y", "no_employer": "y"},
        {"name": EMPLOYER, "phone": "2123 4567", "address": "Flat 1", "agency": ""},
        {"how": "in_person", "given_on": services.today().isoformat()},
    ]
    for n, data in enumerate(steps, 1):
        response = post(client, f"/referrals/{r.ref}/step/{n}", {**data, "go": "next"})
        assert response.status_code == 303, (n, response.get_data(as_text=True)[:800])
    assert response.headers["Location"] == f"/referrals/{r.ref}"
    return r


def test_a_leader_refers_a_worker_step_by_step_and_sends_it(app, client):
    org = OrganisationFactory()
    StaffFactory(role="supervisor")
    sign_in(client, org.created_by)
    r = walk_the_form(client, org)
    page = client.get(f"/referrals/{r.ref}")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store" and "<title>Notes" in html and 'hx-history="false"' in html
    assert "Send to the Mission" in html
    assert post(client, f"/referrals/{r.ref}/submit").status_code == 303
    db.session.refresh(r)
    assert r.state == ReferralState.SUBMITTED and r.worker["name"] == NAME and r.worker["phone"] == "+85291234567"
    assert r.contact["message_only"] is True and r.employer["name"] == EMPLOYER
    # Once sent, the status-only view: no employer, no story, no name.
    html = client.get(f"/referrals/{r.ref}").get_data(as_text=True)
    assert "Sent to the Mission" in html
    for hidden in (EMPLOYER, NAME, "Not paid since August"):
        assert hidden not in html
    # The form's steps are closed to changes once sent.
    assert client.get(f"/referrals/{r.ref}/step/5").status_code == 303
    assert EMPLOYER not in client.get(f"/referrals/{r.ref}/step/5", follow_redirects=True).get_data(as_text=True)


def test_back_keeps_what_she_typed_and_later_keeps_the_draft(app, client):
    org = OrganisationFactory()
    sign_in(client, org.created_by)
    r = services.start(org.created_by, org, "k" * 20)
    response = post(client, f"/referrals/{r.ref}/step/3", {"name": NAME, "go": "back"})
    assert response.headers["Location"] == f"/referrals/{r.ref}/step/2"
    assert NAME in client.get(f"/referrals/{r.ref}/step/3").get_data(as_text=True)
    response = post(client, f"/referrals/{r.ref}/step/4", {"hours": "Sunday only", "go": "later"})
    assert response.headers["Location"] == "/referrals/"
    html = client.get("/referrals/").get_data(as_text=True)
    assert r.ref in html and "Draft" in html


def test_bad_input_is_named_in_her_language_and_saves_nothing(app, client):
    org = OrganisationFactory()
    org.created_by.locale = "fil"
    db.session.commit()
    sign_in(client, org.created_by)
    r = services.start(org.created_by, org, "k" * 20)
    before = snapshot()
    response = post(client, f"/referrals/{r.ref}/step/3", {"name": NAME, "phone": "12", "go": "next"})
    assert response.status_code == 422
    assert "Pakitingnan ulit ang form" in response.get_data(as_text=True)
    response = post(client, f"/referrals/{r.ref}/step/1", {"story": "x" * 3001, "go": "next"},
                    headers={"HX-Request": "true", "HX-Target": "form-block"})
    assert response.status_code == 422 and response.get_data(as_text=True).startswith('<div id="form-block">')
    response = post(client, f"/referrals/{r.ref}/step/6", {"how": "written", "given_on": "2020-01-01",
                                                           "go": "next"})
    assert response.status_code == 422 and "Hindi posible ang petsang ito" in response.get_data(as_text=True)
    assert snapshot() == before


def test_sending_without_her_agreement_is_refused_with_the_reason(app, client):
    org = OrganisationFactory()
    sign_in(client, org.created_by)
    r = services.start(org.created_by, org, "k" * 20)
    html = client.get(f"/referrals/{r.ref}").get_data(as_text=True)
    assert "Send to the Mission" not in html and "Missing" in html
    response = post(client, f"/referrals/{r.ref}/submit")
    assert response.status_code == 303
    assert "nothing reaches the Mission without it" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.get(Referral, r.id).state == ReferralState.DRAFT


def test_the_mission_triages_assigns_and_the_leader_reads_only_the_shared_note(app, client):
    org = OrganisationFactory()
    supervisor, caseworker = StaffFactory(role="supervisor"), StaffFactory(role="caseworker")
    sign_in(client, org.created_by)
    r = walk_the_form(client, org)
    post(client, f"/referrals/{r.ref}/submit")
    supervising = app.test_client()
    sign_in(supervising, supervisor)
    queue = supervising.get("/staff/referrals/").get_data(as_text=True)
    assert r.ref in queue and NAME not in queue and EMPLOYER not in queue
    case = supervising.get(f"/staff/referrals/{r.ref}")
    assert case.headers["Cache-Control"] == "no-store" and NAME in case.get_data(as_text=True)
    assert post(supervising, f"/staff/referrals/{r.ref}/triage", {"programme": "leap", "urgency": "now"}).status_code == 303
    assert post(supervising, f"/staff/referrals/{r.ref}/accept").status_code == 303
    assert post(supervising, f"/staff/referrals/{r.ref}/assign", {"caseworker": caseworker.id}).status_code == 303
    working = app.test_client()
    sign_in(working, caseworker)
    assert NAME in working.get(f"/staff/referrals/{r.ref}").get_data(as_text=True)
    post(working, f"/staff/referrals/{r.ref}/notes", {"body": "She is safe at her cousin's.", "shared": "y"})
    post(working, f"/staff/referrals/{r.ref}/notes", {"body": "Employer may retaliate."})
    html = client.get(f"/referrals/{r.ref}").get_data(as_text=True)
    assert "A caseworker is helping" in html and "She is safe at her cousin&#39;s." in html
    assert "retaliate" not in html and EMPLOYER not in html
    reads = db.session.scalars(select(AuditLog.actor_id).where(AuditLog.action == "referral.read")).all()
    assert supervisor.id in reads and caseworker.id in reads


def test_a_refused_decision_says_why_on_the_case_page(app, client):
    org = OrganisationFactory()
    supervisor = StaffFactory(role="supervisor")
    r = services.start(org.created_by, org, "k" * 20)
    services.save_what(org.created_by, r, ["health"], "normal", "")
    services.save_worker(org.created_by, r, NAME, None, None, "id", False)
    services.save_contact(org.created_by, r, ["whatsapp"], [], "", False, True)
    services.record_consent(org.created_by, r, "phone", services.today())
    services.submit(org.created_by, r)
    services.decline(supervisor, r, "duplicate")
    sign_in(client, supervisor)
    response = post(client, f"/staff/referrals/{r.ref}/accept")
    assert response.status_code == 422  # the case page again, with why
    assert "the referral is now “Declined”" in response.get_data(as_text=True)
    assert db.session.get(Referral, r.id).state == ReferralState.DECLINED


def test_no_one_else_reaches_a_referral_and_an_unknown_reference_is_not_found(app, client):
    org = OrganisationFactory()
    member = MembershipFactory(organisation=org).user
    r = services.start(org.created_by, org, "k" * 20)
    for person in (member, OrganisationFactory().created_by, StaffFactory()):
        c = app.test_client()
        sign_in(c, person)
        assert c.get(f"/referrals/{r.ref}").status_code == 403
        assert c.get(f"/referrals/{r.ref}/step/1").status_code == 403
    sign_in(client, org.created_by)
    for ref in ("AAAAAAAAAA", "short", "1" * 10, r.ref.lower()):
        assert client.get(f"/referrals/{ref}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "referral.status_read")) == 0


def referral_for_someone_without_an_account(org, channels=("sms",), language="id") -> Referral:
    r = services.start(org.created_by, org, "no-account-form-key")
    services.save_what(org.created_by, r, ["abuse"], "now", "She was hit.")
    services.save_worker(org.created_by, r, NAME, "+6281234567890", None, language, False)
    services.save_contact(org.created_by, r, list(channels), ["sun"], "", True, True)
    services.record_consent(org.created_by, r, "in_person", services.today())
    return services.submit(org.created_by, r)


def code_sent(r: Referral) -> str:
    from portal.notifications.models import OutboxMessage
    m = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "case_code")).one()
    assert (m.channel, m.to_address, m.user_id) == ("sms", "+6281234567890", None)
    for secret in (NAME, org_name(r), "abuse", "hit"):
        assert secret not in m.body
    return re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", m.body).group(0)


def org_name(r):
    return r.organisation.name


def test_a_worker_without_an_account_follows_and_withdraws_with_her_code(app, client):
    org = OrganisationFactory()
    r = referral_for_someone_without_an_account(org)
    code = code_sent(r)
    page = client.get("/check")
    assert page.headers["Cache-Control"] == "no-store" and "<title>Code" in page.get_data(as_text=True)
    response = post(client, "/check", {"code": code.lower().replace("-", " ")}, page="/check")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Sent to the Mission" in html
    for hidden in (NAME, "She was hit", org.name):
        assert hidden not in html
    before = snapshot()
    response = post(client, "/check/withdraw", {"code": code}, page="/check")  # the box not ticked: asked once
    assert response.status_code == 422 and "Tick the box to confirm" in response.get_data(as_text=True)
    assert "Sent to the Mission" in response.get_data(as_text=True) and snapshot() == before
    response = post(client, "/check/withdraw", {"code": code, "confirm": "y"}, page="/check")
    assert "Your agreement was withdrawn" in response.get_data(as_text=True)
    db.session.expire_all()
    r = db.session.get(Referral, r.id)
    assert (r.state, r.outcome, r.worker, r.code_hash) == (ReferralState.CLOSED, "withdrawn", None, None)
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.actor_id.is_(None))).all()
    assert {"referral.worker_read", "referral.withdraw", "referral.shredded"} <= set(actions)
    assert post(client, "/check", {"code": code}, page="/check").status_code == 422  # the code died with it


def test_her_code_comes_in_her_language_and_only_by_text_or_mail(app):
    from portal.notifications.models import OutboxMessage
    org = OrganisationFactory()
    referral_for_someone_without_an_account(org, language="id")
    m = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "case_code")).one()
    assert m.locale == "id" and m.body.startswith("Kode Anda")
    other = OrganisationFactory()
    referral_for_someone_without_an_account(other, channels=("call",))  # never a text she did not choose
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "case_code")) == 1


def test_guessing_codes_is_limited_per_address(app, client):
    org = OrganisationFactory()
    code = code_sent(referral_for_someone_without_an_account(org))
    for _ in range(10):
        assert post(client, "/check", {"code": "AAAA-BBBB-CCCC"}, page="/check").status_code == 422
    refused = post(client, "/check", {"code": code}, page="/check")
    assert refused.status_code == 429 and "Too many tries" in refused.get_data(as_text=True)
    other = post(client, "/check", {"code": code}, page="/check", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200  # from another address, her own code still works


def test_a_question_without_names_over_http(app, client):
    org = OrganisationFactory()
    caseworker = StaffFactory(role="caseworker")
    sign_in(client, org.created_by)
    response = post(client, f"/referrals/ask/{org.id}", {"category": "immigration", "urgency": "days",
                                                         "text": "Can she stay to pursue a claim?"})
    assert response.status_code == 303
    ref = response.headers["Location"].rsplit("/", 1)[1]
    assert "No answer yet" in client.get(f"/referrals/questions/{ref}").get_data(as_text=True)
    before = snapshot()
    refused = post(client, f"/referrals/ask/{org.id}", {"category": "nonsense", "urgency": "days", "text": "x"})
    assert refused.status_code == 422 and snapshot() == before
    answering = app.test_client()
    sign_in(answering, caseworker)
    assert ref in answering.get("/staff/referrals/questions").get_data(as_text=True)
    assert post(answering, f"/staff/referrals/questions/{ref}", {"body": "Yes, ask Immigration for an extension."}
                ).status_code == 303
    page = client.get(f"/referrals/questions/{ref}")
    assert "ask Immigration for an extension" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


def test_a_supervisor_records_a_request_and_downloads_her_data(app, client):
    org = OrganisationFactory()
    supervisor = StaffFactory(role="supervisor")
    referral_for_someone_without_an_account(org)
    sign_in(client, supervisor)
    before = snapshot()
    refused = post(client, "/staff/referrals/requests", {"received_on": "2001-01-01", "phone": "0812 3456 7890"})
    assert refused.status_code == 422 and snapshot() == before
    assert post(client, "/staff/referrals/requests", {"received_on": services.today().isoformat(), "name": NAME,
                                                       "phone": "0812 3456 7890"}).status_code == 303
    page = client.get("/staff/referrals/requests")
    assert page.headers["Cache-Control"] == "no-store" and NAME in page.get_data(as_text=True)
    from portal.referrals.models import AccessRequest
    req = db.session.scalars(select(AccessRequest)).one()
    download = post(client, f"/staff/referrals/requests/{req.id}/answer", page="/staff/referrals/requests")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.headers["Cache-Control"] == "no-store" and "attachment" in download.headers["Content-Disposition"]
    assert NAME in download.get_data(as_text=True) and "She was hit." in download.get_data(as_text=True)


def test_a_date_she_already_has_is_kept_with_the_draft_and_reminded_later(app, client):
    org = OrganisationFactory()
    sign_in(client, org.created_by)
    r = services.start(org.created_by, org, "k" * 20)
    day = (services.today() + timedelta(days=9)).isoformat()
    assert post(client, f"/referrals/{r.ref}/step/2", {"appointment_kind": "conciliation", "go": "next"}
                ).status_code == 422  # a kind without its day
    assert post(client, f"/referrals/{r.ref}/step/2", {"appointment_kind": "conciliation", "appointment_day": day,
                                                       "go": "next"}).status_code == 303
    assert post(client, f"/referrals/{r.ref}/step/2", {"appointment_kind": "tribunal", "appointment_day": day,
                                                       "go": "next"}).status_code == 303  # replaced, not added
    db.session.expire_all()
    r = db.session.get(Referral, r.id)
    assert [(d.kind, d.day.isoformat()) for d in r.dates] == [("tribunal", day)]
    assert '<option selected value="tribunal">' in client.get(f"/referrals/{r.ref}/step/2").get_data(as_text=True)


def test_a_step_that_does_not_exist_and_a_date_of_another_case_are_not_found(app, client):
    org = OrganisationFactory()
    sign_in(client, org.created_by)
    r = services.start(org.created_by, org, "k" * 20)
    for n in (0, 7, 99):
        assert client.get(f"/referrals/{r.ref}/step/{n}").status_code == 404
    supervisor = StaffFactory(role="supervisor")
    a, b = (referral_for_someone_without_an_account(OrganisationFactory()) for _ in range(2))
    for x in (a, b):
        services.accept(supervisor, x)
        services.assign(supervisor, x, supervisor)
    other_date = services.add_date(supervisor, b, "police", services.today() + timedelta(days=4))
    staff = app.test_client()
    sign_in(staff, supervisor)
    before = snapshot()
    response = post(staff, f"/staff/referrals/{a.ref}/dates/{other_date.id}/remove")
    assert response.status_code == 404 and snapshot() == before


def test_withdrawing_and_deleting_ask_once_and_change_nothing_until_confirmed(app, client):
    org = OrganisationFactory()
    sign_in(client, org.created_by)
    sent = referral_for_someone_without_an_account(org)
    draft = services.start(org.created_by, org, "another-form-key-xx")
    for url in (f"/referrals/{sent.ref}/withdraw", f"/referrals/{draft.ref}/discard"):
        before = snapshot()
        response = post(client, url, page=f"/referrals/{sent.ref}")
        assert response.status_code == 303 and snapshot() == before
        assert "Tick the box to confirm" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert post(client, f"/referrals/{sent.ref}/withdraw", {"confirm": "y"}, page=f"/referrals/{sent.ref}"
                ).status_code == 303
    assert db.session.get(Referral, sent.id).shredded_at is not None
    assert post(client, f"/referrals/{draft.ref}/discard", {"confirm": "y"}, page=f"/referrals/{sent.ref}"
                ).headers["Location"] == "/referrals/"
    assert db.session.get(Referral, draft.id) is None
