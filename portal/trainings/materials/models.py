"""DRID materials: training modules and educational materials, standalone or attached to a course,
each in the languages it exists in. A language version holds an uploaded file (PDF or image), a
link, a text written in the portal (plain text or Markdown), or several of these."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import format_decimal, get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db

# What may be uploaded, told by the file's content (never by its name): the extension given to the
# download name and the words shown before the download.
FILE_KINDS = {
    "application/pdf": ("pdf", _l("PDF")),
    "image/jpeg": ("jpg", _l("JPEG image")),
    "image/png": ("png", _l("PNG image")),
    "image/webp": ("webp", _l("WebP image")),
}


def format_size(n: int) -> str:
    """1.2 MB, 350 KB, 900 bytes: in the reader's language and number format."""
    if n < 1024:
        return ngettext("%(num)d byte", "%(num)d bytes", n)
    if n < 1024 * 1024:
        return gettext("%(size)s KB", size=format_decimal(n / 1024, "#,##0"))
    return gettext("%(size)s MB", size=format_decimal(n / (1024 * 1024), "#,##0.#"))


class Material(db.Model):
    __tablename__ = "materials"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    programme: Mapped[str] = mapped_column(String(10), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    # Unpublished: staff only, while the versions are being put together.
    published: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    versions = relationship("MaterialVersion", lazy="selectin", cascade="all, delete-orphan",
                            order_by="MaterialVersion.language", back_populates="material")
    course = relationship("Course", lazy="select")

    def version(self, language: str | None):
        return next((v for v in self.versions if v.language == language), None)

    def ordered_versions(self, locale: str | None = None) -> list:
        """The reader's language first, then the others."""
        locale = locale or str(get_locale())
        return sorted(self.versions, key=lambda v: v.language != locale)

    def title_for(self, locale: str | None = None) -> str:
        """The title of the version in the reader's language, if it has one; else the material's."""
        v = self.version(locale or str(get_locale()))
        return v.title if v and v.title else self.title

    def text_version(self, language: str | None = None):
        """The version whose text to show: the one asked for, else the reader's language, else any."""
        with_text = [v for v in self.versions if v.has_text]
        for wanted in (language, str(get_locale()), "en"):
            v = next((v for v in with_text if v.language == wanted), None)
            if v:
                return v
        return with_text[0] if with_text else None


class MaterialVersion(db.Model):
    """A material in one language: a new language is a new row."""
    __tablename__ = "material_versions"
    __table_args__ = (
        UniqueConstraint("material_id", "language"),
        CheckConstraint("size IS NULL OR size >= 0", name="size"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200), default="")  # in this language; empty: the material's
    # An uploaded file: stored under a random name, never the uploader's; downloaded as `filename`.
    storage_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    filename: Mapped[str | None] = mapped_column(String(120))
    content_type: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(500))  # an external link, https only
    text: Mapped[str] = mapped_column(Text, default="")   # plain text or Markdown, shown first
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    material = relationship("Material", back_populates="versions")

    @property
    def has_file(self) -> bool:
        return bool(self.storage_name)

    @property
    def has_text(self) -> bool:
        return bool(self.text and self.text.strip())

    @property
    def kind_label(self) -> str:
        kind = FILE_KINDS.get(self.content_type or "")
        return str(kind[1]) if kind else gettext("File")

    @property
    def size_label(self) -> str:
        return format_size(self.size or 0)

    @property
    def download_label(self) -> str:
        """What the reader gets before she taps: "PDF, 1.2 MB"."""
        return gettext("%(kind)s, %(size)s", kind=self.kind_label, size=self.size_label)

    @property
    def link_host(self) -> str:
        return urlsplit(self.url or "").hostname or ""
