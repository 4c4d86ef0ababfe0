"""Fill an empty database with a large, realistic data set for the load benchmark (bench/load.py).

    .venv/bin/python -m bench.seed_large                      # SQLite file instance/bench.db
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.seed_large
    .venv/bin/python -m bench.seed_large --database-url sqlite:////tmp/other.db --force

The schema is made by the migrations (Flask-Migrate's upgrade()) first. The script refuses a
database that already has accounts unless --force is given (then it empties every table of the
schema first), and it never touches instance/portal.db.

5,000 organisations (about 88 % approved, 10 % pending, 2 % not approved) and 50,000 people with
unique Hong Kong mobile numbers, each in one or more organisations (one leader per organisation,
co-leaders in some, members mostly active, some waiting, a few removed), a few Mission staff
accounts, and the audit rows of the registrations and decisions. Everyone shares one password
hash (BENCH_PASSWORD), computed once. Rows go in with SQLAlchemy Core insert() in chunks.

Later features add their data with a step: a function taking the Seed (its connection, random
generator, the rows made so far, and insert()) appended to SEED_STEPS, e.g.

    def seed_trainings(s: Seed) -> None:
        sessions = [dict(id=i, ...) for i in s.new_ids("training_sessions", 2000)]
        s.insert(TrainingSession, sessions)
        s.rows["training_sessions"] = sessions

    SEED_STEPS.append(seed_trainings)
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import phonenumbers
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.engine import Connection, make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.config import INSTANCE, DevelopmentConfig  # noqa: E402

BENCH_PASSWORD = "bench-password-2026"
DEFAULT_SQLITE = INSTANCE / "bench.db"
PROTECTED = INSTANCE / "portal.db"  # the app's own database: never seeded, never emptied
CHUNK = 5000
STAFF_COUNT = 5
STAFF_EMAIL = "staff{n}@bench.example.org"


def database_url(raw: str | None) -> str:
    """The URL to seed: --database-url, else DATABASE_URL, else instance/bench.db. postgresql:// (and
    postgres://) URLs get the psycopg 3 driver the app uses; a relative SQLite path is made absolute
    the way Flask-SQLAlchemy reads it (relative to instance/), so that gunicorn opens the same file."""
    url = raw or os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"
    url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:" \
            and not u.database.startswith("file:") and not Path(u.database).is_absolute():
        url = u.set(database=str(INSTANCE / u.database)).render_as_string(hide_password=False)
    return url


def refuse_protected(url: str) -> None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return
    if not u.database or u.database == ":memory:" or u.database.startswith("file:"):
        sys.exit("Give the SQLite database as a file path, e.g. sqlite:////abs/path/bench.db.")
    if Path(u.database).resolve() == PROTECTED.resolve():
        sys.exit(f"Refusing to use {PROTECTED}: that is the app's own database. Use instance/bench.db.")


def bench_config(url: str):
    """The development settings (the same argon2 parameters gunicorn uses), on the given database."""
    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
    return BenchConfig()


# --- the seed: shared state for the steps ---

@dataclass
class Seed:
    conn: Connection
    rng: random.Random
    now: datetime
    password_hash: str
    n_orgs: int
    n_people: int
    rows: dict[str, list[dict]] = field(default_factory=dict)  # what earlier steps made, by name
    counts: dict[str, int] = field(default_factory=dict)       # rows inserted, by table
    sign_ins: list[tuple[str, str]] = field(default_factory=list)
    _next_id: dict[str, int] = field(default_factory=dict)

    def new_ids(self, table: str, n: int) -> range:
        """Explicit primary keys, so that later rows can point at earlier ones without a round trip."""
        start = self._next_id.get(table, 1)
        self._next_id[table] = start + n
        return range(start, start + n)

    def start_in_catalogue(self, today, hours: list[int]) -> datetime:
        """A start half a year back to a year ahead, most on a Sunday, at one of `hours` in Hong Kong."""
        day = today + timedelta(days=self.rng.randint(-180, 365))
        if self.rng.random() < 0.8:
            day += timedelta(days=(6 - day.weekday()) % 7)
        hk = timezone(timedelta(hours=8))
        return datetime(day.year, day.month, day.day, self.rng.choice(hours), tzinfo=hk).astimezone(timezone.utc)

    def held_places(self, parent: str, row_id: int, people: list[int], n: int) -> list[dict]:
        """`n` people's held places (capacity.HeldPlace rows) of one row, chosen at random."""
        return [{parent: row_id, "user_id": user_id, "state": "booked", "created_at": self.now,
                 "changed_at": self.now} for user_id in self.rng.sample(people, n)]

    def insert_numbered(self, model, table: str, rows: list[dict]) -> None:
        """Insert rows made without their ids, numbering them first (new_ids)."""
        for row, row_id in zip(rows, self.new_ids(table, len(rows))):
            row["id"] = row_id
        self.insert(model, rows)

    def insert(self, model, rows: list[dict], chunk: int = CHUNK) -> None:
        table = getattr(model, "__table__", model)
        for i in range(0, len(rows), chunk):
            self.conn.execute(insert(table), rows[i:i + chunk])
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)

    def moment(self, start: datetime, end: datetime | None = None) -> datetime:
        end = end or self.now
        if end <= start:
            return end
        return start + timedelta(seconds=self.rng.uniform(0, (end - start).total_seconds()))


