"""The notice board (资讯公告): notices and news for a community, an area of it, or residents with a tag."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anju.orgs.models import CommunityScopedModel


class Notice(CommunityScopedModel):
    class Category(models.TextChoices):
        NOTICE = "notice", _("Notice")
        NEWS = "news", _("News")
        ACTIVITY = "activity", _("Activity report")
        POLICY = "policy", _("Policy")
        SAFETY = "safety", _("Safety")

    class Audience(models.TextChoices):
        COMMUNITY = "community", _("The whole community")
        AREA = "area", _("An area")
        TAG = "tag", _("Residents with a tag")

    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, default=Category.NOTICE)
    body = models.TextField(_("text"), help_text=_("Sanitised HTML"))
    pinned = models.BooleanField(_("pinned"), default=False)
    publish_at = models.DateTimeField(_("published from"), db_index=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.COMMUNITY)
    area = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tag = models.ForeignKey(
        "people.Tag", verbose_name=_("tag"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cover = models.ImageField(_("cover image"), upload_to="notices/%Y/%m/", blank=True)
    cover_thumb = models.ImageField(upload_to="notices/%Y/%m/", blank=True)
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Set on the summary published after an activity"),
    )
    read_count = models.PositiveIntegerField(_("reads"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-pinned", "-publish_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity"], condition=models.Q(activity__isnull=False), name="bulletin_one_summary"
            )
        ]

    def __str__(self) -> str:
        return self.title


class NoticeRead(CommunityScopedModel):
    """One row per reader: the read count counts readers, not page loads."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="bulletin_read_once")]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.user_id}"


class NoticePhoto(CommunityScopedModel):
    """A photo of a notice; an activity's summary carries several."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="notices/%Y/%m/")
    thumb = models.ImageField(upload_to="notices/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notice photo")
        verbose_name_plural = _("notice photos")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.notice_id} #{self.position}"
