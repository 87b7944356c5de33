"""The API's request parsers, in a module of their own: DRF reads its default parsers while it
defines ``APIView``, so this module may import nothing of DRF's views."""

from rest_framework.parsers import JSONParser


class LimitedJSONParser(JSONParser):
    """JSON only, and (``ApiView.initial``) no bigger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""