# --- vocabulary ---

COMMUNITY_WEIGHTS = {"filipino": 40, "indonesian": 36, "nepali": 8, "thai": 5, "sri_lankan": 5, "mixed": 6}

FIRST = {
    "filipino": "Maria Ana Rosalie Jocelyn Marites Lorna Cristina Evelyn Josephine Rowena Leonora Gemma Liza "
                "Divina Analyn Mary-Jane Rhodora Marilou Teresita Imelda Shirley Nenita Janet Rosemarie Grace "
                "Edna Norma Arlene Maricel Joy Lourdes Carmelita Myrna Dolores Rebecca Violeta".split(),
    "indonesian": "Siti Sri Dewi Nur Eni Rina Yuni Wati Sumiati Partini Tri Endang Lestari Rahayu Ani Iin "
                  "Fitri Umi Kartini Sari Novi Ika Nining Suryani Wulan Ayu Indah Ratna Yanti Lilis Tutik".split(),
    "nepali": "Sita Gita Sarita Kamala Maya Sabina Anita Bimala Laxmi Sunita Radha Pooja Manisha Durga Sangita".split(),
    "thai": "Malee Siriporn Nok Pranee Wanida Kanya Sunee Ratana Somjit Duangjai Pimchanok Arunee Jintana".split(),
    "sri_lankan": "Nimali Kumari Chamari Dilani Sandya Priyanka Anoma Shiromi Malani Nirosha Iresha Sewwandi".split(),
}
LAST = {
    "filipino": "Santos Reyes Cruz Bautista Ocampo Garcia Mendoza Torres Tomas Andrada Castillo Flores Villanueva "
                "Ramos Castro Rivera Aquino Navarro Salazar Mercado Dela-Cruz De-Leon Pascual Manalo Soriano "
                "Gonzales Lopez Aguilar Domingo Valdez Dizon Tolentino Javier Sison".split(),
    "indonesian": "Rahayu Lestari Wahyuni Handayani Susanti Kurniasih Puspitasari Suparti Maryani Sulastri Rohmah "
                  "Hidayah Anggraini Permatasari Ningsih Astuti Wulandari Safitri Utami Pratiwi Setyawati".split(),
    "nepali": "Gurung Rai Limbu Tamang Magar Sherpa Thapa Shrestha Karki Adhikari Bhandari Pun Ghale".split(),
    "thai": "Srisuk Chaiyaphum Boonmee Saetang Wongsa Phromma Kaewmanee Thongdee Suksawat Rattanakorn".split(),
    "sri_lankan": "Perera Fernando De-Silva Jayasuriya Wickramasinghe Bandara Herath Dissanayake Gunawardena "
                  "Kumari Rathnayake".split(),
}
LOCALE = {"filipino": "fil", "indonesian": "id"}

PLACES = ["Central", "Causeway Bay", "Wan Chai", "Mong Kok", "Tsim Sha Tsui", "Tsuen Wan", "Sha Tin",
          "Yuen Long", "Tuen Mun", "Tai Po", "Kwai Chung", "Tung Chung", "North Point", "Sham Shui Po"]
