"""The ticket workflow, business calendar and SLA clocks. Knows no other project app."""
