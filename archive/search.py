"""Searching the images a user may see: parameters in, one page of images out.

``SearchQuery.parse(params)`` validates the query string (``QueryError`` with a message
otherwise); ``search(user, query)`` returns a ``Page``. Every search starts from
``Image.objects.visible_to(user)`` (portal/permissions.py decides), then:

- spatial: ``ra``, ``dec``, ``radius`` (a cone: footprints that come within ``radius``
  of the position), ``box=ra_min,dec_min,ra_max,dec_max`` (footprints that meet the
  box; ra_min > ra_max goes through ra = 0), ``contains=ra,dec`` (footprints holding
  the position); ICRS degrees. Candidates come from the HEALPix cell index, then the
  exact test of ``archive/sky.py`` decides, row by row;
- ``q``: words of the title, object or file name (each a prefix of one of them);
- ``object`` (case, spaces and punctuation aside), ``filter``, ``instrument``,
  ``telescope``, ``bunit`` (exact; several values comma-separated), ``date_min``,
  ``date_max`` (ISO dates or times, UTC; or MJD), ``exptime_min``/``_max`` (s),
  ``pixel_scale_min``/``_max`` (arcsec), ``state``, ``collection`` (slug);
- ``header.KEYWORD=value``: any keyword of the stored header (on PostgreSQL a GIN
  index of the headers finds a value few images hold; elsewhere, or for a common
  value, it is asked of each row read: narrow with the others first);
- ``sort`` (``-`` for descending) and ``cursor``: keyset pages, stable while images are
  added or removed. Images without a value of the sort column come after the others,
  either way.

Plans: a filter that names few images (the rarest word of ``q``, an exposure-time or
pixel-scale range, a header value; counted up to a limit first) gives the candidates,
which are sorted; otherwise rows are read in the order of the sort's index and each is
asked the filters, until a page is full.

A spatial search examines at most ``ARCHIVE_MAX_EXAMINED`` candidates per page: a page
may then hold fewer images than asked, with a cursor to go on.
"""

import base64
import json
import math
import operator
import re
from dataclasses import astuple, dataclass, field
from datetime import UTC, datetime
from functools import reduce

from django.conf import settings
from django.db import connection, connections
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.dateparse import parse_date, parse_datetime

from archive import keywords, sky
from archive.models import ImageMetadata, SearchWord, SkyCell
from portal.models import Collection, Image, collections_q


class QueryError(ValueError):
    """A search parameter that cannot be used; the message is for the user."""


# sort name -> (column of ImageMetadata, may be null); its pk is the image's id
SORTS = {
    "date_obs": ("date_obs", True),
    "exptime": ("exptime", True),
    "pixel_scale": ("pixel_scale", True),
    "object": ("object", False),
    "filter": ("band", False),
    "instrument": ("instrument", False),
    "telescope": ("telescope", False),
    "id": ("pk", False),
}
DEFAULT_SORT = "-date_obs"
TEXT_FILTERS = {
    "filter": "band",
    "instrument": "instrument",
    "telescope": "telescope",
    "bunit": "bunit",
}
RANGE_FILTERS = {"exptime": "exptime", "pixel_scale": "pixel_scale"}
MAX_VALUES = 50  # comma-separated values of one filter
MAX_WORDS = 8
# Images a word prefix, a range or a header value names, from which it is asked of
# each row read from the sort's index rather than listed and sorted.
COMMON_WORD = 20_000
COMMON_MATCH = 20_000
COMMON_HEADER = 500  # counted through the index and the rows it names (a recheck)
FEW_COLLECTIONS = 200  # visible collections listed in the query, at most
LISTED_CANDIDATES = 20_000  # images of a spatial query's cells listed in the query, at most
UNION_RANGES = 200  # cell ranges read as a union of range scans, at most
MAX_HEADER_FILTERS = 10
_KEYWORD = re.compile(r"^[A-Z0-9_-]{1,8}$")


