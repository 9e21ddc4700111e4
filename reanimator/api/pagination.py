from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Keyset paging on the primary key: every page costs one index range scan, however deep
    the client pages, and rows added meanwhile never shift a page."""

    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
