"""Organisations: registration, approval, join codes and membership rules."""
import re

import pytest
from sqlalchemy import insert, select

from portal.audit import AuditLog
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.organisations import services
from portal.organisations.models import MemberRole, Membership, MemberState, Organisation, OrgState
from portal.web import NotAllowed
from tests.factories import MembershipFactory, OrganisationFactory, StaffFactory, UserFactory
from tests.helpers import post, sign_in

PROFILE = dict(name="Bagong Samahan", community="filipino", languages=["fil", "en"], district="wan_chai",
               meeting_place="Southorn Playground", contact="+852 5123 9999", membership_size=30,
               description="")


def audit_actions(entity):
    return [a.action for a in db.session.scalars(select(AuditLog).where(
        AuditLog.entity_type == entity.__tablename__, AuditLog.entity_id == entity.id).order_by(AuditLog.id))]


def test_registered_organisation_is_pending_with_its_leader(app):
    user = UserFactory()
    org = services.register_organisation(user, **PROFILE)
    assert org.state == OrgState.PENDING and org.join_code is None
    m = services.membership_of(user, org)
    assert m.role == MemberRole.LEADER and m.state == MemberState.ACTIVE
    assert org.language_list == ["fil", "en"]
    assert audit_actions(org) == ["organisation.registered"]


def test_same_name_cannot_be_registered_twice(app):
    services.register_organisation(UserFactory(), **PROFILE)
    with pytest.raises(services.NameTaken):
        services.register_organisation(UserFactory(), **{**PROFILE, "name": "bagong samahan "})


def test_approval_gives_a_join_code_audits_and_tells_the_leader_in_her_language(app):
    leader = UserFactory(locale="id")
    org = services.register_organisation(leader, **PROFILE)
    staff = StaffFactory()
    services.approve(staff, org)
    assert org.state == OrgState.APPROVED and len(org.join_code) == 8
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "organisation.approved")).one()
    assert row.actor_id == staff.id and row.entity_id == org.id
    msg = db.session.scalars(select(OutboxMessage)).one()
    assert msg.user_id == leader.id and msg.locale == "id" and msg.kind == "org_approved"


def test_rejection_has_a_reason_and_can_be_corrected_and_sent_again(app):
    leader = UserFactory(locale="fil")
    org = services.register_organisation(leader, **PROFILE)
    services.reject(StaffFactory(), org, "incomplete", "Please add the meeting time")
    assert org.state == OrgState.REJECTED and org.reject_reason == "incomplete"
    assert db.session.scalars(select(OutboxMessage)).one().kind == "org_rejected"
    with pytest.raises(services.AlreadyDecided):
        services.approve(StaffFactory(), org)
    services.update_profile(leader, org, **{**PROFILE, "meeting_place": "Chater Road"})
    assert org.state == OrgState.PENDING and org.reject_reason is None
    assert audit_actions(org) == ["organisation.registered", "organisation.rejected", "organisation.updated"]


def test_a_decision_is_taken_once(app):
    org = services.register_organisation(UserFactory(), **PROFILE)
    services.approve(StaffFactory(), org, expected_state="pending")
    with pytest.raises(services.AlreadyDecided):
        services.reject(StaffFactory(), org, "other", expected_state="pending")
    assert org.state == OrgState.APPROVED


def test_only_mission_staff_decide(app):
    org = services.register_organisation(UserFactory(), **PROFILE)
    with pytest.raises(NotAllowed):
        services.approve(UserFactory(), org)
    assert org.state == OrgState.PENDING and audit_actions(org) == ["organisation.registered"]


def test_join_accept_coleader_remove(app):
    org = OrganisationFactory()
    leader, member, helper = org.created_by, UserFactory(), UserFactory()
    m = services.join(member, org.join_code.lower())
    assert m.state == MemberState.PENDING and not services.can_view(member, org)
    with pytest.raises(services.AlreadyMember):
        services.join(member, org.join_code)
    services.accept_member(leader, m)
    assert m.state == MemberState.ACTIVE and services.can_view(member, org)
    h = services.join(helper, org.join_code)
    services.accept_member(leader, h)
    services.set_role(leader, h, "coleader")
    assert services.can_manage(helper, org) and not services.is_leader(helper, org)
    with pytest.raises(NotAllowed):
        services.set_role(helper, m, "coleader")  # only the leader names co-leaders
    services.remove_member(helper, m)  # a co-leader may remove a member
    assert m.state == MemberState.REMOVED and not services.can_view(member, org)
    with pytest.raises(services.LastLeader):
        services.remove_member(helper, services.membership_of(leader, org))
    # Each request came to an empty queue: the leader was told each time; each accepted member was told.
    assert [(r.kind, r.user_id) for r in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))] == [
        ("join_request", leader.id), ("member_accepted", member.id),
        ("join_request", leader.id), ("member_accepted", helper.id)]


