"""Query guard: a list page issues the same number of SQL queries with 10 rows as with 1,000."""
import pytest
from sqlalchemy import insert

from portal.accounts.models import User
from portal.extensions import db
from portal.organisations.models import Membership, Organisation
from tests.factories import OrganisationFactory, StaffFactory, UserFactory, password_hash
from tests.helpers import sign_in


def add_people(n, start):
    db.session.execute(insert(User), [dict(name=f"Bulk {i}", phone=f"+8526{i:07d}", locale="en",
                                           password_hash="x", is_enabled=True, auth_version=1)
                                      for i in range(start, start + n)])
    db.session.commit()
    return [u.id for u in db.session.query(User).filter(User.name.like("Bulk %")).order_by(User.id)][start:start + n]


def add_members(org, n, start=0, state="active"):
    ids = add_people(n, start)
    db.session.execute(insert(Membership), [dict(organisation_id=org.id, user_id=i, role="member", state=state)
                                            for i in ids])
    db.session.commit()


def measure(client, url, count_queries):
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count, response.get_data(as_text=True)


def test_members_list_of_an_organisation(app, client, count_queries):
    org = OrganisationFactory()
    sign_in(client, org.created_by)
    add_members(org, 10)
    ten, html = measure(client, f"/organisations/{org.id}", count_queries)
    assert html.count("<li>") >= 10
    add_members(org, 990, start=10, state="pending")
    thousand, html = measure(client, f"/organisations/{org.id}", count_queries)
    assert html.count("Wants to join") == 50 and "Page 1 of 21" in html  # a page of 50, waiting ones first
    assert ten == thousand, (ten, thousand)


def test_my_organisations_and_home(app, client, count_queries):
    person = UserFactory(password_hash=password_hash())
    person_id = person.id
    sign_in(client, person)

    def join(n):
        orgs = OrganisationFactory.create_batch(n)
        db.session.execute(insert(Membership), [dict(organisation_id=o.id, user_id=person_id, role="member",
                                                     state="active") for o in orgs])
        db.session.commit()
    join(10)
    counts_10 = [measure(client, url, count_queries)[0] for url in ("/organisations/", "/", "/auth/account")]
    join(40)
    counts_50 = [measure(client, url, count_queries)[0] for url in ("/organisations/", "/", "/auth/account")]
    assert counts_10 == counts_50


def test_staff_dashboard(app, client, count_queries):
    sign_in(client, StaffFactory())
    OrganisationFactory.create_batch(10)
    few, _ = measure(client, "/staff/", count_queries)
    db.session.execute(insert(Organisation), [dict(
        name=f"Org {i}", community="thai", languages="th", district="islands", meeting_place="Pier", contact="x",
        membership_size=5, state="pending", version=1, description="") for i in range(1000)])
    db.session.commit()
    many, html = measure(client, "/staff/", count_queries)
    assert ">1000<" in html and few == many


@pytest.mark.parametrize("look_ahead", [500, 5])
def test_catalogue_pages_are_slices_of_one_order_with_the_same_queries(app, client, count_queries, monkeypatch,
                                                                       look_ahead):
    """The catalogue reads the next Sundays' sessions and the others in two parts (portal/catalogue.py):
    every page, the one where the parts meet too, is a slice of one order (the next Sundays first, then by
    time, then by id), and every page costs the same queries. Its counts stop LOOK_AHEAD rows past the page:
    when they stop short (5), the pages are the same and the pager says "Page 1" and Next, without "of"."""
    import re

    import portal.catalogue
    monkeypatch.setattr(portal.catalogue, "LOOK_AHEAD", look_ahead)
    from datetime import timedelta

    from portal.clock import aware, utcnow
    from portal.trainings.models import TrainingSession
    from portal.trainings.queries import next_sundays
    from tests.factories import CourseFactory

    course_id = CourseFactory().id
    sundays = next_sundays(utcnow())
    starts = [sundays[i % 4][0] + timedelta(hours=9 + 2 * (i % 3)) for i in range(25)]  # same hours: ties
    starts += [utcnow() + timedelta(hours=1 + 13 * i) for i in range(35)]  # any day, Sundays included
    db.session.execute(insert(TrainingSession), [dict(
        course_id=course_id, starts_at=s, ends_at=s + timedelta(hours=2), deadline=s - timedelta(minutes=30),
        venue="Hall", capacity=10, taken=0, state="scheduled") for s in starts])
    db.session.commit()

    def on_a_sunday(ts):
        return any(a <= aware(ts.starts_at) < b for a, b in sundays)
    expected = [ts.id for ts in sorted(db.session.query(TrainingSession).all(),
                                       key=lambda ts: (not on_a_sunday(ts), aware(ts.starts_at), ts.id))]
    shown, counts = [], []
    for page in (1, 2, 3):
        with count_queries() as counter:
            html = client.get(f"/trainings/?page={page}").get_data(as_text=True)
        counts.append(counter.count)
        shown += [int(i) for i in re.findall(r'href="/trainings/(\d+)"', html)]
        pager = html.split('class="pager"')[1].split("</nav>")[0]
        if page == 1:
            assert ("Page 1 of 3" in pager) == (look_ahead == 500) and "Next" in pager, pager
        if page == 3:
            assert "Page 3 of 3" in pager and "Next" not in pager, pager
    assert shown == expected
    assert len(set(counts)) == 1, counts


