"""``portal/auth.py``: who a request is, read from raw headers and remembered per process.

The caches as they are used: two users asking one after the other in one process (owner
then stranger and the reverse), without clearing anything between them; every answer is
the one Django and DRF give (the user of the session, else of the token; 401 for a token
DRF refuses). The changes that end an identity -- a logout, a deleted token, a
deactivated or deleted user -- take effect at the very next request in the process that
made them (delay zero) and touch no one else's cached identity (the other user's next
request is still answered without I/O: ``peek_request_user`` knows it). A change made
behind Django's back (a queryset ``update``: no signal) is seen after
``USER_CACHE_SECONDS`` at most.

Synchronous on purpose: these run as the mutation tests of ``portal/auth.py``. The same
changes through the views and the tile fast path: ``tests/security/test_two_users.py``,
``test_session_end.py`` and ``test_auth_two_users.py`` here.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.cached_db import SessionStore
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from portal import auth

# Transactions as in a server: ``user_for_session`` closes the connection it finds
# obsolete, which inside a test's transaction is every one.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def empty_caches():
    """Empty once before each test (never between its two users) and after it."""
    auth.forget_everyone()
    auth._read.clear()
    yield
    auth.forget_everyone()
    auth._read.clear()


def raw(cookie=None, authorization=None):
    headers = [(b"host", b"testserver")]
    if cookie is not None:
        headers.append((b"cookie", cookie.encode("latin-1")))
    if authorization is not None:
        headers.append((b"authorization", authorization.encode("latin-1")))
    return headers


def session_creds(user):
    client = Client()
    client.force_login(user)
    creds = auth.credentials(raw(cookie=f"sessionid={client.cookies['sessionid'].value}"))
    return client, creds


def token_creds(user):
    token = Token.objects.create(user=user)
    return token, auth.credentials(raw(authorization=f"Token {token.key}"))


def is_user(found, user):
    return found is not None and found.is_authenticated and found.pk == user.pk


# --- reading the headers ------------------------------------------------------------------


def test_headers_are_joined_and_named_as_django_names_them():
    headers = auth.request_headers(
        [
            (b"Cookie", b"a=1"),
            (b"COOKIE", b"b=2"),
            (b"cookie", b"c=3"),
            (b"x_forwarded_user", b"root"),  # a name with "_": Django drops it
            (b"X-Caf\xe9", b"cr\xe8me"),  # latin-1 both ways
        ]
    )
    assert headers == {"cookie": "a=1,b=2,c=3", "x-caf\u00e9": "cr\u00e8me"}


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        (None, None),
        ("", None),
        ("Bearer abc", None),
        ("Tokens abc", None),
        ("Token abc123", "abc123"),
        ("TOKEN abc123", "abc123"),  # the keyword in any case, as DRF compares it
        ("token\t abc123 ", "abc123"),  # any whitespace around
        ("Token", "bad"),  # no key
        ("Token a b", "bad"),  # two keys
        ("Token k\xe9y", "bad"),  # not UTF-8 once read as latin-1
    ],
)
def test_the_token_is_read_as_drf_reads_it(authorization, expected):
    creds = auth.credentials(raw(authorization=authorization))
    assert creds.session is None
    assert creds.token == (auth.BAD_TOKEN if expected == "bad" else expected)


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [
        (None, None),
        ("other=1", None),
        ("sessionid=", ""),
        ("theme=dark; sessionid=abc123xyz; lang=en", "abc123xyz"),
    ],
)
def test_the_session_is_the_session_cookie(cookie, expected):
    creds = auth.credentials(raw(cookie=cookie))
    assert creds == auth.Credentials(expected, None)


def test_a_dict_of_headers_reads_as_the_raw_pairs():
    pairs = raw(cookie="sessionid=s1", authorization="Token t1")
    assert auth.credentials(auth.request_headers(pairs)) == auth.credentials(pairs)
    assert auth.credentials({"cookie": "sessionid=s1"}) == auth.Credentials("s1", None)
    assert auth.credentials({}) == auth.Credentials(None, None)


def test_headers_read_before_are_not_read_again():
    """A tile stream repeats the same headers: their credentials are remembered."""
    pairs = raw(cookie="sessionid=s1", authorization="Token t1")
    first = auth.credentials(pairs)
    assert auth.credentials(list(pairs)) is first
    assert auth.credentials(raw(cookie="sessionid=s2", authorization="Token t1")) is not first


def test_the_headers_remembered_are_bounded_in_number_and_length():
    for i in range(auth.MAX_READ + 10):
        assert auth.credentials(raw(cookie=f"sessionid=s{i}")).session == f"s{i}"
        assert len(auth._read) <= auth.MAX_READ
    auth._read.clear()
    cookie = "sessionid=" + "x" * (auth.MAX_READ_LENGTH - len("sessionid="))
    assert auth.credentials(raw(cookie=cookie, authorization="Token k")).token == "k"
    assert len(auth._read) == 0  # 4097 characters in all: read, not kept
    assert auth.credentials(raw(cookie=cookie)).session == "x" * 4086
    assert len(auth._read) == 1  # exactly 4096: kept
    # What is remembered is what reading again gives.
    again = auth.credentials(raw(cookie=cookie))
    assert again == auth.Credentials("x" * 4086, None)


# --- sessions -------------------------------------------------------------------------------


@pytest.mark.parametrize("owner_first", [True, False], ids=["owner-first", "stranger-first"])
def test_two_sessions_in_one_process_are_each_their_own_user(users, owner_first):
    owner, other = users["owner"], users["other"]
    _c1, owner_creds = session_creds(owner)
    _c2, other_creds = session_creds(other)
    order = [(owner, owner_creds), (other, other_creds)]
    if not owner_first:
        order.reverse()
    for user, creds in order:
        assert auth.peek_request_user(creds) == (False, None)  # nothing known yet
        assert is_user(auth.request_user(creds), user)
    for _round in range(2):  # now from the caches, without I/O
        for user, creds in order:
            found, seen = auth.peek_request_user(creds)
            assert found and is_user(seen, user)
            assert is_user(auth.request_user(creds), user)
            assert is_user(auth.request_user(creds, api=False), user)
            assert not auth.session_ended(creds)


def test_a_made_up_session_is_an_ended_one(users):
    creds = auth.credentials(raw(cookie="sessionid=madeupmadeupmadeupmadeup12"))
    assert not auth.session_ended(creds)  # not known yet
    user = auth.request_user(creds)
    assert isinstance(user, auth.EndedSession) and not user.is_authenticated
    assert auth.session_ended(creds)
    assert auth.peek_request_user(creds) == (True, user)
    assert auth.session_ended(auth.credentials(raw(cookie="sessionid="))) is False  # unread


def test_a_session_without_a_user_is_anonymous_not_ended(users):
    store = SessionStore()
    store["seen"] = True
    store.create()
    creds = auth.credentials(raw(cookie=f"sessionid={store.session_key}"))
    user = auth.request_user(creds)
    assert not user.is_authenticated and not isinstance(user, auth.EndedSession)
    assert not auth.session_ended(creds)
    assert not auth.session_ended(auth.credentials(raw()))  # no cookie: never ended


def test_user_for_session_asks_django(users):
    client, creds = session_creds(users["member"])
    assert is_user(auth.user_for_session(creds.session), users["member"])
    assert isinstance(auth.user_for_session("nosuchsessionnosuchsession"), auth.EndedSession)


# --- tokens ---------------------------------------------------------------------------------


@pytest.mark.parametrize("owner_first", [True, False], ids=["owner-first", "stranger-first"])
def test_two_tokens_in_one_process_are_each_their_own_user(users, owner_first):
    owner, other = users["owner"], users["other"]
    _t1, owner_creds = token_creds(owner)
    _t2, other_creds = token_creds(other)
    order = [(owner, owner_creds), (other, other_creds)]
    if not owner_first:
        order.reverse()
    for user, creds in order:
        assert auth.peek_request_user(creds) == (False, None)
        assert is_user(auth.request_user(creds), user)
    for _round in range(2):
        for user, creds in order:
            found, seen = auth.peek_request_user(creds)
            assert found and is_user(seen, user)
            assert is_user(auth.request_user(creds), user)
            # A plain Django view knows no tokens: anonymous there.
            assert auth.peek_request_user(creds, api=False) == (True, AnonymousUser())
            assert not auth.request_user(creds, api=False).is_authenticated


def test_a_refused_token_is_none_and_not_remembered(users):
    creds = auth.credentials(raw(authorization="Token " + "a" * 40))
    assert auth.request_user(creds) is None  # DRF: 401
    assert auth.peek_request_user(creds) == (False, None)  # a failure is not kept
    # A token made with that key (bulk_create: no signal tells the caches) works at once.
    Token.objects.bulk_create([Token(key="a" * 40, user=users["granted"])])
    assert is_user(auth.request_user(creds), users["granted"])
    assert auth.peek_request_user(creds)[0]


def test_a_malformed_token_header_is_refused_without_a_look_up(users, django_assert_num_queries):
    creds = auth.credentials(raw(authorization="Token a b"))
    with django_assert_num_queries(0):
        assert auth.request_user(creds) is None
        assert auth.peek_request_user(creds) == (True, None)
    # A plain Django view ignores the header.
    assert auth.peek_request_user(creds, api=False) == (True, AnonymousUser())
    assert auth.request_user(creds, api=False) == AnonymousUser()


def test_no_credentials_is_anonymous_without_a_look_up(django_assert_num_queries):
    creds = auth.credentials(raw())
    with django_assert_num_queries(0):
        assert auth.peek_request_user(creds) == (True, AnonymousUser())
        assert auth.request_user(creds) == AnonymousUser()


def test_a_signed_in_session_comes_before_the_token(users):
    """DRF's order: the session first; its token only counts when no one is signed in."""
    client = Client()
    client.force_login(users["owner"])
    token = Token.objects.create(user=users["other"])
    both = auth.credentials(
        raw(
            cookie=f"sessionid={client.cookies['sessionid'].value}",
            authorization=f"Token {token.key}",
        )
    )
    assert is_user(auth.request_user(both), users["owner"])
    assert is_user(auth.peek_request_user(both)[1], users["owner"])
    # An ended session with a token: the token's user (the session is anonymous).
    ended = auth.credentials(
        raw(cookie="sessionid=endedendedendedendedended1", authorization=f"Token {token.key}")
    )
    assert auth.peek_request_user(ended) == (False, None)
    assert is_user(auth.request_user(ended), users["other"])
    assert is_user(auth.peek_request_user(ended)[1], users["other"])
    assert auth.session_ended(ended)
    # The ended session with a malformed token: refused (401), as DRF refuses it.
    bad = auth.credentials(
        raw(cookie="sessionid=endedendedendedendedended1", authorization="Token")
    )
    assert auth.request_user(bad) is None
    assert auth.peek_request_user(bad) == (True, None)
    # The session known, the token not yet: not known without I/O.
    unknown = auth.credentials(
        raw(cookie="sessionid=endedendedendedendedended1", authorization="Token " + "b" * 40)
    )
    assert auth.peek_request_user(unknown) == (False, None)