ORG_NAMES = {
    "filipino": [
        ("Samahan ng", "Kapisanan ng", "Ugnayan ng", "Alyansa ng", "Pagkakaisa ng", "Kapatiran ng", "Bigkis ng",
         "Lakas ng", "Bagong Pag-asa ng"),
        ("Kababaihang Migrante", "Manggagawang Pilipino", "Kasambahay", "OFW", "Migranteng Kababayan",
         "Ilocano", "Bicolano", "Kapampangan", "Cordillerans", "Batangueño", "Pangasinense", "Ilonggo",
         "Cebuano", "Waray", "Cagayanon", "Igorot", "Ina ng Tahanan", "Mang-aawit"),
        tuple(f"sa {p}" for p in PLACES) + ("sa Hong Kong",),
    ],
    "indonesian": [
        ("Persatuan", "Ikatan", "Paguyuban", "Komunitas", "Forum", "Keluarga Besar", "Himpunan", "Perkumpulan",
         "Majelis Taklim", "Pengajian"),
        ("Pekerja Migran", "Buruh Migran Indonesia", "BMI", "Muslimah", "Tenaga Kerja Wanita", "Sahabat",
         "Kesenian Reog", "Al-Hikmah", "Nurul Iman", "Al-Ikhlas", "Darul Falah"),
        ("Ponorogo", "Blitar", "Banyuwangi", "Cilacap", "Kendal", "Malang", "Tulungagung", "Madiun", "Lampung",
         "Indramayu", "Cirebon", "Jember", "NTB", "Kediri", "Wonosobo") + tuple(PLACES),
    ],
    "nepali": [
        ("Nepali", "Himalayan", "Sagarmatha", "Gurkha Family", "Pokhara", "Dhaulagiri", "Annapurna", "Gurung",
         "Rai", "Limbu", "Tamang", "Magar", "Kirat"),
        ("Migrant Sisters Network", "Domestic Workers Society", "Women's Group", "Welfare Association",
         "Samaj", "Friends Circle", "Workers Forum", "Didi Bahini Group"),
        tuple(PLACES) + ("Hong Kong",),
    ],
    "thai": [
        ("Thai", "Rak Thai", "Isan", "Udon Thani", "Khon Kaen", "Chiang Rai", "Nakhon Ratchasima", "Lampang"),
        ("Women's Association", "Regional Alliance", "Friends Group", "Sisters", "Migrant Workers Union",
         "Temple Volunteers"),
        tuple(PLACES) + ("Hong Kong",),
    ],
    "sri_lankan": [
        ("Lanka", "Sri Lankan", "Serendib", "Kandy", "Negombo", "Colombo", "Kurunegala", "Galle"),
        ("Sisters", "Domestic Workers Union", "Women's Circle", "Migrant Welfare Association", "Friends",
         "Workers Group"),
        tuple(PLACES) + ("Hong Kong",),
    ],
    "mixed": [
        ("Asian", "Migrant", "Sunday", "Unity", "Solidarity", "Rainbow", "Harbour", "Lion Rock"),
        ("Domestic Workers Union", "Women's Solidarity Network", "Friends Association", "Workers' Cooperative",
         "Mutual Aid Circle", "Choir", "Sports Club", "Mothers Circle", "Coordinating Body"),
        tuple(PLACES) + ("Hong Kong",),
    ],
}
ORG_LANGS = {
    "filipino": (["fil", "en"], ["fil"], ["en", "fil"]),
    "indonesian": (["id"], ["id", "en"], ["id", "zh"]),
    "nepali": (["ne", "en"], ["ne"]),
    "thai": (["th"], ["th", "en"]),
    "sri_lankan": (["si", "en"], ["si"]),
    "mixed": (["en"], ["en", "fil", "id"], ["en", "zh"], ["en", "ne", "th", "si"]),
}
MEETING_PLACES = {
    "central_western": ["Chater Garden, Central", "Statue Square, Central", "Edinburgh Place, Central",
                        "IFC footbridge, Central", "Sheung Wan Cultural Square"],
    "wan_chai": ["Victoria Park, Causeway Bay", "Southorn Playground, Wan Chai", "Wan Chai waterfront"],
    "eastern": ["Quarry Bay Park", "North Point ferry pier", "Chai Wan Park"],
    "southern": ["Aberdeen Promenade", "Stanley Plaza"],
    "yau_tsim_mong": ["Kowloon Park, Tsim Sha Tsui", "Jordan, near the Methodist church",
                      "Mong Kok pedestrian street", "Cherry Street Park"],
    "sham_shui_po": ["Sham Shui Po Park", "Lai Chi Kok Park"],
    "kowloon_city": ["Kowloon Walled City Park", "Hung Hom promenade"],
    "wong_tai_sin": ["Morse Park"],
    "kwun_tong": ["Kwun Tong Promenade", "Hoi Bun Road Park"],
    "kwai_tsing": ["Kwai Chung Park", "Tsing Yi Park"],
    "tsuen_wan": ["Tsuen Wan Park", "Tsuen Wan waterfront"],
    "tuen_mun": ["Tuen Mun Park"],
    "yuen_long": ["Yuen Long Park"],
    "north": ["Shek Wu Hui, Sheung Shui"],
    "tai_po": ["Tai Po Waterfront Park"],
    "sha_tin": ["Sha Tin Park", "Shing Mun River promenade"],
    "sai_kung": ["Sai Kung waterfront"],
    "islands": ["Tung Chung North Park", "Mui Wo beach"],
}
DISTRICT_WEIGHTS = {"central_western": 22, "wan_chai": 20, "yau_tsim_mong": 14, "sham_shui_po": 5,
                    "tsuen_wan": 6, "sha_tin": 5, "yuen_long": 4, "tuen_mun": 4, "kwai_tsing": 3,
                    "eastern": 4, "kowloon_city": 3, "kwun_tong": 3, "tai_po": 2, "north": 1, "southern": 1,
                    "wong_tai_sin": 1, "sai_kung": 1, "islands": 1}
DESCRIPTIONS = [
    "Domestic workers meeting every Sunday.", "We hold trainings on labour rights and savings.",
    "Mutual help for members in crisis.", "Cultural performances and sports on rest days.",
    "Prayer meetings and Sunday fellowship.", "We welcome newcomers and help them find their way.",
    "Advocacy for a living wage and the right to a weekly rest day.", "",
]
REJECT_REASONS = ["incomplete", "duplicate", "not_migrant", "unreachable", "other"]
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _check_vocabulary():
    from portal.organisations.models import COMMUNITIES, DISTRICTS, ORG_LANGUAGES, RejectReason
    assert set(COMMUNITY_WEIGHTS) <= set(COMMUNITIES)
    assert set(DISTRICT_WEIGHTS) == set(DISTRICTS) == set(MEETING_PLACES)
    assert {c for options in ORG_LANGS.values() for langs in options for c in langs} <= set(ORG_LANGUAGES)
    assert set(REJECT_REASONS) == {r.value for r in RejectReason}


def _district_label(key: str) -> str:
    return key.replace("_", " ").title()


def _hk_mobiles(rng: random.Random, n: int) -> list[str]:
    """n distinct Hong Kong mobile numbers in E.164 (+852 then 8 digits starting 5, 6 or 9), each one
    that phonenumbers holds valid and of the mobile type."""
    seen: set[int] = set()
    out: list[str] = []
    mobile = phonenumbers.PhoneNumberType.MOBILE
    while len(out) < n:
        national = int(rng.choice("569")) * 10 ** 7 + rng.randrange(10 ** 7)
        if national in seen:
            continue
        seen.add(national)
        number = phonenumbers.PhoneNumber(country_code=852, national_number=national)
        if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) == mobile:
            out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return out