@dataclass
class SearchQuery:
    filters: Q = field(default_factory=Q)
    subqueries: list = field(default_factory=list)  # Q objects each applied with .filter
    # Words (SearchWord querysets) asked of the first sorted candidates of the rarest
    # one rather than in the statement; in the statement for every other use.
    later: list = field(default_factory=list)
    few: bool = False  # a filter names few images: start from them, sort them
    spatial: object = None  # a Cone, Box or Contains
    sort: str = DEFAULT_SORT
    cursor: tuple = None  # (phase, value, id)
    page_size: int = 50

    @classmethod
    def parse(cls, params, page_size=50, max_page_size=500):
        # No database stores a NUL in text (PostgreSQL refuses it): no value may hold one.
        lists = params.lists() if hasattr(params, "lists") else params.items()
        for name, values in lists:
            for value in values if isinstance(values, list) else [values]:
                if "\x00" in str(value) or "\x00" in str(name):
                    raise QueryError(f"{name.replace(chr(0), '')}: NUL is not allowed in a query.")
        query = cls()
        query.page_size = _int(params, "page_size", page_size, 1, max_page_size)
        query.spatial = _spatial(params)
        query.filters, query.subqueries, query.later, query.few = _filters(params)
        sort = params.get("sort") or DEFAULT_SORT
        if sort.lstrip("-") not in SORTS:
            raise QueryError(f"sort: one of {', '.join(SORTS)}, '-' first for descending.")
        query.sort = sort
        if params.get("cursor"):
            query.cursor = decode_cursor(params["cursor"], sort)
        return query


# --- spatial predicates ----------------------------------------------------------------


@dataclass
class Cone:
    ra: float
    dec: float
    radius: float

    def cell_ranges(self):
        return sky.disc_ranges([(self.ra, self.dec, self.radius)])

    def meets(self, footprints):
        return _any_part(footprints, lambda parts: sky.meet_cone(parts, *astuple(self)))


@dataclass
class Contains:
    ra: float
    dec: float

    def cell_ranges(self):
        return [(cell, cell + 1) for cell in sky.point_cells(self.ra, self.dec)]

    def meets(self, footprints):
        return _any_part(footprints, lambda parts: sky.contain(parts, self.ra, self.dec))


@dataclass
class BoxQuery:
    box: sky.Box

    def cell_ranges(self):
        return sky.disc_ranges(sky.box_discs(self.box))

    def meets(self, footprints):
        return _any_part(footprints, lambda parts: sky.meet_box(parts, self.box))


def _any_part(footprints, test):
    """Whether each footprint (the corners of each of its parts) has a part that passes
    ``test``, a function of many parts at once: every part of every footprint tested in
    one call. A footprint of no parts (no celestial WCS) passes nothing."""
    parts = [corners for footprint in footprints for corners in footprint]
    passed = iter(test(parts).tolist())
    return [any([next(passed) for _ in footprint]) for footprint in footprints]


def _ranges_q(ranges):
    q = Q(pk__in=[])
    for low, high in ranges:
        q |= Q(cell__gte=low, cell__lt=high)
    return q


def _spatial(params):
    given = [name for name in ("ra", "dec", "radius") if params.get(name) not in (None, "")]
    chosen = [bool(given), bool(params.get("box")), bool(params.get("contains"))]
    if sum(chosen) > 1:
        raise QueryError("Give one of a cone (ra, dec, radius), box or contains.")
    if given:
        if len(given) < 3:
            raise QueryError("A cone needs ra, dec and radius (degrees).")
        ra, dec = _position(params["ra"], params["dec"], "ra/dec")
        radius = _float(params["radius"], "radius")
        if not 0 < radius <= 90:
            raise QueryError("radius: degrees, more than 0 and at most 90.")
        return Cone(ra, dec, radius)
    if params.get("contains"):
        parts = params["contains"].split(",")
        if len(parts) != 2:
            raise QueryError("contains: ra,dec in degrees.")
        return Contains(*_position(*parts, "contains"))
    if params.get("box"):
        parts = params["box"].split(",")
        if len(parts) != 4:
            raise QueryError("box: ra_min,dec_min,ra_max,dec_max in degrees.")
        ra_min, dec_min = _position(parts[0], parts[1], "box")
        ra_max, dec_max = _position(parts[2], parts[3], "box")
        if dec_min > dec_max:
            raise QueryError("box: dec_min must not be more than dec_max.")
        return BoxQuery(sky.Box(ra_min, dec_min, ra_max, dec_max))
    return None


def _position(ra, dec, name):
    ra, dec = _float(ra, name), _float(dec, name)
    if not (0 <= ra <= 360 and -90 <= dec <= 90):
        raise QueryError(f"{name}: ra in [0, 360] and dec in [-90, 90] degrees.")
    return ra % 360.0 if ra < 360 else 360.0, dec


