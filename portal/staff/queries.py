"""The staff desk's lists: the queue of organisations, counted and filtered in the database."""
from sqlalchemy import func, select

from portal.extensions import db
from portal.web import contains
from portal.organisations.models import Organisation, OrgState


RENAMED = "renamed"  # the queue's filter for approved organisations whose new name waits


def queue_query(state: str = OrgState.PENDING, community: str = "", q: str = ""):
    query = select(Organisation)
    if state == RENAMED:
        query = query.where(Organisation.pending_name.is_not(None))
    elif state in set(OrgState):
        query = query.where(Organisation.state == state)
    if community:
        query = query.where(Organisation.community == community)
    if q:
        query = query.where(contains(Organisation.name, q))
    return query.order_by(Organisation.created_at, Organisation.id)


def counts_by_state() -> dict[str, int]:
    """Organisations in each state, and (under RENAMED) those whose new name waits: one statement."""
    renamed = select(func.count()).where(Organisation.pending_name.is_not(None)).scalar_subquery()
    rows = db.session.execute(select(Organisation.state, func.count(), renamed).group_by(Organisation.state)).all()
    counts = {state: n for state, n, _ in rows}
    counts[RENAMED] = rows[0][2] if rows else 0
    return counts