# --- the steps ---

def seed_staff(s: Seed) -> None:
    from portal.accounts.models import MissionRole, User
    staff = []
    for n, user_id in enumerate(s.new_ids("users", STAFF_COUNT), start=1):
        staff.append(dict(id=user_id, name=f"Mission Staff {n}", email=STAFF_EMAIL.format(n=n), phone=None,
                          password_hash=s.password_hash, locale="en", role=MissionRole.STAFF.value,
                          is_enabled=True, created_at=s.now - timedelta(days=1100)))
    s.insert(User, staff)
    s.rows["staff"] = staff
    s.sign_ins += [("Mission staff", u["email"]) for u in staff]


def seed_people(s: Seed) -> None:
    from portal.accounts.models import User
    rng = s.rng
    communities = list(COMMUNITY_WEIGHTS)
    weights = list(COMMUNITY_WEIGHTS.values())
    phones = _hk_mobiles(rng, s.n_people)
    people = []
    for phone, user_id in zip(phones, s.new_ids("users", s.n_people)):
        community = rng.choices(communities, weights)[0]
        kin = community if community != "mixed" else rng.choice(list(FIRST))
        first, last = rng.choice(FIRST[kin]), rng.choice(LAST[kin])
        email = None
        if rng.random() < 0.18:
            email = f"{first}.{last}.{user_id}@example.net".lower().replace("-", "")
        people.append(dict(id=user_id, name=f"{first} {last}".replace("-", " "), email=email, phone=phone,
                           password_hash=s.password_hash, locale=LOCALE.get(kin, "en"), role=None,
                           is_enabled=rng.random() > 0.002,
                           created_at=s.moment(s.now - timedelta(days=1200), s.now - timedelta(days=1)),
                           _community=community))
    s.insert(User, [{k: v for k, v in p.items() if not k.startswith("_")} for p in people])
    s.rows["people"] = people


def _org_name(s: Seed, community: str, taken: set[str], district: str) -> str:
    first, middle, last = ORG_NAMES[community]
    name = f"{s.rng.choice(first)} {s.rng.choice(middle)} {s.rng.choice(last)}"
    if name.lower() in taken:
        name = f"{name} – {_district_label(district)}"
    n = 2
    base = name
    while name.lower() in taken:
        name = f"{base} (Group {n})"
        n += 1
    taken.add(name.lower())
    return name


def seed_organisations(s: Seed) -> None:
    """Organisations and their leaders (each leader a different person of the organisation's community)."""
    from portal.organisations.models import Organisation, OrgState
    rng = s.rng
    pools: dict[str, list[dict]] = {}
    for p in s.rows["people"]:
        if p["is_enabled"]:
            pools.setdefault(p["_community"], []).append(p)
    for pool in pools.values():
        rng.shuffle(pool)
    communities, weights = list(COMMUNITY_WEIGHTS), list(COMMUNITY_WEIGHTS.values())
    districts, district_weights = list(DISTRICT_WEIGHTS), list(DISTRICT_WEIGHTS.values())
    staff_ids = [u["id"] for u in s.rows["staff"]]
    taken: set[str] = set()
    codes: set[str] = set()
    orgs = []
    for org_id in s.new_ids("organisations", s.n_orgs):
        community = rng.choices(communities, weights)[0]
        pool = pools[community] if pools.get(community) else max(pools.values(), key=len)
        leader = pool.pop()
        roll = rng.random()
        state = OrgState.PENDING if roll < 0.10 else OrgState.REJECTED if roll < 0.12 else OrgState.APPROVED
        if state == OrgState.PENDING:
            created = s.moment(s.now - timedelta(days=45))
            decided = None
        else:
            created = s.moment(s.now - timedelta(days=1000), s.now - timedelta(days=20))
            decided = created + timedelta(days=rng.uniform(0.5, 14))
        created = max(created, leader["created_at"] + timedelta(minutes=5))
        if decided:
            decided = max(decided, created + timedelta(hours=1))
        district = rng.choices(districts, district_weights)[0]
        code = None
        if state == OrgState.APPROVED:
            while code is None or code in codes:
                code = "".join(rng.choice(CODE_ALPHABET) for _ in range(8))
            codes.add(code)
        rejected = state == OrgState.REJECTED
        # Sizes are skewed: most groups have a dozen people on the portal, a few have hundreds; the
        # size they declare is larger (not every member has an account).
        weight = min(rng.lognormvariate(2.0, 1.0), 400.0)
        contact = leader["email"] if leader["email"] and rng.random() < 0.5 else \
            f"{leader['phone'][:4]} {leader['phone'][4:8]} {leader['phone'][8:]}"
        orgs.append(dict(
            id=org_id, name=_org_name(s, community, taken, district), community=community,
            languages=",".join(rng.choice(ORG_LANGS[community])), district=district,
            meeting_place=rng.choice(MEETING_PLACES[district]), contact=contact,
            membership_size=max(3, int(weight * rng.uniform(1.5, 3.0))),
            description=" ".join(dict.fromkeys(rng.choice(DESCRIPTIONS) for _ in range(rng.randint(0, 3)))).strip(),
            state=state.value, reject_reason=rng.choice(REJECT_REASONS) if rejected else None,
            reject_note=("Please give the usual meeting place and a contact number." if rejected and
                         rng.random() < 0.5 else None),
            join_code=code, created_by_id=leader["id"], created_at=created, decided_at=decided,
            version=1 if state == OrgState.PENDING else 2,
            _leader=leader, _decided_by=rng.choice(staff_ids) if decided else None, _weight=weight,
        ))
    s.insert(Organisation, [{k: v for k, v in o.items() if not k.startswith("_")} for o in orgs])
    s.rows["organisations"] = orgs