def _float(text, name):
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise QueryError(f"{name}: not a number: {str(text)[:40]!r}.") from None
    if not math.isfinite(value):
        raise QueryError(f"{name}: not a finite number.")
    return value


def _int(params, name, default, low, high):
    text = params.get(name)
    if text in (None, ""):
        return default
    if not re.fullmatch(r"[0-9]{1,6}", str(text)):
        raise QueryError(f"{name}: a whole number from {low} to {high}.")
    return max(low, min(high, int(text)))


# --- other filters ---------------------------------------------------------------------


def _filters(params):
    """(Q, subqueries, later words, few): the filters, and whether one of them names
    few images (at most ``COMMON_WORD`` or ``COMMON_MATCH``), so that a search starts
    from those and sorts them rather than read the sort's index until a page is full."""
    q, subqueries, later, few = Q(), [], [], False
    # Words, rarest first: the rarest one, when rare, lists its images (the candidates),
    # and every other word is asked of the first of them once sorted (``later``: of a
    # chunk, not of all of them before the sort). When even the rarest is common, each
    # is asked of each row read from the sort's index, through the image's own words.
    counted = []
    for term in _words(params.get("q", "")):
        upper = term[:-1] + chr(ord(term[-1]) + 1)  # words are [a-z0-9]: a prefix range
        words = SearchWord.objects.filter(word__gte=term, word__lt=upper)
        counted.append((words[:COMMON_WORD].count(), term, words))
    counted.sort(key=lambda item: item[:2])
    for rank, (count, _, words) in enumerate(counted):
        if rank == 0 and count < COMMON_WORD:
            subqueries.append(Q(pk__in=words.values("image_id")))
            few = True
        elif few:
            later.append(words)
        else:
            subqueries.append(_having(words))
    if params.get("object"):
        key = keywords.object_key(params["object"])
        if not key:
            raise QueryError("object: a name with letters or digits.")
        q &= Q(object_key=key)
    for name, column in TEXT_FILTERS.items():
        if params.get(name):
            values = [v.strip() for v in params[name].split(",") if v.strip()][:MAX_VALUES]
            q &= Q(**{f"{column}__in": values})
    for name, column in RANGE_FILTERS.items():
        bounds = []
        for bound, lookup in (("min", GreaterThanOrEqual), ("max", LessThanOrEqual)):
            if params.get(f"{name}_{bound}") not in (None, ""):
                bounds.append((lookup, _float(params[f"{name}_{bound}"], f"{name}_{bound}")))
        if not bounds:
            continue
        # A range that holds many images is asked of each row read from the sort's
        # index ("+ 0" hides the column's own index: SQLite, which knows no more of a
        # range than that it is one, would otherwise read all of it, then sort).
        within = ImageMetadata.objects.filter(*(lookup(F(column), v) for lookup, v in bounds))
        if within[:COMMON_MATCH].count() < COMMON_MATCH:
            q &= Q(*(lookup(F(column), v) for lookup, v in bounds))
            few = True
        else:
            q &= Q(*(lookup(F(column) + 0.0, v) for lookup, v in bounds))
    for bound, lookup in (("min", "gte"), ("max", "lte")):
        if params.get(f"date_{bound}"):
            q &= Q(**{f"date_obs__{lookup}": _moment(params[f"date_{bound}"], bound)})
    if params.get("state"):
        states = params["state"].split(",")
        if not set(states) <= {s for s, _ in Image.STATE_CHOICES}:
            raise QueryError("state: pending, warming, ready or failed (comma-separated).")
        q &= Q(image__state__in=states)
    if params.get("collection"):
        q &= Q(image__collection__slug=params["collection"])
    headers = [(k, v) for k, v in params.items() if k.startswith("header.")]
    if len(headers) > MAX_HEADER_FILTERS:
        raise QueryError(f"At most {MAX_HEADER_FILTERS} header.KEYWORD filters.")
    for key, value in headers:
        keyword = key[len("header.") :].upper()
        if not _KEYWORD.match(keyword):
            raise QueryError(f"{key}: not a FITS keyword (up to 8 of A-Z 0-9 _ -).")
        match, rare = _header_match(keyword, value)
        q &= match
        few = few or rare
    return q, subqueries, later, few


def _having(words):
    """The metadata rows whose image has one of ``words`` (a SearchWord queryset)."""
    return Q(Exists(words.filter(image_id=OuterRef("pk"))))


