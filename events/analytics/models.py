"""Retention policies of raw events and of each rollup level (global default + per account).

Imported by ``events/models.py`` so Django registers the model under the ``events`` app.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

DEFAULT_DAYS = {
    "raw_days": 90,
    "rollup_1m_days": 7,
    "rollup_5m_days": 30,
    "rollup_15m_days": 90,
    "rollup_1h_days": 395,
    "rollup_1d_days": 1825,
}


def _days_field(default: int, help_text: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        default=default,
        validators=[MinValueValidator(1), MaxValueValidator(36500)],
        help_text=help_text,
    )


class RetentionPolicy(models.Model):
    """How long data is kept. The row without an account is the global default; a row with an
    account overrides it for that account. Partitions are shared by all accounts, so a partition
    is dropped once it is older than the longest horizon in force; a shorter per-account horizon
    is enforced at read time until then (see docs/analytics.md)."""

    account = models.OneToOneField(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="retention_policy",
        help_text="Empty for the global default.",
    )
    raw_days = _days_field(DEFAULT_DAYS["raw_days"], "Days of raw events kept.")
    rollup_1m_days = _days_field(DEFAULT_DAYS["rollup_1m_days"], "Days of 1-minute rollups.")
    rollup_5m_days = _days_field(DEFAULT_DAYS["rollup_5m_days"], "Days of 5-minute rollups.")
    rollup_15m_days = _days_field(DEFAULT_DAYS["rollup_15m_days"], "Days of 15-minute rollups.")
    rollup_1h_days = _days_field(DEFAULT_DAYS["rollup_1h_days"], "Days of hourly rollups.")
    rollup_1d_days = _days_field(DEFAULT_DAYS["rollup_1d_days"], "Days of daily rollups.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "events"
        db_table = "events_retention_policy"
        verbose_name_plural = "retention policies"
        constraints = [
            models.UniqueConstraint(
                fields=["account"], nulls_distinct=False, name="retention_policy_one_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"retention for {self.account or 'all accounts (default)'}"

    def days(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in DEFAULT_DAYS}