def test_user_for_token(users):
    token = Token.objects.create(user=users["member"])
    assert is_user(auth.user_for_token(token.key), users["member"])
    assert auth.user_for_token("c" * 40) is None


def test_the_token_authentication_is_drfs_with_a_memory(users, django_assert_num_queries):
    token = Token.objects.create(user=users["member"])
    authentication = auth.CachedTokenAuthentication()
    with django_assert_num_queries(1):  # the token and its user in one query
        user, found = authentication.authenticate_credentials(token.key)
        assert is_user(user, users["member"]) and found.key == token.key
    with django_assert_num_queries(0):  # remembered
        user, found = authentication.authenticate_credentials(token.key)
    assert is_user(user, users["member"]) and found.key == token.key
    with pytest.raises(AuthenticationFailed, match="Invalid token"):
        authentication.authenticate_credentials("d" * 40)
    # An inactive user's token: DRF's own refusal, and nothing remembered.
    inactive = Token.objects.create(user=users["other"])
    type(users["other"]).objects.filter(pk=users["other"].pk).update(is_active=False)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed, match="User inactive or deleted"):
            authentication.authenticate_credentials(inactive.key)
    assert auth._tokens.peek(inactive.key) == (False, None)


def test_the_session_backend_remembers_users(users, django_assert_num_queries):
    backend = auth.CachedModelBackend()
    owner = users["owner"]
    assert is_user(backend.get_user(owner.pk), owner)
    with django_assert_num_queries(0):
        assert is_user(backend.get_user(owner.pk), owner)
    assert backend.get_user(10**9) is None
    auth.forget_user(owner.pk)
    with django_assert_num_queries(1):
        assert is_user(backend.get_user(owner.pk), owner)