def test_wrong_or_unapproved_codes_are_refused(app):
    pending = OrganisationFactory(state=OrgState.PENDING)
    with pytest.raises(services.BadJoinCode):
        services.join(UserFactory(), pending.join_code)
    with pytest.raises(services.BadJoinCode):
        services.join(UserFactory(), "NOPE")
    with pytest.raises(services.BadJoinCode):
        services.join(UserFactory(), "")


def test_rotated_code_replaces_the_old_one(app):
    org = OrganisationFactory()
    old = org.join_code
    new = services.rotate_join_code(org.created_by, org)
    assert new != old
    with pytest.raises(services.BadJoinCode):
        services.join(UserFactory(), old)
    services.join(UserFactory(), new)
    with pytest.raises(NotAllowed):
        services.rotate_join_code(UserFactory(), org)


def test_a_person_may_belong_to_several_organisations(app):
    person = UserFactory()
    a, b = OrganisationFactory(), OrganisationFactory()
    for org in (a, b):
        services.accept_member(org.created_by, services.join(person, org.join_code))
    assert {m.organisation_id for m in services.memberships_for(person)} == {a.id, b.id}


def test_a_member_can_leave_and_join_again(app):
    m = MembershipFactory()
    services.remove_member(m.user, m)
    assert m.state == MemberState.REMOVED
    again = services.join(m.user, m.organisation.join_code)
    assert again.id == m.id and again.state == MemberState.PENDING


# --- over HTTP, as the people who use it ---

