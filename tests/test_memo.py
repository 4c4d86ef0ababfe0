"""What a request remembers (portal/memo.py) and the catalogue it translates with (portal/extensions.py)."""
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.memo import remembered
from portal.organisations import services
from portal.organisations.models import MemberRole, Membership, OrgState
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.helpers import sign_in


def test_a_request_asks_once_and_forgets_at_a_write(app):
    asked = []

    def ask():
        asked.append(1)
        return len(asked)

    with app.test_request_context("/"):
        assert remembered("k", ask) == 1 and remembered("k", ask) == 1
        db.session.add(UserFactory.build())
        db.session.flush()  # any write: the answer may be stale
        assert remembered("k", ask) == 2
        db.session.rollback()
        assert remembered("k", ask) == 3
        db.session.execute(select(Membership.id))  # a read keeps it
        assert remembered("k", ask) == 3
    with app.test_request_context("/"):  # a new request starts afresh
        assert remembered("k", ask) == 4


def test_nothing_is_remembered_outside_a_request():
    asked = []
    remembered("k", lambda: asked.append(1))
    remembered("k", lambda: asked.append(1))
    assert len(asked) == 2


def test_a_permission_asked_after_a_change_in_the_same_request_sees_the_change(app):
    m = MembershipFactory(role=MemberRole.MEMBER)
    leader = MembershipFactory(organisation=m.organisation, role=MemberRole.LEADER).user
    db.session.commit()
    with app.test_request_context("/"):
        assert not services.can_manage(m.user, m.organisation)
        services.set_role(leader, m, "coleader")
        assert services.can_manage(m.user, m.organisation)
        outsider = UserFactory()
        assert services.membership_of(outsider, m.organisation) is None
        db.session.add(Membership(organisation=m.organisation, user=outsider, role=MemberRole.MEMBER))
        db.session.commit()
        assert services.membership_of(outsider, m.organisation) is not None


def test_the_organisation_page_asks_for_the_membership_once(app, client, count_queries):
    org = OrganisationFactory(state=OrgState.APPROVED)
    leader = MembershipFactory(organisation=org, role=MemberRole.LEADER).user
    db.session.commit()
    sign_in(client, leader)
    url = f"/organisations/{org.id}"
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    asked = [s for s in counter.statements if "FROM memberships" in s and "memberships.user_id =" in s]
    assert len(asked) == 1, asked


def test_lazy_labels_follow_a_change_of_language_within_a_request(app):
    label = _l("Approve")
    with app.test_request_context("/"):
        english = str(label)
        with force_locale("fil"):
            filipino = str(label)
        with force_locale("id"):
            indonesian = str(label)
        assert str(label) == english == "Approve"
        assert len({english, filipino, indonesian}) == 3