def seed_memberships(s: Seed) -> None:
    """Every person in at least one organisation; members join approved organisations only."""
    from portal.organisations.models import MemberRole, MemberState, Membership
    rng = s.rng
    orgs = s.rows["organisations"]
    approved = [o for o in orgs if o["state"] == "approved"]
    by_community: dict[str, tuple[list[dict], list[float]]] = {}
    for community in COMMUNITY_WEIGHTS:
        # Mixed organisations take people of every community, at a lower share.
        candidates = [o for o in approved if o["community"] in (community, "mixed")]
        cum, total = [], 0.0
        for o in candidates:
            total += o["_weight"] * (1.0 if o["community"] == community else 0.3)
            cum.append(total)
        by_community[community] = (candidates, cum)

    members: dict[int, list[tuple[int, str]]] = {}  # org id -> [(user id, kind)]
    in_org: dict[int, set[int]] = {}
    for o in orgs:
        leader_id = o["_leader"]["id"]
        members[o["id"]] = [(leader_id, "leader")]
        in_org.setdefault(leader_id, set()).add(o["id"])
    for p in s.rows["people"]:
        mine = in_org.setdefault(p["id"], set())  # a leader is in her own organisation already
        roll = rng.random()
        wanted = (0 if mine else 1) + (2 if roll < 0.03 else 1 if roll < 0.15 else 0)
        candidates, cum = by_community[p["_community"]]
        for _ in range(wanted * 3):  # a few tries to avoid an organisation she is already in
            if wanted == 0:
                break
            org = rng.choices(candidates, cum_weights=cum)[0]
            if org["id"] in mine:
                continue
            mine.add(org["id"])
            members[org["id"]].append((p["id"], "member"))
            wanted -= 1

    by_id = {o["id"]: o for o in orgs}
    rows = []
    for org_id, people in members.items():
        org = by_id[org_id]
        joined_from = org["decided_at"] or org["created_at"]
        coleaders = 0
        n = len(people)
        # Some organisations have co-leaders: one in about a third of those of 5 or more, two in big ones.
        max_coleaders = 0 if n < 5 or rng.random() > 0.35 else 1 if n < 30 else 2
        for user_id, kind in people:
            if kind == "leader":
                role, state, created = MemberRole.LEADER, MemberState.ACTIVE, org["created_at"]
            else:
                roll = rng.random()
                state = MemberState.ACTIVE if roll < 0.90 else MemberState.PENDING if roll < 0.97 \
                    else MemberState.REMOVED
                role = MemberRole.MEMBER
                if state == MemberState.ACTIVE and coleaders < max_coleaders and rng.random() < 0.3:
                    role, coleaders = MemberRole.COLEADER, coleaders + 1
                created = s.moment(joined_from)
                if state == MemberState.PENDING:  # requests wait days, not years
                    created = s.moment(max(joined_from, s.now - timedelta(days=21)))
            rows.append(dict(organisation_id=org_id, user_id=user_id, role=role.value, state=state.value,
                             created_at=created))
    rng.shuffle(rows)  # ids in the order people joined, not grouped by organisation
    rows.sort(key=lambda r: r["created_at"])
    for r, membership_id in zip(rows, s.new_ids("memberships", len(rows))):
        r["id"] = membership_id
    s.insert(Membership, rows)
    s.rows["memberships"] = rows

    sizes: dict[int, int] = {}
    for r in rows:
        if r["state"] != "removed":
            sizes[r["organisation_id"]] = sizes.get(r["organisation_id"], 0) + 1
    typical = sorted(approved, key=lambda o: abs(sizes[o["id"]] - 12))[0]
    largest = max(approved, key=lambda o: sizes[o["id"]])
    pending_org = next(o for o in orgs if o["state"] == "pending")
    phone = {p["id"]: p["phone"] for p in s.rows["people"] if p["is_enabled"]}  # who can sign in
    coleader = next(r for r in rows if r["role"] == "coleader" and r["user_id"] in phone)
    waiting = next(r for r in rows if r["state"] == "pending" and r["user_id"] in phone)
    member = next(r for r in rows if r["role"] == "member" and r["state"] == "active" and r["user_id"] in phone)
    s.sign_ins += [
        (f"Leader of #{typical['id']} ({sizes[typical['id']]} people)", phone[typical["_leader"]["id"]]),
        (f"Leader of #{largest['id']}, the largest ({sizes[largest['id']]} people)",
         phone[largest["_leader"]["id"]]),
        (f"Leader of #{pending_org['id']}, waiting for approval", phone[pending_org["_leader"]["id"]]),
        (f"Co-leader in #{coleader['organisation_id']}", phone[coleader["user_id"]]),
        (f"Member of #{member['organisation_id']}", phone[member["user_id"]]),
        (f"Waiting to join #{waiting['organisation_id']}", phone[waiting["user_id"]]),
    ]


