from django.contrib import admin

from escalation.models import BusinessClosure


@admin.register(BusinessClosure)
class BusinessClosureAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "ends_at", "reason", "created_at"]
    ordering = ["-starts_at"]
    search_fields = ["reason"]
    date_hierarchy = "starts_at"
    readonly_fields = ["created_at"]