# --- changes: at once here, and no one else's identity forgotten ---------------------------


def both_known(users):
    """The owner and the other user, each by session and by token, all remembered."""
    known = {}
    for name in ("owner", "other"):
        client, by_session = session_creds(users[name])
        token, by_token = token_creds(users[name])
        for creds in (by_session, by_token):
            assert is_user(auth.request_user(creds), users[name])
        known[name] = {
            "client": client,
            "token": token,
            "session": by_session,
            "by token": by_token,
        }
    return known


def still_known_without_io(creds, user, django_assert_num_queries):
    with django_assert_num_queries(0):
        found, seen = auth.peek_request_user(creds)
        assert found and is_user(seen, user)
        assert is_user(auth.request_user(creds), user)


@pytest.mark.parametrize("leaving", ["owner", "other"])
def test_a_logout_ends_that_session_at_once_and_no_one_elses(
    users, leaving, django_assert_num_queries
):
    known = both_known(users)
    staying = "other" if leaving == "owner" else "owner"
    assert known[leaving]["client"].post("/accounts/logout/").status_code == 302
    assert not auth.request_user(known[leaving]["session"]).is_authenticated
    assert auth.session_ended(known[leaving]["session"])
    assert is_user(auth.request_user(known[leaving]["by token"]), users[leaving])  # not the token
    for kind in ("session", "by token"):
        still_known_without_io(known[staying][kind], users[staying], django_assert_num_queries)