def seed_audit(s: Seed) -> None:
    """The audit rows the services would have written for registrations and decisions."""
    from portal.audit import AuditLog
    rows = []
    for o in s.rows["organisations"]:
        rows.append(dict(at=o["created_at"], actor_id=o["created_by_id"], action="organisation.registered",
                         entity_type="organisations", entity_id=o["id"], details=None))
        if o["decided_at"]:
            details = {"state": o["state"]}
            if o["reject_reason"]:
                details["reason"] = o["reject_reason"]
            rows.append(dict(at=o["decided_at"], actor_id=o["_decided_by"], action=f"organisation.{o['state']}",
                             entity_type="organisations", entity_id=o["id"], details=details))
    rows.sort(key=lambda r: r["at"])
    for r, audit_id in zip(rows, s.new_ids("audit_log", len(rows))):
        r["id"] = audit_id
    s.insert(AuditLog, rows)


TRAINING_TITLES = [
    ("leap", "Know your contract", "Alamin ang iyong kontrata", "Kenali kontrak kerja Anda"),
    ("leap", "Wages and rest days", "Sahod at day off", "Gaji dan hari libur"),
    ("leap", "At the Labour Department", "Sa Labour Department", "Di Labour Department"),
    ("pcsw", "Listening to a friend in crisis", "Pakikinig sa kaibigang may problema", "Mendengarkan teman"),
    ("wite", "Safe at work", "Ligtas sa trabaho", "Aman di tempat kerja"),
    ("etoc", "Leading your organisation", "Pamumuno sa organisasyon", "Memimpin organisasi"),
]


def seed_trainings(s: Seed) -> None:
    """60 courses, 10,000 sessions (mostly Sundays, half a year back to a year ahead) and 100,000
    bookings, each session's seat count equal to its bookings."""
    from portal.trainings.models import Booking, Course, CourseText, TrainingSession
    hk = timezone(timedelta(hours=8))
    courses, texts = [], []
    for course_id in s.new_ids("courses", 60):
        programme, en, fil, id_ = TRAINING_TITLES[course_id % len(TRAINING_TITLES)]
        courses.append(dict(id=course_id, programme=programme, language=s.rng.choice(["fil", "id", "en"]),
                            created_at=s.now))
        for locale, title in (("en", en), ("fil", fil), ("id", id_)):
            texts.append(dict(course_id=course_id, locale=locale, title=f"{title} {course_id}", description=""))
    s.insert(Course, courses)
    s.insert(CourseText, texts)
    people = [p["id"] for p in s.rows["people"]]
    today = s.now.astimezone(hk).date()
    sessions, bookings = [], []
    for session_id in s.new_ids("training_sessions", 10_000):
        start = s.start_in_catalogue(today, [10, 13, 15])
        capacity = s.rng.randint(8, 14)
        n = min(capacity, s.rng.randint(6, 14))
        sessions.append(dict(id=session_id, course_id=s.rng.choice(courses)["id"], starts_at=start,
                             ends_at=start + timedelta(hours=3), deadline=start - timedelta(days=2),
                             venue="Mission office, Central", capacity=capacity, taken=n, state="scheduled",
                             created_at=s.now))
        bookings += s.held_places("session_id", session_id, people, n)
    s.insert(TrainingSession, sessions)
    s.insert_numbered(Booking, "bookings", bookings)


REFERRAL_STATES = {"submitted": 10, "triaged": 5, "accepted": 5, "assigned": 30, "referred": 5, "declined": 10,
                   "closed": 35}