def test_referral_queue_and_the_leaders_list(app, client, count_queries):
    """The staff queue and a leader's list of her organisation's referrals, with 5 referrals and with 60 (from
    several organisations, each with its caseworker)."""
    from portal.clock import utcnow
    from portal.referrals.models import Referral

    def add_referrals(n, start):
        orgs = [OrganisationFactory() for _ in range(3)] if start else [leader_org]
        workers = [StaffFactory(role="caseworker") for _ in range(3)]
        db.session.add_all([Referral(organisation_id=orgs[i % len(orgs)].id, referred_by_id=leader.id,
                                     form_key=f"bulk-{start + i}", state="assigned", categories="wages",
                                     urgency="days", urgency_rank=1, submitted_at=utcnow(),
                                     caseworker_id=workers[i % 3].id) for i in range(n)])
        db.session.commit()

    leader_org = OrganisationFactory()
    leader = leader_org.created_by
    supervisor = StaffFactory(role="supervisor")
    add_referrals(5, 0)
    staff_client = app.test_client()
    sign_in(staff_client, supervisor)
    sign_in(client, leader)
    few_queue, html = measure(staff_client, "/staff/referrals/", count_queries)
    assert html.count('class="card"') == 5
    few_mine, html = measure(client, "/referrals/", count_queries)
    add_referrals(55, 5)
    many_queue, html = measure(staff_client, "/staff/referrals/", count_queries)
    assert html.count('class="card"') == 25  # a page
    many_mine, html = measure(client, "/referrals/", count_queries)
    assert (many_queue, many_mine) == (few_queue, few_mine)


def test_the_directory(app, client, count_queries):
    """The public directory, filtered or not, with 5 services and with 60."""
    from portal.directory.models import Service

    def add(n, start):
        db.session.add_all([Service(organization=f"Partner {i}", name=f"Service {i}", kind="shelter" if i % 3 else "ngo",
                                    languages="fil,id", district="wan_chai", capacity=5 if i % 3 else None, taken=0,
                                    published=True) for i in range(start, start + n)])
        db.session.commit()

    add(5, 0)
    few = [measure(client, url, count_queries)[0] for url in ("/directory/", "/directory/?kind=shelter&language=id")]
    add(55, 5)
    many = [measure(client, url, count_queries) for url in ("/directory/", "/directory/?kind=shelter&language=id")]
    assert many[0][1].count('class="card"') == 25  # a page
    assert [n for n, _ in many] == few


def test_the_campaigns_list_and_a_campaign(app, client, count_queries):
    """/campaigns/, filtered or not, a campaign's page and her shifts, with 4 shifts and with 60 (signed up,
    waiting, with names to show), as anyone and as a volunteer."""
    from datetime import timedelta

    from portal.campaigns import services
    from tests.factories import CampaignFactory, ShiftFactory, future

    from types import SimpleNamespace

    from portal.campaigns.models import Campaign
    cid = CampaignFactory().id
    others = [CampaignFactory().id for _ in range(19)]  # a page's shifts from 20 campaigns: nothing per campaign
    volunteer = SimpleNamespace(email=None, phone=UserFactory().phone)

    def add(n, start):
        for i in range(start, start + n):
            campaign = db.session.get(Campaign, cid if i < 4 or i % 3 == 0 else others[i % 19])
            shift = ShiftFactory(campaign=campaign, starts_at=future(2 + i % 40, hour=9 + i % 8),
                                 ends_at=future(2 + i % 40, hour=9 + i % 8) + timedelta(minutes=30),
                                 role="marshal" if i % 2 else "leafleter", language="id" if i % 3 else "fil")
            person = UserFactory()
            services.sign_up(person, shift, person)
            services.set_media_consent(person, campaign, photos=False, named=bool(i % 2), pseudonym="")
        db.session.commit()

    urls = ("/campaigns/", "/campaigns/?role=marshal&language=id", f"/campaigns/{cid}")
    add(4, 0)
    few = [measure(client, url, count_queries)[0] for url in urls]
    sign_in(client, volunteer)
    few_signed = [measure(client, url, count_queries)[0] for url in (*urls, "/campaigns/mine")]
    client.post("/auth/logout", data={})
    add(56, 4)
    anonymous = client.application.test_client()
    many = [measure(anonymous, url, count_queries) for url in urls]
    assert many[0][1].count('class="card"') == 20  # a page
    assert [n for n, _ in many] == few
    signed = client.application.test_client()
    sign_in(signed, volunteer)
    assert [measure(signed, url, count_queries)[0] for url in (*urls, "/campaigns/mine")] == few_signed
