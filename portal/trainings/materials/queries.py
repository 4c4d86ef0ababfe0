"""Reading the materials library: queries per page stay constant whatever the number of rows."""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.trainings.materials.models import Material, MaterialVersion
from portal.trainings.models import Course


def _loaded(query):
    return query.options(selectinload(Material.versions),
                         selectinload(Material.course).selectinload(Course.texts))


def library(programme: str = "", language: str = ""):
    """Published materials with at least one language version, newest first, filtered."""
    query = _loaded(select(Material)).where(
        Material.published.is_(True),
        exists(select(MaterialVersion.id).where(MaterialVersion.material_id == Material.id)))
    if programme:
        query = query.where(Material.programme == programme)
    if language:
        query = query.where(exists(select(MaterialVersion.id).where(
            MaterialVersion.material_id == Material.id, MaterialVersion.language == language)))
    return query.order_by(Material.id.desc())


def for_course(course_id: int) -> list[Material]:
    """The published materials of a course, with their versions loaded, by title: for course pages."""
    return db.session.scalars(_loaded(select(Material)).where(
        Material.course_id == course_id, Material.published.is_(True),
        exists(select(MaterialVersion.id).where(MaterialVersion.material_id == Material.id)))
        .order_by(Material.title, Material.id)).all()


def staff_list():
    """Every material, published or not, newest first."""
    return _loaded(select(Material)).order_by(Material.id.desc())