def seed_referrals(s: Seed) -> None:
    """20,000 referrals from approved organisations over the last year, in every state (their personal and
    case fields encrypted as the app encrypts them), 10 caseworkers and 2 supervisors, a shared and an
    internal note on each case a caseworker works, and a hearing date on some."""
    from portal.accounts.models import MissionRole, User
    from portal.referrals.models import URGENCY_RANK, Category, KeyDate, Note, Referral, new_ref
    hk = timezone(timedelta(hours=8))
    workers = []
    for n, user_id in enumerate(s.new_ids("users", 12), start=1):
        role = MissionRole.SUPERVISOR if n <= 2 else MissionRole.CASEWORKER
        workers.append(dict(id=user_id, name=f"{role.value.title()} {n}", email=f"{role.value}{n}@bench.example.org",
                            phone=None, password_hash=s.password_hash, locale="en", role=role.value,
                            is_enabled=True, created_at=s.now - timedelta(days=700)))
    s.insert(User, workers)
    s.sign_ins += [(f"{w['role'].title()} (referrals)", w["email"]) for w in workers[:3]]
    caseworkers = [w["id"] for w in workers]
    leaders = [m for m in s.rows["memberships"] if m["role"] == "leader" and m["state"] == "active"]
    approved = {o["id"] for o in s.rows["organisations"] if o["state"] == "approved"}
    leaders = [m for m in leaders if m["organisation_id"] in approved]
    states, weights = list(REFERRAL_STATES), list(REFERRAL_STATES.values())
    today = s.now.astimezone(hk).date()
    referrals, notes, dates, refs = [], [], [], set()
    for rid in s.new_ids("referrals", 20_000):
        leader = s.rng.choice(leaders)
        state = s.rng.choices(states, weights)[0]
        urgency = s.rng.choice(list(URGENCY_RANK))
        sent = s.moment(s.now - timedelta(days=365))
        ref = new_ref()
        while ref in refs:
            ref = new_ref()
        refs.add(ref)
        ended = today - timedelta(days=s.rng.randint(0, 40)) if s.rng.random() < 0.6 else None
        worked = state in ("assigned", "referred", "closed")
        referrals.append(dict(
            id=rid, ref=ref, organisation_id=leader["organisation_id"], referred_by_id=leader["user_id"],
            form_key=f"bench-{rid}", state=state, categories=",".join(s.rng.sample(list(Category), 2)),
            programme=s.rng.choice(["leap", "pcsw", "wite"]), urgency=urgency, urgency_rank=URGENCY_RANK[urgency],
            termination_date=ended, deadline=ended + timedelta(days=14) if ended else None,
            caseworker_id=s.rng.choice(caseworkers) if worked else None, step=7, created_at=sent,
            submitted_at=sent, closed_at=s.moment(sent) if state in ("closed", "declined") else None,
            decline_reason="not_ours" if state == "declined" else None,
            outcome="resolved" if state == "closed" else None, version=1,
            worker={"name": f"Worker {rid}", "phone": None, "email": None, "language": "fil", "interpreter": False},
            contact={"channels": ["sms"], "days": ["sun"], "hours": "after 21:00", "message_only": True,
                     "no_employer": True},
            story="Not paid for two months; the employer keeps her passport.", employer=None))
        if worked:
            for shared in (True, False):
                notes.append(dict(referral_id=rid, author_id=referrals[-1]["caseworker_id"], shared=shared,
                                  body="Called her on Sunday." if shared else "Agency has complaints.",
                                  created_at=s.moment(sent)))
            if s.rng.random() < 0.3:
                dates.append(dict(referral_id=rid, kind="conciliation", day=today + timedelta(days=s.rng.randint(1, 60))))
    s.insert(Referral, referrals)
    s.insert(Note, notes)
    s.insert(KeyDate, dates)


DIRECTORY_KINDS = {"shelter": 40, "legal_aid": 80, "hospital": 60, "consulate": 20, "hotline": 60, "union": 90,
                   "ngo": 150}


def seed_directory(s: Seed) -> None:
    """500 partner services of every kind across the districts, the shelters with beds."""
    from portal.directory.models import Service
    from portal.organisations.models import DISTRICTS
    rows, kinds = [], [k for k, n in DIRECTORY_KINDS.items() for _ in range(n)]
    for sid, kind in zip(s.new_ids("directory_services", len(kinds)), kinds):
        beds = s.rng.randint(4, 30) if kind == "shelter" else None
        rows.append(dict(id=sid, organization=f"Partner {sid}", name=f"{kind.replace('_', ' ').title()} service {sid}",
                         kind=kind, description="Help for migrant workers.", hours="Sunday 10:00-17:00",
                         languages=",".join(s.rng.sample(["fil", "id", "en", "ne", "th"], 2)),
                         district=s.rng.choice(list(DISTRICTS)), address="Hong Kong", phone="+852 2000 0000",
                         email="", url="", eligibility="", published=s.rng.random() < 0.95, capacity=beds,
                         taken=s.rng.randint(0, beds) if beds else 0, created_at=s.now, updated_at=s.now))
    s.insert(Service, rows)


CAMPAIGN_TITLES = [("A full rest day", "Buong araw ng pahinga", "Hari libur penuh"),
                   ("Minimum allowable wage", "Pinakamababang sahod", "Upah minimum"),
                   ("No illegal agency fees", "Walang ilegal na bayad sa ahensya", "Tolak biaya agen ilegal"),
                   ("End the two-week rule", "Wakasan ang two-week rule", "Hapus aturan dua minggu"),
                   ("International Migrants Day", "Pandaigdigang Araw ng mga Migrante", "Hari Migran Internasional")]
SHIFT_ROLES_ = ["volunteer", "marshal", "leafleter", "interpreter", "first_aider", "hotline"]


def seed_campaigns(s: Seed) -> None:
    """2,000 campaigns (a tenth for the members of supporting organisations), 20,000 shifts (mostly Sundays, half
    a year back to a year ahead) and 100,000 sign-ups, each shift's count of places taken equal to its sign-ups."""
    from portal.campaigns.models import Campaign, CampaignText, Endorsement, Shift, Signup
    hk = timezone(timedelta(hours=8))
    today = s.now.astimezone(hk).date()
    campaigns, texts = [], []
    for cid in s.new_ids("campaigns", 2_000):
        start = today + timedelta(days=s.rng.randint(-200, 300))
        campaigns.append(dict(id=cid, code=f"b{cid:07d}x", public=s.rng.random() < 0.9, starts_on=start,
                              ends_on=start + timedelta(days=s.rng.randint(1, 90)), state="open", created_at=s.now))
        for locale, title in zip(("en", "fil", "id"), CAMPAIGN_TITLES[cid % len(CAMPAIGN_TITLES)]):
            texts.append(dict(campaign_id=cid, locale=locale, title=f"{title} {cid}", description=""))
    s.insert(Campaign, campaigns)
    s.insert(CampaignText, texts)
    orgs = [o["id"] for o in s.rows["organisations"]]
    s.insert(Endorsement, [dict(campaign_id=c["id"], organisation_id=org, show_name=s.rng.random() < 0.5,
                                committed=s.rng.randint(0, 30), created_at=s.now)
                           for c in campaigns for org in s.rng.sample(orgs, 3)])
    people = [p["id"] for p in s.rows["people"]]
    shifts, signups = [], []
    for shift_id in s.new_ids("shifts", 20_000):
        start = s.start_in_catalogue(today, [9, 11, 14, 16])
        capacity = s.rng.randint(5, 8)
        n = 5  # 100,000 sign-ups; a quarter of the shifts full
        shifts.append(dict(id=shift_id, campaign_id=s.rng.choice(campaigns)["id"], activity="leafleting",
                           role=s.rng.choice(SHIFT_ROLES_), language=s.rng.choice(["fil", "id", "en"]),
                           place="Chater Road, Central", map_url="", starts_at=start, ends_at=start + timedelta(hours=2),
                           capacity=capacity, taken=n, bring="water", bring_note="", state="scheduled", version=0,
                           created_at=s.now))
        signups += s.held_places("shift_id", shift_id, people, n)
    s.insert(Shift, shifts)
    s.insert_numbered(Signup, "shift_signups", signups)


