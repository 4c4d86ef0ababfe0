"""Staff views: the queue of organisations, counted and filtered in the database."""
from sqlalchemy import func, select

from portal.extensions import db
from portal.organisations.models import Organisation, OrgState


def queue_query(state: str = OrgState.PENDING, community: str = "", q: str = ""):
    query = select(Organisation)
    if state in set(OrgState):
        query = query.where(Organisation.state == state)
    if community:
        query = query.where(Organisation.community == community)
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(Organisation.name).like(f"%{escaped}%", escape="\\"))
    return query.order_by(Organisation.created_at, Organisation.id)


def counts_by_state() -> dict[str, int]:
    rows = db.session.execute(select(Organisation.state, func.count()).group_by(Organisation.state))
    return {state: n for state, n in rows}