def _header_match(keyword, value):
    """(Q, rare): the images whose stored header gives ``keyword`` the value ``value``
    (as text, as a number, or T/F as a boolean). Where the database has an index of
    the headers' keyword-value pairs (PostgreSQL: GIN, jsonb_path_ops, on "@>"), a
    value that few images hold is looked up in it (rare: True); a common one, or any
    elsewhere, is asked of each row read."""
    values = [value]
    number = keywords.number(value)
    if number is not None:
        values.append(int(number) if number.is_integer() else number)
    if value.upper() in ("T", "F"):
        values.append(value.upper() == "T")
    if connection.features.supports_json_field_contains:
        indexed = reduce(operator.or_, (Q(header__contains={keyword: v}) for v in values))
        holding = Image.objects.filter(indexed).order_by()  # not the images' default order
        if holding[:COMMON_HEADER].count() < COMMON_HEADER:
            return Q(pk__in=holding.values("pk")), True
    return reduce(operator.or_, (Q(**{f"image__header__{keyword}": v}) for v in values)), False


def _words(text):
    words = keywords.words(text or "")
    if len(words) > MAX_WORDS:
        raise QueryError(f"q: at most {MAX_WORDS} words.")
    return words


def _moment(text, bound):
    """A UTC datetime from an ISO date/time or an MJD; a date alone covers its day."""
    text = str(text).strip()
    number = keywords.number(text)
    if number is not None and re.fullmatch(r"[0-9.]+", text):
        moment = keywords.observation_time("MJD-OBS", number, [])
    else:
        moment = _parse_iso(text, bound)
    if moment is None:
        raise QueryError(f"date_{bound}: an ISO date or time (UTC), or an MJD: {text[:40]!r}.")
    return moment


def _parse_iso(text, bound):
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            if day is None:
                return None
            time = (23, 59, 59, 999999) if bound == "max" else (0, 0, 0, 0)
            moment = datetime(day.year, day.month, day.day, *time)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- cursors ---------------------------------------------------------------------------


