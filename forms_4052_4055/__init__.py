"""Security forms 4052 and 4055 (and their successors): issue, receive, verify, file, expire."""
