"""Demo data for `make run` and the browser tests: made through the services, as a user would."""
from portal.accounts import services as accounts
from portal.accounts.models import MissionRole
from portal.clock import utcnow
from portal.extensions import db
from portal.organisations import services as orgs

DEMO_PASSWORD = "demo-password-2026"

ORGS = [
    dict(name="Samahan ng Kababaihan sa Central", community="filipino", languages=["fil", "en"],
         district="central_western", meeting_place="Chater Garden, Central", contact="+852 5123 4001",
         membership_size=120, description="Filipino women domestic workers meeting every Sunday."),
    dict(name="Persatuan Pekerja Migran Causeway Bay", community="indonesian", languages=["id"],
         district="wan_chai", meeting_place="Victoria Park, Causeway Bay", contact="+852 5123 4002",
         membership_size=80, description="Indonesian migrant workers, Sunday gatherings and trainings."),
    dict(name="Nepali Migrant Sisters Network", community="nepali", languages=["ne", "en"],
         district="yau_tsim_mong", meeting_place="Jordan, near the Methodist church", contact="+852 5123 4003",
         membership_size=25),
]


def _numbers_confirmed(*people) -> None:
    for person in people:
        person.phone_confirmed_at = utcnow()
    db.session.commit()


def load_demo() -> list[tuple[str, str]]:
    staff = accounts.register("Mission Staff", DEMO_PASSWORD, email="staff@example.org", role=MissionRole.STAFF)
    leader1 = accounts.register("Maria Santos", DEMO_PASSWORD, locale="fil", phone="+852 5123 4001")
    leader2 = accounts.register("Siti Rahayu", DEMO_PASSWORD, locale="id", phone="+852 5123 4002")
    leader3 = accounts.register("Sita Gurung", DEMO_PASSWORD, locale="en", email="sita@example.org")
    member1 = accounts.register("Ana Reyes", DEMO_PASSWORD, locale="fil", phone="+63 917 123 4567")
    member2 = accounts.register("Dewi Lestari", DEMO_PASSWORD, locale="id", phone="0812 3456 7890")
    newcomer = accounts.register("Joy Dela Cruz", DEMO_PASSWORD, locale="fil", phone="+852 5123 4009")
    # Their numbers confirmed as if they had typed back the code; Joy has not yet (the page asking her shows).
    _numbers_confirmed(leader1, leader2, member1, member2)

    org1 = orgs.register_organisation(leader1, **ORGS[0])
    org2 = orgs.register_organisation(leader2, **ORGS[1])
    orgs.register_organisation(leader3, **ORGS[2])  # stays pending, for the staff queue
    for org, member in ((org1, member1), (org2, member2)):
        orgs.approve(staff, org)
        orgs.accept_member(org.memberships[0].user, orgs.join(member, org.join_code))
    orgs.join(newcomer, org1.join_code)  # waits for the leader's OK
    _trainings(staff, member1, member2)
    _outreach(leader2, org2)
    supervisor = accounts.register("Eni Supervisor", DEMO_PASSWORD, email="supervisor@example.org",
                                   role=MissionRole.SUPERVISOR)
    caseworker = accounts.register("Cora Caseworker", DEMO_PASSWORD, email="caseworker@example.org",
                                   role=MissionRole.CASEWORKER)
    _directory(staff)
    _referrals(leader1, org1, member1, leader2, org2, supervisor, caseworker)
    shift_lead = accounts.register("Rosa Lim (shift lead)", DEMO_PASSWORD, locale="fil", phone="+852 5123 4010")
    _numbers_confirmed(shift_lead)
    _campaigns(staff, shift_lead, leader1, org1, member1, member2)
    return [
        ("Mission staff", "staff@example.org"),
        ("Supervisor (referrals)", "supervisor@example.org"),
        ("Caseworker (referrals)", "caseworker@example.org"),
        ("Leader, Filipino organisation", "+85251234001"),
        ("Leader, Indonesian organisation", "+85251234002"),
        ("Leader, pending organisation", "sita@example.org"),
        ("Member (Filipino)", "+639171234567"),
        ("Member (Indonesian)", "+6281234567890"),
        ("Waiting to join", "+85251234009"),
        ("Shift lead (campaigns)", "+85251234010"),
    ]