# Run in this order, in one transaction. Later features append theirs (see the module's docstring).
SEED_STEPS: list[Callable[[Seed], None]] = [seed_staff, seed_people, seed_organisations, seed_memberships,
                                            seed_audit, seed_trainings, seed_referrals, seed_directory,
                                            seed_campaigns]


# --- running it ---

def _empty_all(conn: Connection, metadata) -> None:
    """Every table emptied, the audit log too: its guards against deletion (triggers, migration 0008) are set
    aside for the moment, as the database's owner may; this is a benchmark's database, never the portal's."""
    tables = [t for t in metadata.sorted_tables if inspect(conn).has_table(t.name)]
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        conn.execute(text("TRUNCATE TABLE " + ", ".join(f'"{t.name}"' for t in tables) +
                          " RESTART IDENTITY CASCADE"))
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    else:
        guards = conn.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")).all()
        for name, _sql in guards:
            conn.execute(text(f"DROP TRIGGER {name}"))
        for t in reversed(tables):  # children first (the audit rows before the people they name)
            conn.execute(t.delete())
        for _name, sql in guards:
            conn.execute(text(sql))


def _after_load(conn: Connection, counts: dict[str, int]) -> None:
    if conn.dialect.name == "postgresql":
        for table in counts:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT coalesce(max(id), 1) FROM \"{table}\"))"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else sqlite instance/bench.db")
    parser.add_argument("--force", action="store_true",
                        help="empty every table of a database that already has accounts, then seed it")
    parser.add_argument("--organisations", type=int, default=5000)
    parser.add_argument("--people", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=2026, help="random seed (the same seed, the same data)")
    args = parser.parse_args(argv)

    url = database_url(args.database_url)
    refuse_protected(url)
    started = time.perf_counter()
    from flask_migrate import upgrade

    from portal import create_app
    from portal.accounts.models import User
    from portal.accounts.services import hasher
    from portal.extensions import db

    _check_vocabulary()
    app = create_app(bench_config(url))
    with app.app_context():
        print(f"Database: {make_url(url).render_as_string(hide_password=True)}")
        upgrade()
        existing = db.session.scalar(select(func.count()).select_from(User))
        db.session.remove()
        if existing and not args.force:
            sys.exit(f"The database has {existing} accounts already. Seed an empty database, "
                     f"or give --force to empty it first.")
        password_hash = hasher().hash(BENCH_PASSWORD)
        with db.engine.begin() as conn:
            if existing:
                print(f"--force: emptying every table ({existing} accounts).")
                _empty_all(conn, db.metadata)
            s = Seed(conn=conn, rng=random.Random(args.seed), now=datetime.now(timezone.utc).replace(microsecond=0),
                     password_hash=password_hash, n_orgs=args.organisations, n_people=args.people)
            for step in SEED_STEPS:
                t = time.perf_counter()
                step(s)
                print(f"  {step.__name__:<22} {time.perf_counter() - t:6.1f} s")
            _after_load(conn, s.counts)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                # What autovacuum does shortly after such a load: the statistics, and the visibility map
                # that lets index-only scans skip the table (the catalogue's and the dashboard's counts).
                conn.execute(text("VACUUM ANALYZE"))
        db.engine.dispose()

    elapsed = time.perf_counter() - started
    orgs = s.rows["organisations"]
    states = {st: sum(o["state"] == st for o in orgs) for st in ("approved", "pending", "rejected")}
    ms = s.rows["memberships"]
    print(f"\nSeeded in {elapsed:.1f} s:")
    for table, n in s.counts.items():
        print(f"  {table:<16} {n:>8,}")
    print(f"  organisations: {states['approved']:,} approved, {states['pending']:,} pending, "
          f"{states['rejected']:,} not approved")
    print(f"  memberships: {sum(r['role'] == 'leader' for r in ms):,} leaders, "
          f"{sum(r['role'] == 'coleader' for r in ms):,} co-leaders, "
          f"{sum(r['state'] == 'pending' for r in ms):,} waiting, {sum(r['state'] == 'removed' for r in ms):,} removed")
    print(f"\nSign in (password for everyone: {BENCH_PASSWORD}):")
    for who, login in s.sign_ins:
        print(f"  {who:<48} {login}")


if __name__ == "__main__":
    main()