def test_leader_registers_then_staff_approves_inline_then_member_joins(app, client):
    leader = UserFactory()
    sign_in(client, leader)
    data = {**PROFILE, "languages": ["fil", "en"]}
    response = post(client, "/organisations/register", data, page="/organisations/register")
    assert response.status_code == 303
    org = db.session.scalars(select(Organisation)).one()
    assert "Waiting for approval" in client.get(response.headers["Location"]).get_data(as_text=True)
    post(client, "/auth/logout")

    sign_in(client, StaffFactory())
    queue = client.get("/staff/organisations").get_data(as_text=True)
    assert "Bagong Samahan" in queue
    response = post(client, f"/staff/organisations/{org.id}/approve", {"expected_state": "pending"},
                    page="/staff/organisations", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith(f'<li class="card" id="org-{org.id}">')
    assert "was approved" in html and "<html" not in html
    post(client, "/auth/logout")

    member = UserFactory()
    sign_in(client, member)
    db.session.refresh(org)
    response = post(client, "/organisations/join", {"code": org.join_code}, page="/organisations/join")
    assert response.status_code == 303
    post(client, "/auth/logout")

    sign_in(client, leader)
    m = services.membership_of(member, org)
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert org.join_code in page and "Wants to join" in page
    response = post(client, f"/organisations/{org.id}/members/{m.id}/accept", page=f"/organisations/{org.id}")
    assert response.status_code == 303
    db.session.refresh(m)
    assert m.state == MemberState.ACTIVE


def test_reject_by_plain_form_shows_the_reason_to_the_leader_in_her_language(app, client):
    leader = UserFactory(locale="id")
    org = services.register_organisation(leader, **PROFILE)
    sign_in(client, StaffFactory())
    response = post(client, f"/staff/organisations/{org.id}/reject",
                    {"reason": "duplicate", "note": "", "expected_state": "pending"}, page="/staff/organisations")
    assert response.status_code == 303
    post(client, "/auth/logout")
    sign_in(client, leader)
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert '<html lang="id">' in page
    from flask_babel import force_locale, gettext
    with force_locale("id"):
        assert gettext("This organisation is already registered") in page


def test_double_approve_gets_a_message_and_changes_nothing(app, client):
    org = services.register_organisation(UserFactory(), **PROFILE)
    sign_in(client, StaffFactory())
    for _ in range(2):
        response = post(client, f"/staff/organisations/{org.id}/approve", {"expected_state": "pending"},
                        page="/staff/organisations")
        assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "already decided" in page
    assert audit_actions(org).count("organisation.approved") == 1


def test_staff_queue_filters_and_searches(app, client):
    OrganisationFactory(name="Alpha Union", state=OrgState.PENDING, community="nepali")
    OrganisationFactory(name="Beta Group", state=OrgState.PENDING, community="filipino")
    OrganisationFactory(name="Gamma 100% Club", state=OrgState.APPROVED)
    sign_in(client, StaffFactory())
    assert "Beta Group" in client.get("/staff/organisations?q=beta").get_data(as_text=True)
    assert "Alpha Union" not in client.get("/staff/organisations?q=beta").get_data(as_text=True)
    html = client.get("/staff/organisations?community=nepali").get_data(as_text=True)
    assert "Alpha Union" in html and "Beta Group" not in html
    html = client.get("/staff/organisations?state=approved&q=100%25").get_data(as_text=True)
    assert "Gamma 100% Club" in html
    html = client.get("/staff/organisations?q=%25").get_data(as_text=True)  # % is a letter here, not a wildcard
    assert "Alpha Union" not in html
    fragment = client.get("/staff/organisations?q=alpha", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="results">') and "Alpha Union" in fragment
    # A state that does not exist: said so, and the default list (waiting for approval) is shown.
    html = client.get("/staff/organisations?state=deleted").get_data(as_text=True)
    assert "This filter could not be used" in html and "Alpha Union" in html and "Gamma 100% Club" not in html


def _pending(n, start=0):
    leader = UserFactory()
    db.session.execute(insert(Organisation), [
        dict(name=f"Pending {i}", community="thai", languages="th", district="islands", meeting_place="Pier",
             contact="x", membership_size=5, state="pending", created_by_id=leader.id, version=1,
             description="") for i in range(start, start + n)])
    db.session.commit()


def test_staff_queue_query_count_is_the_same_for_10_and_1000_pending(app, client, count_queries):
    sign_in(client, StaffFactory())
    _pending(10)
    with count_queries() as ten:
        assert "10 organisations" in client.get("/staff/organisations").get_data(as_text=True)
    _pending(990, start=10)
    with count_queries() as thousand:
        assert "1000 organisations" in client.get("/staff/organisations").get_data(as_text=True)
    print(f"staff queue queries: 10 pending -> {ten.count}, 1000 pending -> {thousand.count}")
    assert ten.count == thousand.count


def test_member_cannot_manage_and_other_leader_cannot_see(app, client):
    org = OrganisationFactory()
    m = MembershipFactory(organisation=org)
    other = OrganisationFactory()
    sign_in(client, other.created_by)
    assert client.get(f"/organisations/{org.id}").status_code == 403
    assert post(client, f"/organisations/{org.id}/members/{m.id}/remove").status_code == 403
    post(client, "/auth/logout")
    sign_in(client, m.user)
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert org.join_code not in page
    assert post(client, f"/organisations/{org.id}/code").status_code == 403
    assert post(client, f"/organisations/{other.id}/members/{m.id}/remove").status_code == 404


# --- issue 10, finding 10: a new name waits for the Mission; audit rows name what changed ---

def _approved(leader):
    org = services.register_organisation(leader, **PROFILE)
    services.approve(StaffFactory(), org)
    return org


def test_an_approved_organisations_new_name_waits_for_the_mission(app, client):
    leader = UserFactory(locale="fil")
    org = _approved(leader)
    sign_in(client, leader)
    response = post(client, f"/organisations/{org.id}/edit",
                    {**PROFILE, "name": "Mission For Migrant Workers - official", "meeting_place": "Chater Road"},
                    page=f"/organisations/{org.id}/edit")
    assert response.status_code == 303
    db.session.refresh(org)
    # The rest of the profile is live; the name is not, anywhere a member or another organisation looks.
    assert org.name == "Bagong Samahan" and org.meeting_place == "Chater Road"
    assert org.pending_name == "Mission For Migrant Workers - official"
    member = MembershipFactory(organisation=org).user
    other = client.application.test_client()
    sign_in(other, member)
    assert "Mission For Migrant Workers - official" not in other.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "Mission For Migrant Workers - official" in client.get(f"/organisations/{org.id}").get_data(as_text=True)
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "organisation.updated")).one()
    assert row.details == {"changed": ["meeting_place"], "name": "waiting"}
    assert "Chater Road" not in str(row.details)  # the fields, not what they hold
    # The Mission sees it in its queue and decides.
    staff = client.application.test_client()
    sign_in(staff, StaffFactory())
    queue = staff.get("/staff/organisations?state=renamed").get_data(as_text=True)
    assert "Mission For Migrant Workers - official" in queue and "Approve the new name" in queue
    assert post(staff, f"/staff/organisations/{org.id}/name/reject").status_code == 303
    db.session.refresh(org)
    assert org.name == "Bagong Samahan" and org.pending_name is None
    assert db.session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id.desc())).first() == \
        "org_name_rejected"