def _trainings(staff, *people):
    """Two courses on the next Sundays, one of them nearly full, and a weekday session."""
    from datetime import datetime, time, timedelta, timezone

    from portal.clock import utcnow
    from portal.trainings import services as trainings
    from portal.trainings.queries import HK, next_sundays
    leap = trainings.create_course(staff, "leap", "fil", {
        "en": ("Know your contract", "Your rights under the standard employment contract: wages, rest days, "
                                     "holidays, termination, and where to go for help."),
        "fil": ("Alamin ang iyong kontrata", "Ang iyong mga karapatan sa kontrata: sahod, day off, holiday, "
                                             "pagtatapos ng kontrata, at saan hihingi ng tulong."),
        "id": ("Kenali kontrak kerja Anda", "Hak Anda dalam kontrak kerja: gaji, hari libur, cuti, pemutusan "
                                            "kontrak, dan ke mana minta bantuan."),
    })
    wite = trainings.create_course(staff, "wite", "id", {
        "en": ("Safe at work", "Recognising abuse and harassment, and what you can do."),
        "id": ("Aman di tempat kerja", "Mengenali kekerasan dan pelecehan, dan apa yang bisa Anda lakukan."),
    })
    sundays = next_sundays(utcnow())
    for i, (start, _end) in enumerate(sundays[:3]):
        day = start + timedelta(hours=8)  # the Sunday in Hong Kong, as a date
        at = lambda h: datetime.combine(day.astimezone(HK).date(), time(h), HK).astimezone(timezone.utc)  # noqa: E731
        if at(13) - timedelta(days=2) <= utcnow():
            continue
        trainings.create_session(staff, leap, at(13), at(16), 20 if i else 2,
                                 venue="Mission office, St John's Cathedral, Central")
        trainings.create_session(staff, wite, at(10), at(12), 15, venue="Victoria Park, Causeway Bay")
    _materials(staff, leap)
    weekday = utcnow().astimezone(HK) + timedelta(days=10)
    at = datetime.combine(weekday.date(), time(19), HK).astimezone(timezone.utc)
    trainings.create_session(staff, leap, at, at + timedelta(hours=2), 12, venue="Mission office, Central")


def _campaigns(staff, lead, leader, org, *volunteers):
    """A campaign with shifts on the next Sundays, one nearly full, a shift lead, and volunteers signed up (one
    by her leader)."""
    from datetime import datetime, time, timedelta, timezone

    from portal.campaigns import services as campaigns
    from portal.catalogue import next_sundays
    from portal.clock import HK, today_hk, utcnow
    today = today_hk()
    campaign = campaigns.create_campaign(staff, {
        "en": ("A full rest day for every worker", "24 hours of rest every week, and no work on the rest day. "
                                                   "Join the leafleting and the rally."),
        "fil": ("Buong araw ng pahinga para sa bawat manggagawa", "24 na oras na pahinga bawat linggo, at walang "
                                                                  "trabaho sa araw ng pahinga. Sumali sa pamimigay "
                                                                  "ng leaflet at sa rally."),
        "id": ("Hari libur penuh untuk setiap pekerja", "24 jam istirahat setiap minggu, tanpa kerja di hari "
                                                        "libur. Ikut membagikan selebaran dan aksi."),
    }, today, today + timedelta(days=60), public=True)
    shifts = []
    for i, (start, _end) in enumerate(next_sundays(utcnow())[:3]):
        day = (start + timedelta(hours=8)).astimezone(HK).date()
        at = lambda h: datetime.combine(day, time(h), HK).astimezone(timezone.utc)  # noqa: E731
        if at(10) <= utcnow() + timedelta(hours=2):
            continue
        shifts.append(campaigns.create_shift(
            staff, campaign, activity="leafleting", role="leafleter", language="fil", place="Chater Road, Central",
            map_url="https://www.openstreetmap.org/?mlat=22.2812&mlon=114.1588#map=18/22.2812/114.1588",
            starts_at=at(10), ends_at=at(13), capacity=3 if i == 0 else 12, bring_keys=["water", "umbrella"],
            lead=lead))
        rally = campaigns.create_shift(staff, campaign, activity="rally", role="marshal", language="id",
                               place="Victoria Park, Causeway Bay", starts_at=at(14), ends_at=at(17), capacity=8,
                               bring_keys=["water", "white_shirt"], bring_note="A whistle if you have one")
        campaigns.sign_up(volunteers[1], rally, volunteers[1])
    if shifts:
        campaigns.sign_up(volunteers[0], shifts[0], volunteers[0])  # the nearly full one: 1 place left
        campaigns.sign_up(leader, shifts[0], leader)
    if len(shifts) > 1:
        campaigns.sign_up(leader, shifts[1], volunteers[0], org)  # a member, signed up by her leader
    return campaign


def _outreach(leader, org):
    """A pending request for a training at the organisation's Sunday spot, for the staff list."""
    from datetime import timedelta

    from portal.clock import today_hk
    from portal.trainings import services as trainings
    today = today_hk()
    sunday = today + timedelta(days=(6 - today.weekday()) % 7 or 7)
    trainings.request_outreach(leader, org, "wite", "id", 30, [sunday + timedelta(weeks=3), sunday + timedelta(weeks=4)],
                               "We meet near the fountain in Victoria Park.")


