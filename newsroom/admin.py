class ReadOnlyAdminMixin:
    """For records of what happened (revisions, moderation history, reports): staff can
    list and read them in the admin, never add, change or delete them there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
