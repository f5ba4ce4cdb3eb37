"""The catalog's JSON views: item list pagination and CSV or .xlsx ingest over HTTP."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import pytest

from demo.catalog.ingest import MAX_BYTES, MAX_ROWS
from demo.catalog.models import CopyrightItem
from demo.catalog.views import PAGE_SIZE
from tests.demo.helpers import upload, xlsx, xlsx_upload

if TYPE_CHECKING:
    from django.test import Client

ITEMS = "/api/items/"
INGEST = "/api/ingest/"
HEADER = "title,rights_holder,year,registration_number\n"


def _make_items(n: int) -> None:
    CopyrightItem.objects.bulk_create(
        CopyrightItem(title=f"Work {i}", rights_holder=f"Holder {i}") for i in range(n)
    )


def _auth(token: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Token {token}"}


# GET /api/items/


@pytest.mark.django_db
def test_items_lists_every_field_ordered_by_id(client: Client) -> None:
    # Inserted out of id order, so that only the ORDER BY can sort them.
    CopyrightItem.objects.create(id=3, title="C", rights_holder="Holder C")
    CopyrightItem.objects.create(
        id=1, title="A", rights_holder="Holder A", year=1999, registration_number="TX-1"
    )
    CopyrightItem.objects.create(id=2, title="B", rights_holder="Holder B", year=2001)

    response = client.get(ITEMS)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "count": 3,
        "page": 1,
        "pages": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": 1,
                "title": "A",
                "rights_holder": "Holder A",
                "year": 1999,
                "registration_number": "TX-1",
            },
            {
                "id": 2,
                "title": "B",
                "rights_holder": "Holder B",
                "year": 2001,
                "registration_number": None,
            },
            {
                "id": 3,
                "title": "C",
                "rights_holder": "Holder C",
                "year": None,
                "registration_number": None,
            },
        ],
    }


@pytest.mark.django_db
def test_items_of_an_empty_catalog_is_one_empty_page(client: Client) -> None:
    response = client.get(ITEMS)

    assert response.status_code == 200
    assert response.json() == {
        "count": 0,
        "page": 1,
        "pages": 1,
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "size", "next_page", "previous_page"),
    [
        (1, PAGE_SIZE, 2, None),
        (2, PAGE_SIZE, 3, 1),
        (3, 20, None, 2),
    ],
    ids=["first", "middle", "last-partial"],
)
def test_items_pages_by_page_size_with_absolute_links(
    client: Client, page: int, size: int, next_page: int | None, previous_page: int | None
) -> None:
    _make_items(2 * PAGE_SIZE + 20)

    body = client.get(ITEMS, {"page": page}).json()

    assert body["count"] == 2 * PAGE_SIZE + 20
    assert body["page"] == page
    assert body["pages"] == 3
    assert len(body["results"]) == size
    expected_titles = [
        f"Work {i}" for i in range((page - 1) * PAGE_SIZE, (page - 1) * PAGE_SIZE + size)
    ]
    assert [item["title"] for item in body["results"]] == expected_titles
    link = "http://testserver/api/items/?page={}"
    assert body["next"] == (link.format(next_page) if next_page else None)
    assert body["previous"] == (link.format(previous_page) if previous_page else None)


@pytest.mark.django_db
def test_items_links_keep_other_query_parameters(client: Client) -> None:
    _make_items(PAGE_SIZE + 1)

    body = client.get(ITEMS, {"format": "json", "page": "1"}).json()

    assert body["next"] == "http://testserver/api/items/?format=json&page=2"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page",
    ["abc", "", "1.5", "0", "-1", "4", "99999999999999999999999", "1; DROP TABLE"],
    ids=["word", "empty", "fraction", "zero", "negative", "past-last", "huge", "injection"],
)
def test_items_answers_400_json_to_a_junk_or_out_of_range_page(client: Client, page: str) -> None:
    _make_items(2 * PAGE_SIZE + 20)

    response = client.get(ITEMS, {"page": page})

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid page"
    assert "from 1 to 3" in body["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_items_answers_405_json_to_other_methods(client: Client, method: str) -> None:
    response = getattr(client, method)(ITEMS)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["error"] == "method not allowed"


@pytest.mark.django_db
def test_items_answers_head_like_get(client: Client) -> None:
    response = client.head(ITEMS, {"page": "1"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


# POST /api/ingest/


def test_ingest_creates_every_row_with_exact_values(client: Client, token: str) -> None:
    csv_text = (
        HEADER
        + "Ulysses,James Joyce,1922,A-1\n"
        + '"Moby-Dick; or, The Whale",Herman Melville,,\n'
        + "  Spaced  , Holder ,  1950 ,  R-9  \n"
    )

    response = client.post(INGEST, {"file": upload(csv_text)}, **_auth(token))

    assert response.status_code == 201
    assert response.json() == {"created": 3}
    rows = list(
        CopyrightItem.objects.order_by("id").values_list(
            "title", "rights_holder", "year", "registration_number"
        )
    )
    assert rows == [
        ("Ulysses", "James Joyce", 1922, "A-1"),
        ("Moby-Dick; or, The Whale", "Herman Melville", None, ""),
        ("Spaced", "Holder", 1950, "R-9"),
    ]


def test_ingest_accepts_a_byte_order_mark_and_only_the_required_columns(
    client: Client, token: str
) -> None:
    csv_bytes = "\ufeffTitle,Rights_Holder,notes\nÉtude,Frédéric Chopin,ignored\n".encode()

    response = client.post(INGEST, {"file": upload(csv_bytes)}, **_auth(token))

    assert response.status_code == 201
    assert response.json() == {"created": 1}
    item = CopyrightItem.objects.get()
    assert (item.title, item.rights_holder, item.year, item.registration_number) == (
        "Étude",
        "Frédéric Chopin",
        None,
        "",
    )


def test_ingest_takes_exactly_the_maximum_number_of_rows(client: Client, token: str) -> None:
    csv_text = HEADER + "".join(f"Work {i},Holder,,\n" for i in range(MAX_ROWS))

    response = client.post(INGEST, {"file": upload(csv_text)}, **_auth(token))

    assert response.status_code == 201
    assert response.json() == {"created": MAX_ROWS}
    assert CopyrightItem.objects.count() == MAX_ROWS


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Token not-a-token-anyone-was-given"},
        {"HTTP_AUTHORIZATION": "Bearer abc"},
        {"HTTP_AUTHORIZATION": "Token"},
        {"HTTP_AUTHORIZATION": "\x00junk\xff"},
    ],
    ids=["no-header", "unknown-token", "other-scheme", "keyword-only", "junk"],
)
def test_ingest_answers_401_without_a_valid_token(client: Client, headers: dict[str, Any]) -> None:
    response = client.post(INGEST, {"file": upload(HEADER + "T,H,,\n")}, **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    body = response.json()
    assert body["error"] == "authentication required"
    assert "Authorization: Token" in body["detail"]
    assert not CopyrightItem.objects.exists()


def test_ingest_answers_401_to_an_inactive_users_token(
    client: Client, token: str, user: Any
) -> None:
    user.is_active = False
    user.save()

    response = client.post(INGEST, {"file": upload(HEADER + "T,H,,\n")}, **_auth(token))

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("data", "error", "in_detail"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "not UTF-8 text", "not UTF-8"),
        (b"title,rights_holder\nA,\x00B\n", "not UTF-8 text", "NUL"),
        ("title,year\nUlysses,1922\n", "missing columns", "rights_holder"),
        ("name,owner\nUlysses,Joyce\n", "missing columns", "title, rights_holder"),
        (HEADER + "Ulysses,Joyce,1922,\nDubliners,Joyce,nineteen,\n", "invalid year", "Line 3"),
        (HEADER + "Ulysses,Joyce,-5,\n", "invalid year", "'-5'"),
        (HEADER + "Ulysses,Joyce,12345,\n", "invalid year", "from 1 to 9999"),
        (HEADER + ",Joyce,1922,\n", "invalid row", "title is empty"),
        (HEADER + "Ulysses,,1922,\n", "invalid row", "rights_holder is empty"),
        (HEADER + "x" * 501 + ",Joyce,,\n", "invalid row", "at most 500"),
        (b"", "empty file", "empty"),
        (HEADER, "no rows", "no data rows"),
        (HEADER + "\n\n", "no rows", "no data rows"),
        (HEADER + "T,H,,\n" * (MAX_ROWS + 1), "too many rows", str(MAX_ROWS)),
        (HEADER + "T,H,,\n" + "x" * MAX_BYTES, "file too large", "5 MB"),
        ('title,rights_holder\n"' + "x" * 200_000 + '",H\n', "invalid CSV", "line"),
    ],
    ids=[
        "binary",
        "nul-bytes",
        "missing-rights-holder",
        "missing-both-columns",
        "year-not-a-number",
        "year-negative",
        "year-five-digits",
        "empty-title",
        "empty-rights-holder",
        "title-too-long",
        "empty-file",
        "header-only",
        "header-and-blank-lines",
        "too-many-rows",
        "over-5-mb",
        "field-over-csv-limit",
    ],
)
def test_ingest_answers_400_and_creates_nothing_for_a_bad_file(
    client: Client, token: str, data: bytes | str, error: str, in_detail: str
) -> None:
    response = client.post(INGEST, {"file": upload(data)}, **_auth(token))

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == error
    assert in_detail in body["detail"]
    assert not CopyrightItem.objects.exists()


def test_ingest_creates_the_rows_of_an_xlsx_workbook(client: Client, token: str) -> None:
    rows: list[list[Any]] = [
        ["Title", "Rights_Holder", "Year", "Registration_Number"],
        ["Ulysses", "James Joyce", 1922, "A-1"],
        ["Dubliners", "James Joyce", 1914.0, 12345],
        ["Moby-Dick", "Herman Melville", None, None],
    ]

    response = client.post(INGEST, {"file": xlsx_upload(rows)}, **_auth(token))

    assert response.status_code == 201
    assert response.json() == {"created": 3}
    assert list(
        CopyrightItem.objects.order_by("id").values_list(
            "title", "rights_holder", "year", "registration_number"
        )
    ) == [
        ("Ulysses", "James Joyce", 1922, "A-1"),
        ("Dubliners", "James Joyce", 1914, "12345"),
        ("Moby-Dick", "Herman Melville", None, ""),
    ]


@pytest.mark.parametrize(
    ("data", "name", "error", "in_detail"),
    [
        (
            xlsx([["title", "rights_holder"], ["A", "X"]])[:300],
            "test.xlsx",
            "invalid workbook",
            "save it again",
        ),
        (b"\xd0\xcf\x11\xe0" + bytes(508), "test.xls", "unsupported format", "as .xlsx"),
        (xlsx([["title", "year"], ["A", 1999]]), "test.xlsx", "missing columns", "rights_holder"),
        (
            xlsx([["title", "rights_holder", "year"], ["A", "X", 1999.5]]),
            "test.xlsx",
            "invalid year",
            "Row 2",
        ),
        (xlsx([]), "test.xlsx", "empty file", "empty"),
    ],
    ids=["broken", "xls", "missing-column", "fractional-year", "empty"],
)
def test_ingest_answers_400_and_creates_nothing_for_a_bad_workbook(
    client: Client, token: str, data: bytes, name: str, error: str, in_detail: str
) -> None:
    response = client.post(INGEST, {"file": upload(data, name)}, **_auth(token))

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == error
    assert in_detail in body["detail"]
    assert body["detail"].endswith(".")
    assert not CopyrightItem.objects.exists()


def test_ingest_answers_400_to_a_workbook_when_openpyxl_is_missing(
    client: Client, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    workbook = xlsx_upload([["title", "rights_holder"], ["A", "X"]])
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl now fails

    response = client.post(INGEST, {"file": workbook}, **_auth(token))

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported format"
    assert "install prodready[demo]" in response.json()["detail"]


@pytest.mark.parametrize(
    "fields",
    [{}, {"file": "title,rights_holder\nA,B\n"}, {"other": upload(HEADER + "T,H,,\n")}],
    ids=["no-fields", "text-field-not-file", "wrong-field-name"],
)
def test_ingest_answers_400_without_a_file_field(
    client: Client, token: str, fields: dict[str, Any]
) -> None:
    response = client.post(INGEST, fields, **_auth(token))

    assert response.status_code == 400
    assert response.json()["error"] == "missing file"


def test_ingest_answers_400_to_a_body_that_is_not_multipart(client: Client, token: str) -> None:
    response = client.post(INGEST, b"garbage", content_type="multipart/form-data", **_auth(token))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid upload"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_ingest_answers_405_json_to_other_methods(client: Client, method: str) -> None:
    response = getattr(client, method)(INGEST)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"] == "method not allowed"