@pytest.mark.parametrize("losing", ["owner", "other"])
def test_a_deleted_token_is_refused_at_once_and_no_one_elses(
    users, losing, django_assert_num_queries
):
    known = both_known(users)
    staying = "other" if losing == "owner" else "owner"
    known[losing]["token"].delete()
    assert auth.request_user(known[losing]["by token"]) is None
    assert is_user(auth.request_user(known[losing]["session"]), users[losing])
    for kind in ("session", "by token"):
        still_known_without_io(known[staying][kind], users[staying], django_assert_num_queries)
    with django_assert_num_queries(0):  # the other user's token is still remembered
        assert is_user(auth.user_for_token(known[staying]["token"].key), users[staying])


@pytest.mark.parametrize("losing", ["owner", "other"])
def test_a_deactivated_user_loses_sessions_and_tokens_at_once(
    users, losing, django_assert_num_queries
):
    known = both_known(users)
    staying = "other" if losing == "owner" else "owner"
    users[losing].is_active = False
    users[losing].save()
    assert not auth.request_user(known[losing]["session"]).is_authenticated
    assert auth.request_user(known[losing]["by token"]) is None
    for kind in ("session", "by token"):
        still_known_without_io(known[staying][kind], users[staying], django_assert_num_queries)


def test_a_deleted_user_loses_sessions_and_tokens_at_once(users, django_assert_num_queries):
    known = both_known(users)
    users["other"].delete()
    assert not auth.request_user(known["other"]["session"]).is_authenticated
    assert auth.request_user(known["other"]["by token"]) is None
    for kind in ("session", "by token"):
        still_known_without_io(known["owner"][kind], users["owner"], django_assert_num_queries)


def test_forget_user_forgets_only_that_user(users, django_assert_num_queries):
    known = both_known(users)
    auth.forget_user(users["owner"].pk)
    for kind in ("session", "by token"):
        assert auth.peek_request_user(known["owner"][kind]) == (False, None)
        still_known_without_io(known["other"][kind], users["other"], django_assert_num_queries)
    with django_assert_num_queries(0):
        assert is_user(auth.CachedModelBackend().get_user(users["other"].pk), users["other"])
        assert is_user(auth.user_for_token(known["other"]["token"].key), users["other"])
    assert auth._users.peek(users["owner"].pk) == (False, None)
    assert auth._tokens.peek(known["owner"]["token"].key) == (False, None)


def test_forget_everyone_forgets_everyone(users):
    known = both_known(users)
    auth.forget_everyone()
    for name in ("owner", "other"):
        for kind in ("session", "by token"):
            assert auth.peek_request_user(known[name][kind]) == (False, None)
        assert auth._users.peek(users[name].pk) == (False, None)
        assert auth._tokens.peek(known[name]["token"].key) == (False, None)


def test_a_change_no_signal_announces_is_seen_within_the_cache_time(users, monkeypatch):
    """A queryset ``update`` sends no signal: the identity lives on until it expires,
    ``USER_CACHE_SECONDS`` after it was read, and not a moment longer."""
    known = both_known(users)
    now = [0.0]
    clock = auth._identities.clock
    start = clock()
    for cache in (auth._users, auth._tokens, auth._identities):
        monkeypatch.setattr(cache, "clock", lambda: start + now[0])
    type(users["owner"]).objects.filter(pk=users["owner"].pk).update(is_active=False)
    now[0] = auth.USER_CACHE_SECONDS - 1
    assert is_user(auth.request_user(known["owner"]["session"]), users["owner"])
    now[0] = auth.USER_CACHE_SECONDS + 1
    assert auth.peek_request_user(known["owner"]["session"]) == (False, None)
    assert not auth.request_user(known["owner"]["session"]).is_authenticated
    assert auth.request_user(known["owner"]["by token"]) is None
