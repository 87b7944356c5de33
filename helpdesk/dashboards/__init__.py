"""Dashboards for help desk staff, administrators and MIS: figures counted with aggregate
queries, drawn as server-side SVG, every one linking to the list behind it.

- ``slices``: the named ticket slices (one ``Q`` per rule), shared with the queue filters;
- ``aging``: business-day age buckets as boundary instants;
- ``filters``: the dashboard's filter form and the filters it yields;
- ``tables``: the figure tables every section returns;
- ``figures``: the ticket figures; ``sections``: the built-in sections;
- ``registry``: sections of higher apps (security forms, access);
- ``charts``: the SVG charts; ``page``: who may open which page, and its sections built once
  for the page and the CSV alike.
"""
