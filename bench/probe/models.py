"""One small table: what a typical new migration adds to every tenant."""

from django.db import models


class Probe(models.Model):
    name = models.CharField(max_length=50)
