"""Courses (staff): texts in each language and the courses to be done first."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.audit import changed, record
from portal.extensions import db
from portal.trainings.models import Course, CourseText
from portal.trainings.services.access import is_staff
from portal.trainings.services.errors import PrerequisiteLoop
from portal.web import DomainError, NotAllowed


def create_course(staff, programme: str, language: str, texts: dict[str, tuple[str, str]],
                  prerequisites: list[Course] = ()) -> Course:
    if not is_staff(staff):
        raise NotAllowed()
    course = Course(programme=programme, language=language)
    _set_texts(course, texts)
    course.prerequisites = list(prerequisites)
    db.session.add(course)
    db.session.flush()
    record(staff, "course.created", course, {"prerequisites": [c.id for c in prerequisites]})
    db.session.commit()
    return course


def update_course(staff, course: Course, programme: str, language: str, texts: dict[str, tuple[str, str]],
                  prerequisites: list[Course] = ()) -> Course:
    if not is_staff(staff):
        raise NotAllowed()
    _check_no_loop(course, prerequisites)
    course.programme, course.language = programme, language
    _set_texts(course, texts)
    course.prerequisites = list(prerequisites)
    names = changed(course, "programme", "language", "prerequisites")
    if changed(course, "texts") or any(changed(t, "title", "description") for t in course.texts):
        names.append("texts")
    record(staff, "course.updated", course, {"changed": names, "prerequisites": [c.id for c in prerequisites]})
    db.session.commit()
    return course


def _set_texts(course: Course, texts: dict[str, tuple[str, str]]) -> None:
    """A title per language; a language left without a title loses its text."""
    by_locale = {t.locale: t for t in course.texts}
    for locale, (title, description) in texts.items():
        title, description = (title or "").strip(), (description or "").strip()
        if title and locale in by_locale:
            by_locale[locale].title, by_locale[locale].description = title, description
        elif title:
            course.texts.append(CourseText(locale=locale, title=title, description=description))
        elif locale in by_locale:
            course.texts.remove(by_locale[locale])
    if not course.texts:
        raise DomainError(_l("Give the course a title in at least one language."))


def _check_no_loop(course: Course, prerequisites) -> None:
    seen, todo = set(), list(prerequisites)
    while todo:
        c = todo.pop()
        if c.id == course.id:
            raise PrerequisiteLoop()
        if c.id not in seen:
            seen.add(c.id)
            todo.extend(c.prerequisites)
