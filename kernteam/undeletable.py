"""Nothing a user entered is hard-deleted (medical records are kept 20 years).

Models mix in `Undeletable`: deleting an instance or a queryset raises. Records are ended,
withdrawn or closed instead. Foreign keys between them use PROTECT as a second line.
"""

from django.db import models


class ProtectedRecord(Exception):
    pass


class UndeletableQuerySet(models.QuerySet):
    def delete(self):
        raise ProtectedRecord(f"{self.model.__name__} records are never deleted.")

    delete.queryset_only = True


class Undeletable(models.Model):
    objects = UndeletableQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise ProtectedRecord(f"{type(self).__name__} records are never deleted.")


class AppendOnlyQuerySet(UndeletableQuerySet):
    def update(self, **kwargs):
        raise ProtectedRecord(f"{self.model.__name__} records cannot be changed.")

    def bulk_update(self, *args, **kwargs):
        raise ProtectedRecord(f"{self.model.__name__} records cannot be changed.")


class AppendOnly(Undeletable):
    """Written once, never changed or deleted (history, confirmations)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ProtectedRecord(f"{type(self).__name__} records cannot be changed.")
        super().save(*args, **kwargs)
