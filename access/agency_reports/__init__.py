"""The agency reports (issues 18 and 19): the monthly report of an agency (its tickets, SLA
status, security forms, pending access requests and departures; a page, a CSV and a monthly
email to its local experts) and the quarterly access-review and departure reports for
monitoring (a page, a CSV, and ``manage.py agency_report``)."""
