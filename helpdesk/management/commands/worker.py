"""The background worker: django-q2's cluster (the scheduled sweeps, the mail intake every
minute, outgoing mail), which stops within seconds on SIGTERM or SIGINT.

``manage.py qcluster`` stops its cluster on SIGTERM too, then spends seconds more collecting
the interpreter's garbage on the way out (measured: 1.8 s to stop the cluster, 3 s more before
the process ended). Here, once the cluster's sentinel has joined (every worker process has
finished the task in hand and gone, the results are saved), the logs are flushed and the
process ends at once: there is nothing left to clean up.
"""

import logging
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand
from django_q.cluster import Cluster


class Command(BaseCommand):
    help = "Run the background worker (django-q2); SIGTERM or SIGINT stops it within seconds."

    def handle(self, *args: Any, **options: Any) -> None:
        cluster = Cluster()  # its handlers: SIGTERM and SIGINT stop the cluster (and join it)
        cluster.start()
        sentinel = cluster.sentinel
        while sentinel is not None and sentinel.is_alive():
            sentinel.join(0.5)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