def encode_cursor(phase, value, pk):
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([phase, value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text, sort):
    """(phase, value, id) of a cursor made for ``sort``; QueryError if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(str(text) + "=" * (-len(str(text)) % 4))
        phase, value, pk = json.loads(raw)
    except (ValueError, TypeError):
        raise QueryError("cursor: not a cursor of this search.") from None
    column, _ = SORTS[sort.lstrip("-")]
    valid = phase in (0, 1) and isinstance(pk, int) and 0 <= pk < 2**63
    if valid and phase == 0 and column == "date_obs":
        value = parse_datetime(value) if isinstance(value, str) else None
        valid = value is not None
    elif valid and phase == 0:
        valid = isinstance(value, (int, float, str)) and not isinstance(value, bool)
    if not valid:
        raise QueryError("cursor: not a cursor of this search.")
    return phase, value, pk


# --- running a search -----------------------------------------------------------------


@dataclass
class Page:
    images: list
    next_cursor: str = None
    examined: int = 0


def base_queryset(user, query):
    """The metadata rows of the images ``user`` may see that meet the query's filters
    (and, for a spatial query, may meet it: the exact test comes after)."""
    seen = Seen.of(user)
    return seen.own(_visible(_matching(query), seen, query.few or query.spatial is not None))


@dataclass
class Seen:
    """The collections a user may see, as a search asks them: every one (the rule of
    ``collections_q`` names no condition: a superuser), the ids of a few (at most
    ``FEW_COLLECTIONS``), or else the collections' query."""

    everything: bool
    few: list = None
    visible: object = None  # the ids of the visible collections, a queryset

    @classmethod
    def of(cls, user):
        if not collections_q(user):
            return cls(everything=True)
        visible = Collection.objects.visible_to(user).values_list("pk", flat=True)
        few = list(visible[: FEW_COLLECTIONS + 1])
        if len(few) <= FEW_COLLECTIONS:
            return cls(everything=False, few=few)
        return cls(everything=False, visible=visible)

    def own(self, queryset):
        """``queryset`` (of ImageMetadata) narrowed by each image's own collection: the
        rule, asked again of the rows a search keeps."""
        if self.everything:
            return queryset
        return queryset.filter(
            image__collection_id__in=self.few if self.visible is None else self.visible
        )


def _visible(queryset, seen, candidates=False):
    # The rule is Image.objects.visible_to's: the collections the user may see, asked
    # of the metadata's copy of each image's collection, which the indexes a search
    # reads hold (rows of others' collections are passed over in the index, and no
    # image row is joined); the image's own column is asked again of the rows a page
    # keeps (``Seen.own``). One who sees every collection is asked nothing. A user who
    # sees few of them has them listed, so that the planner knows how few images pass
    # and may read just those. For one who sees many, the rule is asked of each row as
    # it is read ("+ 0" hides the collection index): rows come in the order of the
    # sort's index (or from the cells, or a filter's index) and a page stops early.
    # When a filter or the sky's cells name the candidates (``candidates``), the listed
    # collections are asked of each of them ("+ 0" again: SQLite would read every image
    # of each collection and probe the candidates, PostgreSQL every image of them and
    # hash the candidates).
    if seen.everything:
        return queryset
    if seen.few is not None and not candidates:
        return queryset.filter(collection_id__in=seen.few)
    listed = seen.few if seen.few is not None else seen.visible
    return queryset.alias(collection_key=F("collection_id") + 0).filter(collection_key__in=listed)


class Listed(Func):
    """Whether the expression (an id) is one of ``ids``, the ids being one parameter of
    the statement (PostgreSQL: an array; SQLite: a JSON list, through json_each) rather
    than one placeholder each: a spatial search's thousands of candidates then cost
    neither thousands of lookups to build nor thousands of parameters to convert, and
    the database still knows how many they are."""

    output_field = BooleanField()

    def __init__(self, expression, ids):
        super().__init__(expression)
        self.ids = [int(i) for i in ids]

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        if not self.ids:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{column} = ANY(%s::bigint[])", [*params, self.ids]
        if connection.vendor == "sqlite":
            return f"{column} IN (SELECT value FROM json_each(%s))", [*params, json.dumps(self.ids)]
        return f"{column} IN ({', '.join(['%s'] * len(self.ids))})", [*params, *self.ids]


def _matching(query, later=True):
    """The metadata rows of every image that meets the query's filters (and, for a
    spatial query, may meet it), whoever may see them; without the ``later`` words
    unless asked."""
    queryset = ImageMetadata.objects.filter(query.filters)
    for subquery in query.subqueries + ([_having(w) for w in query.later] if later else []):
        queryset = queryset.filter(subquery)
    if query.spatial is not None:
        candidates = _sky_candidates(query.spatial)
        queryset = queryset.filter(
            Listed("pk", candidates) if isinstance(candidates, list) else Q(pk__in=candidates)
        )
    return queryset.select_related("image__collection")


def _sky_candidates(spatial):
    """The ids of the images whose cells meet the spatial query's: listed when there
    are at most ``LISTED_CANDIDATES`` of them (the planner then knows how few they are
    and reads each one's row, where from the cells' subquery it guesses many more and
    reads every row of the table), else that subquery.

    Up to ``UNION_RANGES`` ranges, the ids are read as a union of one scan of the cell
    index per range: each reads the index alone, where the ranges OR'd in one condition
    are a bitmap of the table's rows, read from the table, scattered wherever the
    images' cells were written."""
    ranges = [(int(low), int(high)) for low, high in spatial.cell_ranges()]
    if len(ranges) <= UNION_RANGES:
        listed = _union_of_ranges(ranges, LISTED_CANDIDATES + 1)
    else:
        # Each image once ("+ 0": SQLite would read the whole image index, in order, to
        # tell them apart rather than the cells' ranges of the cell index).
        cells = SkyCell.objects.filter(_ranges_q(ranges))
        distinct = cells.annotate(candidate=F("image_id") + 0).values_list("candidate", flat=True)
        listed = list(distinct.distinct()[: LISTED_CANDIDATES + 1])
    if len(listed) <= LISTED_CANDIDATES:
        return listed
    return SkyCell.objects.filter(_ranges_q(ranges)).values("image_id")


def _union_of_ranges(ranges, limit):
    """The ids of the images of the cells in ``ranges`` (each once, at most ``limit``):
    one statement, a UNION of a scan of the cell index per range. Written out rather
    than built from querysets, which would cost more than the statement itself."""
    if not ranges:
        return []
    database = connections[SkyCell.objects.db]
    quote = database.ops.quote_name
    meta = SkyCell._meta
    table, image, cell = (
        quote(meta.db_table), quote(meta.get_field("image").column), quote(meta.get_field("cell").column)
    )  # fmt: skip
    scan = f"SELECT {image} FROM {table} WHERE {cell} >= %s AND {cell} < %s"
    statement = " UNION ".join([scan] * len(ranges)) + " LIMIT %s"
    with database.cursor() as cursor:
        cursor.execute(statement, [bound for pair in ranges for bound in pair] + [limit])
        return [row[0] for row in cursor.fetchall()]


def _after(queryset, column, descending, nullable, phase, value, pk, by_candidates=False):
    """The rows of ``phase`` (0: with a value, 1: without) after (value, pk), in order.

    ``by_candidates``: the order is asked of an expression no index has (the column
    coalesced with itself, the same values), so that the planner starts from the
    candidates of the other conditions (a spatial query's cells) and sorts those,
    rather than read the sort's index probing each row's cells."""
    order = [f"-{column}", "-pk"] if descending else [column, "pk"]
    if by_candidates:
        order = [
            getattr(Coalesce(name.lstrip("-"), name.lstrip("-")), "desc" if descending else "asc")()
            for name in order
        ]
    if column == "pk":
        order = order[1:]
    if nullable:
        queryset = queryset.filter(**{f"{column}__isnull": phase == 1})
    if phase == 1:
        order = order[1:] if column != "pk" else order
    if pk is not None:
        more, less = ("lt", "gt") if descending else ("gt", "lt")
        if phase == 1 or column == "pk":
            queryset = queryset.filter(**{f"pk__{more}": pk})
        else:
            queryset = queryset.filter(
                Q(**{f"{column}__{more}": value}) | Q(**{column: value, f"pk__{more}": pk})
            )
    return queryset.order_by(*order)


def _key(meta, column):
    return meta.pk if column == "pk" else getattr(meta, column)


def search(user, query):
    """One ``Page`` of the images ``user`` may see that match ``query``."""
    seen = Seen.of(user)
    spatial = query.spatial
    queryset = _visible(_matching(query), seen, query.few or spatial is not None)
    # The first chunk of a query with ``later`` words leaves them out of its statement
    # and asks them of that chunk alone; if the page is not full, the rest is read with
    # them in the statement (a chunk at a time, as any other query).
    first = _visible(_matching(query, later=False), seen, True) if query.later else None
    # Sorted by id, a user's collections are each read from its end (the image index
    # on (collection, id)) and merged: their images may lie anywhere in the id order.
    few = seen.few
    merged = few is not None and len(few) > 1 and not spatial and not query.subqueries
    column, nullable = SORTS[query.sort.lstrip("-")]
    descending = query.sort.startswith("-")
    phase, value, pk = query.cursor or (0, None, None)
    size = query.page_size
    chunk = size + 1 if spatial is None and first is None else min(4 * (size + 1), 1000)
    budget = settings.ARCHIVE_MAX_EXAMINED
    # Each candidate read: (id, the sort's value) only: a spatial query's thousands of
    # candidates, most of them others' or past the page, are sorted without their
    # footprints. Only the footprints of the first ``chunk`` are read, tested all at
    # once, and the rows of a page's hits whole.
    fields = ["pk"] + ([] if column == "pk" else [column])
    found, examined = [], 0
    while True:
        limit = chunk if spatial is None else max(1, min(chunk, budget - examined))
        if merged and column == "pk":
            candidates = [
                (i,) for i in _merged_by_id(query, few, queryset.db, descending, pk, limit)
            ]
        else:
            ordered = _after(
                queryset if first is None else first, column, descending, nullable, phase,
                value, pk, spatial is not None or query.few,
            )  # fmt: skip
            candidates = list(ordered.values_list(*fields)[:limit])
        hits = [True] * len(candidates) if spatial is None else _meet(spatial, candidates)
        if first is not None:
            hits = _have_words(query.later, candidates, hits)
            first = None
        rows = _rows(
            [c[0] for c, hit in zip(candidates, hits, strict=True) if hit],
            size + 1 - len(found),
            seen,
        )
        for candidate, hit in zip(candidates, hits, strict=True):
            examined += 1
            value, pk = (
                (None if phase == 1 else candidate[1 if column != "pk" else 0]),
                candidate[0],
            )
            if hit and pk in rows:
                found.append((rows[pk], phase, value))
                if len(found) > size:
                    last, last_phase, last_value = found[size - 1]
                    cursor = encode_cursor(last_phase, last_value, last.pk)
                    return Page(_images(found[:size]), cursor, examined)
        if len(candidates) < limit:
            if nullable and phase == 0:
                phase, value, pk = 1, None, None
                continue
            return Page(_images(found), None, examined)
        if spatial is not None and examined >= budget:
            return Page(_images(found), encode_cursor(phase, value, pk), examined)


def _have_words(later, candidates, hits):
    """``hits``, but for the candidates (id first) whose image lacks one of the
    ``later`` words."""
    for words in later:
        ids = [c[0] for c, hit in zip(candidates, hits, strict=True) if hit]
        having = set(words.filter(Listed("image_id", ids)).values_list("image_id", flat=True))
        hits = [hit and c[0] in having for c, hit in zip(candidates, hits, strict=True)]
    return hits


def _meet(spatial, candidates):
    """Whether each candidate (id first) meets the spatial query, its footprint read by
    id; one deleted meanwhile has none and meets nothing."""
    ids = [c[0] for c in candidates]
    footprints = dict(ImageMetadata.objects.filter(Listed("pk", ids)).values_list("pk", "polygons"))
    return spatial.meets([footprints.get(i, []) for i in ids])


def matching_rows(spatial, rows):
    """Whether each of ``rows`` (metadata) matches the spatial query, all at once."""
    return spatial.meets([meta.polygons for meta in rows])


NO_COLLECTION = -(2**62) - 7  # an id no collection has: where each one's id goes


def _merged_by_id(query, few, db, descending, pk, limit):
    """The first ``limit`` ids by id after ``pk`` of the images of the collections
    ``few`` that match ``query``: at most ``limit`` of each collection, read from the
    end of its part of the image index on (collection, id), then merged. One statement:
    on PostgreSQL a lateral join over the collections (planned once), elsewhere one
    part per collection."""

    def part(collection_id):
        queryset = _matching(query).filter(image__collection_id=collection_id)
        queryset = _after(queryset, "pk", descending, False, 0, None, pk)
        return queryset.values_list("pk", flat=True)[:limit].query.sql_with_params()

    connection = connections[db]
    # One part is built (for an id no collection has) and its statement reused for
    # every collection: building a queryset per collection cost more than the reads.
    sql, params = part(NO_COLLECTION)
    params = list(params)
    pieces = sql.split("%s")
    if len(pieces) != len(params) + 1 or params.count(NO_COLLECTION) != 1:
        # not one placeholder per parameter: each part built for its collection
        built = [part(collection_id) for collection_id in few]
        statement = " UNION ALL ".join(
            f"SELECT * FROM ({sql}) AS part{number}" for number, (sql, _) in enumerate(built)
        )
        params = [value for _, part_params in built for value in part_params]
    elif connection.vendor == "postgresql":
        at = params.index(NO_COLLECTION)
        sql = "%s".join(pieces[: at + 1]) + "visible.id" + "%s".join(pieces[at + 1 :])
        statement = (
            f"SELECT part.pk FROM unnest(%s::bigint[]) AS visible (id)"
            f" CROSS JOIN LATERAL ({sql}) AS part"
        )
        params = [list(few), *params[:at], *params[at + 1 :]]
    else:
        at = params.index(NO_COLLECTION)
        statement = " UNION ALL ".join(
            f"SELECT * FROM ({sql}) AS part{number}" for number in range(len(few))
        )
        params = [
            value
            for collection_id in few
            for value in (*params[:at], collection_id, *params[at + 1 :])
        ]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return sorted((row[0] for row in cursor.fetchall()), reverse=descending)[:limit]


def _rows(ids, need, seen):
    """The metadata rows (with image and collection), by id, of the first ``need`` of
    ``ids`` that are still there and still in a collection the user sees (``seen``: the
    image's own column decides); an image deleted or moved meanwhile is passed over."""
    rows, start = {}, 0
    while start < len(ids) and len(rows) < need:
        batch = ids[start : start + need - len(rows)]
        found = ImageMetadata.objects.filter(Listed("pk", batch)).select_related(
            "image__collection"
        )
        rows.update((meta.pk, meta) for meta in seen.own(found))
        start += len(batch)
    return rows


def _images(found):
    """The images of the (metadata, phase, value) found, each with its metadata."""
    images = []
    for meta, _, _ in found:
        image = meta.image
        image.meta = meta
        images.append(image)
    return images
