"""Roles (built-in and custom) and their assignment to users, in the tenant schema."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class Role(models.Model):
    id = models.SlugField(primary_key=True, max_length=50)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    permissions = ArrayField(models.CharField(max_length=50), default=list)
    is_builtin = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_builtin", "id"]


class UserRole(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="rbac_userrole_unique")
        ]