def _materials(staff, course):
    """A material with a short text version in three languages, attached to the course."""
    from portal.trainings.materials import services as materials
    m = materials.create_material(staff, "Your contract: a checklist", "leap", course_id=course.id,
                                  summary="Ten things to check in your employment contract.")
    materials.add_version(staff, m, "en", text="## Check your contract\n\n- Your wage is at least the "
                          "Minimum Allowable Wage.\n- One rest day every week: 24 hours.\n- Statutory "
                          "holidays are yours.\n- Keep a copy of the contract yourself.")
    materials.add_version(staff, m, "fil", title="Ang iyong kontrata: checklist",
                          text="## Suriin ang iyong kontrata\n\n- Ang sahod mo ay hindi bababa sa Minimum "
                               "Allowable Wage.\n- Isang day off bawat linggo: 24 oras.\n- Sa iyo ang mga "
                               "statutory holiday.\n- Magtago ng sariling kopya ng kontrata.")
    materials.add_version(staff, m, "id", title="Kontrak Anda: daftar periksa",
                          text="## Periksa kontrak Anda\n\n- Gaji Anda paling sedikit Minimum Allowable "
                               "Wage.\n- Satu hari libur setiap minggu: 24 jam.\n- Hari libur resmi adalah "
                               "hak Anda.\n- Simpan salinan kontrak sendiri.")


def _referrals(leader1, org1, member1, leader2, org2, supervisor, caseworker):
    """Referrals in several states: a draft, one waiting for the Mission, one declined, and one a caseworker
    works with a shared and an internal note and a hearing date."""
    from datetime import timedelta

    from portal.referrals import services as referrals
    today = referrals.today()

    def referral(leader, org, key, categories, urgency, story, name, language, member=None, ended=None):
        r = referrals.start(leader, org, key, member_id=member.id if member else None)
        referrals.save_what(leader, r, categories, urgency, story)
        referrals.save_dates(leader, r, ended)
        referrals.save_worker(leader, r, name, None, None, language, language not in ("en", "fil"))
        referrals.save_contact(leader, r, ["sms"], ["sun"], "after 21:00", True, True)
        referrals.save_employer(leader, r, "(demo) Employer", "+852 2123 0000", "Mid-Levels", "")
        return r

    referrals.start(leader1, org1, "demo-draft-referral-1")
    waiting = referral(leader2, org2, "demo-referral-waiting", ["shelter", "abuse"], "now",
                       "She left her employer's flat last night and has nowhere to stay.", "(demo) Wati", "id")
    declined = referral(leader1, org1, "demo-referral-declined", ["other"], "normal",
                        "Wants to change employer.", "(demo) Liza", "fil")
    working = referral(leader1, org1, "demo-referral-working", ["wages", "termination"], "days",
                       "Dismissed without notice; two months' wages unpaid.", member1.name, "fil", member=member1,
                       ended=today - timedelta(days=5))
    for r, leader in ((waiting, leader2), (declined, leader1), (working, leader1)):
        referrals.record_consent(leader, r, "in_person", today)
        referrals.submit(leader, r)
    referrals.decline(supervisor, declined, "not_ours")
    referrals.triage(supervisor, working, "leap", "days")
    referrals.accept(supervisor, working)
    referrals.assign(supervisor, working, caseworker)
    referrals.add_date(caseworker, working, "conciliation", today + timedelta(days=12))
    referrals.add_note(caseworker, working, "Called her on Sunday; the claim form is filled in.", shared=True)
    referrals.add_note(caseworker, working, "Employer's agency has a record of complaints.", shared=False)


DIRECTORY = [
    dict(organization="Bethune House Migrant Women's Refuge", name="Temporary shelter", kind="shelter",
         description="A safe place to stay for women migrant workers in crisis, with meals and counselling.",
         languages=["fil", "id", "en"], hours="Every day, 24 hours", district="yau_tsim_mong",
         address="Jordan, Kowloon", phone="+852 2721 3119", eligibility="Women migrant workers in crisis",
         capacity=6),
    dict(organization="Mission For Migrant Workers", name="Paralegal help (LEAP)", kind="legal_aid",
         description="Labour Department claims, Immigration, Police and legal aid: help with the papers.",
         languages=["fil", "en"], hours="Sunday 10:00-17:00", district="central_western",
         address="St John's Cathedral, Central", phone="+852 2522 8264"),
    dict(organization="Consulate General of Indonesia", name="Citizen services", kind="consulate",
         description="Passports, documents and help for Indonesian citizens.", languages=["id"],
         hours="Monday to Friday 9:00-17:00", district="wan_chai", address="Causeway Bay", phone="+852 3651 0200"),
    dict(organization="Helpline for domestic workers", name="Hotline", kind="hotline",
         description="Advice by phone in your language.", languages=["fil", "id", "en"],
         hours="Every day 9:00-21:00", phone="+852 2111 0000"),
]


def _directory(staff):
    """Partner services of the directory, one of them a shelter with beds."""
    from portal.directory import services as directory
    for entry in DIRECTORY:
        directory.create(staff, {"published": True, **entry})
