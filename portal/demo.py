"""Demo data for `make run` and the browser tests: made through the services, as a user would."""
from portal.accounts import services as accounts
from portal.accounts.models import MissionRole
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


def load_demo() -> list[tuple[str, str]]:
    staff = accounts.register("Mission Staff", DEMO_PASSWORD, email="staff@example.org", role=MissionRole.STAFF)
    leader1 = accounts.register("Maria Santos", DEMO_PASSWORD, locale="fil", phone="+852 5123 4001")
    leader2 = accounts.register("Siti Rahayu", DEMO_PASSWORD, locale="id", phone="+852 5123 4002")
    leader3 = accounts.register("Sita Gurung", DEMO_PASSWORD, locale="en", email="sita@example.org")
    member1 = accounts.register("Ana Reyes", DEMO_PASSWORD, locale="fil", phone="+63 917 123 4567")
    member2 = accounts.register("Dewi Lestari", DEMO_PASSWORD, locale="id", phone="0812 3456 7890")
    newcomer = accounts.register("Joy Dela Cruz", DEMO_PASSWORD, locale="fil", phone="+852 5123 4009")

    org1 = orgs.register_organisation(leader1, **ORGS[0])
    org2 = orgs.register_organisation(leader2, **ORGS[1])
    orgs.register_organisation(leader3, **ORGS[2])  # stays pending, for the staff queue
    for org, member in ((org1, member1), (org2, member2)):
        orgs.approve(staff, org)
        orgs.accept_member(org.memberships[0].user, orgs.join(member, org.join_code))
    orgs.join(newcomer, org1.join_code)  # waits for the leader's OK
    return [
        ("Mission staff", "staff@example.org"),
        ("Leader, Filipino organisation", "+85251234001"),
        ("Leader, Indonesian organisation", "+85251234002"),
        ("Leader, pending organisation", "sita@example.org"),
        ("Member (Filipino)", "+639171234567"),
        ("Member (Indonesian)", "+6281234567890"),
        ("Waiting to join", "+85251234009"),
    ]