def test_the_mission_approves_a_new_name(app):
    leader = UserFactory()
    org = _approved(leader)
    services.update_profile(leader, org, **{**PROFILE, "name": "Samahan ng Kababaihan"})
    assert org.name == "Bagong Samahan"
    services.approve_name(StaffFactory(), org)
    assert org.name == "Samahan ng Kababaihan" and org.pending_name is None
    assert audit_actions(org)[-2:] == ["organisation.updated", "organisation.name_approved"]
    with pytest.raises(services.AlreadyDecided):
        services.approve_name(StaffFactory(), org)
    with pytest.raises(NotAllowed):
        services.reject_name(leader, org)


def test_a_registration_not_yet_approved_is_renamed_at_once(app):
    leader = UserFactory()
    org = services.register_organisation(leader, **PROFILE)
    services.update_profile(leader, org, **{**PROFILE, "name": "Another Name"})
    assert org.name == "Another Name" and org.pending_name is None
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "organisation.updated")).one()
    assert row.details == {"changed": ["name"]}


def test_staff_decide_on_the_name_they_saw(app, client):
    """The leader asks for a name, staff open the queue, the leader asks for another: the approval of what
    staff saw must not approve the other."""
    leader = UserFactory()
    org = _approved(leader)
    services.update_profile(leader, org, **{**PROFILE, "name": "Samahan ng Kababaihan HK"})
    sign_in(client, StaffFactory())
    queue = client.get("/staff/organisations?state=renamed").get_data(as_text=True)
    assert "Samahan ng Kababaihan HK" in queue
    seen = re.search(r'name="seen" value="(\d+)"', queue).group(1)
    services.update_profile(leader, org, **{**PROFILE, "name": "Mission For Migrant Workers - official"})
    response = post(client, f"/staff/organisations/{org.id}/name/approve", {"seen": seen})
    assert response.status_code == 303
    db.session.refresh(org)
    assert org.name == "Bagong Samahan" and org.pending_name == "Mission For Migrant Workers - official"
    assert "changed while you were looking" in client.get("/staff/organisations?state=renamed").get_data(as_text=True)
    # The same for a registration changed while it waited: approving what was seen is refused.
    pending = services.register_organisation(UserFactory(), **{**PROFILE, "name": "Another Samahan"})
    seen = pending.version
    services.update_profile(pending.created_by, pending, **{**PROFILE, "name": "Changed Samahan"})
    with pytest.raises(services.ChangedMeanwhile):
        services.approve(StaffFactory(), pending, "pending", seen_version=seen)


def test_two_staff_deciding_at_the_same_moment_get_a_page_not_an_error(app, client, monkeypatch):
    """The organisation's row changes between her reading it and saving (its version moves on): she is told,
    nothing of hers is saved, never a 500."""
    org = OrganisationFactory(state=OrgState.PENDING)
    sign_in(client, StaffFactory())
    real = services.approve

    def meanwhile(*args, **kwargs):
        db.session.execute(Organisation.__table__.update().where(Organisation.id == org.id)
                           .values(version=Organisation.version + 1))
        return real(*args, **kwargs)
    monkeypatch.setattr(services, "approve", meanwhile)
    assert post(client, f"/staff/organisations/{org.id}/approve", {"expected_state": "pending"}).status_code == 303
    assert "Someone else changed this at the same moment" in client.get("/staff/organisations").get_data(as_text=True)
    db.session.refresh(org)
    assert org.state == OrgState.PENDING
