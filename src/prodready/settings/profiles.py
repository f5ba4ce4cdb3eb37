"""The typed profile: every variable prodready reads, its type, default and doc."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    SecretStr,
    TypeAdapter,
    ValidationError,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from prodready.settings.url_syntax import scheme_of

PoolMode = Literal["native", "persistent", "pgbouncer", "off"]
ProfileName = Literal["dev", "staging", "prod"]
#: URL schemes django-environ maps to a PostgreSQL engine (a test holds this to its table).
POSTGRES_SCHEMES = frozenset(
    {"postgres", "postgresql", "psql", "pgsql", "postgis"}
    | {"prometheus_postgresql", "prometheus_postgis"}
)


def pool_mode_in_force(explicit: str | None, database_url: str) -> PoolMode:
    """Return the pool mode in force: ``explicit``, else native on PostgreSQL, else off.

    Django-free, so that the load tests decide as the app does.
    """
    if explicit:
        return explicit  # type: ignore[return-value]
    return "native" if scheme_of(database_url).lower() in POSTGRES_SCHEMES else "off"


def default_of(field: str) -> Any:
    """Return the library default of the profile variable ``field`` (``ratelimit_timeout``...)."""
    return Profile.model_fields[field].default


def read_variable(variable: str, raw: str | None) -> Any:
    """Validate one variable's raw value as the profile would; its default when unset or empty.

    For readers of a few variables that need not hold the whole profile (the
    load tests read ``WEB_CONCURRENCY``, ``HEALTH_TIMEOUT``... of a deployment).

    Raises:
        ValueError: naming the variable and the form it wants.
    """
    field = Profile.model_fields[variable.lower()]
    if raw is None or not raw.strip():
        return field.default
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(Annotated[field.annotation, field])  # type: ignore[arg-type]
        return adapter.validate_python(raw.strip())
    except ValidationError:
        meta = field_meta(variable)
        raise ValueError(
            f"{variable}={raw.strip()[:60]!r} is not valid; expected {meta['form']}"
        ) from None


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _trusted_proxies(value: str) -> str:
    # Imported when used, as the loader imports the rule parser: this module
    # stays free of the rate-limit package and the Django machinery it imports.
    from prodready.ratelimit.identity import parse_trusted_proxies

    parse_trusted_proxies(value)  # raises ValueError with a sentence
    return value.strip()


def _var(
    description: str,
    form: str,
    example: str,
    default: Any = None,
    **constraints: Any,
) -> Any:
    """Declare a field with what the docs and error messages need to say about it."""
    return Field(
        default,
        description=description,
        json_schema_extra={"form": form, "example": example},
        **constraints,
    )


class Profile(BaseSettings):
    """A validated dev, staging or prod configuration.

    Build one with :func:`prodready.load_profile`, which reads the environment,
    the profile's env file, ``.env`` and secret files in a declared order; then
    call :meth:`django_settings` for the Django settings it implies.
    """

    model_config = SettingsConfigDict(
        frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False
    )
    # Warnings about the sources (variables that look like prodready's but are
    # not), set by prodready.load_profile(); see the warnings property.
    _warnings: tuple[str, ...] = PrivateAttr(default=())

    app_profile: ProfileName = _var(
        "Which profile to load: dev, staging or prod.", "one of dev, staging, prod", "prod", "dev"
    )
    secret_key: SecretStr | None = _var(
        "Django's SECRET_KEY. Required outside dev; prod wants 50+ random characters.",
        "a random string of 50 or more characters",
        "$(python -c 'import secrets; print(secrets.token_urlsafe(50))')",
    )
    debug: bool = _var("Django's DEBUG. prod refuses true.", "true or false", "false", False)
    allowed_hosts: Annotated[tuple[str, ...], BeforeValidator(_split_commas)] = _var(
        "Comma-separated host names the site serves. Required when DEBUG is off; prod refuses '*'.",
        "comma-separated host names",
        "api.example.com,www.example.com",
        (),
    )
    secure_ssl_redirect: bool = _var(
        "Redirect plain HTTP to HTTPS (behind a TLS proxy that sets X-Forwarded-Proto).",
        "true or false",
        "true",
        True,
    )
    secure_hsts_seconds: int | None = _var(
        "Strict-Transport-Security max-age in seconds (staging and prod; default 3600 in "
        "staging, 31536000 in prod); 0 sends no header.",
        "a whole number of seconds from 0 to 63072000",
        "31536000",
        ge=0,
        le=63_072_000,
    )
    secure_hsts_include_subdomains: bool = _var(
        "Add includeSubDomains to HSTS: every subdomain must then serve HTTPS. Off unless set.",
        "true or false",
        "false",
        False,
    )
    secure_hsts_preload: bool = _var(
        "Add preload to HSTS, for browsers' preload lists (hard to undo for a year). Off unless "
        "set.",
        "true or false",
        "false",
        False,
    )
    secure_proxy_ssl_header: str = _var(
        "Which request header tells that the client used HTTPS (staging and prod): on "
        "(X-Forwarded-Proto), off (none: the app terminates TLS itself or nothing sets it), "
        "or a header name such as X-Forwarded-Scheme. Only behind a proxy that sets it.",
        "on, off or a header name",
        "on",
        "on",
        pattern=r"^(on|off|[A-Za-z][A-Za-z0-9-]{0,63})$",
    )
    email_url: SecretStr | None = _var(
        "Where e-mail goes, in django-environ's syntax: smtp://, smtp+tls:// or smtp+ssl:// "
        "with USER:PASSWORD@HOST:PORT (password percent-encoded), or consolemail://. Unset: "
        "the project's own MAILERS.",
        "a URL such as smtp+tls://USER:PASSWORD@HOST:587",
        "smtp+tls://app:secret@smtp.example.com:587",
    )
    database_url: SecretStr | None = _var(
        "Database URL in django-environ's syntax. dev defaults to a SQLite file.",
        "a URL such as postgres://USER:PASSWORD@HOST:5432/NAME or sqlite:////path/db.sqlite3",
        "postgres://app:secret@db:5432/app",
    )
    db_pool_mode: PoolMode | None = _var(
        "native (psycopg_pool in Django), persistent (CONN_MAX_AGE), pgbouncer "
        "(transaction-pooling preset) or off. Unset: native on PostgreSQL, off otherwise.",
        "one of native, persistent, pgbouncer, off",
        "native",
    )
    db_pool_min_size: int = _var(
        "Native pool: connections kept open per process.",
        "a whole number from 0 to 1000",
        "2",
        2,
        ge=0,
        le=1000,
    )
    db_pool_max_size: int = _var(
        "Native pool: most connections per process.",
        "a whole number from 1 to 1000",
        "4",
        4,
        ge=1,
        le=1000,
    )
    db_pool_timeout: float = _var(
        "Native pool: seconds a request waits for a free connection before failing.",
        "a number of seconds from 0 to 3600",
        "10",
        10.0,
        ge=0,
        le=3600,
    )
    db_conn_max_age: int | None = _var(
        "Seconds a persistent connection lives (persistent mode; default 600 there, 0 elsewhere).",
        "a whole number of seconds from 0 to 86400",
        "600",
        ge=0,
        le=86400,
    )
    db_connect_timeout: int = _var(
        "Seconds to wait for a new database connection (psycopg's minimum is 2).",
        "a whole number of seconds from 1 to 600",
        "5",
        5,
        ge=1,
        le=600,
    )
    db_statement_timeout: int = _var(
        "Milliseconds a statement may run before PostgreSQL cancels it; 0 means no limit.",
        "a whole number of milliseconds from 0 to 86400000",
        "30000",
        0,
        ge=0,
        le=86_400_000,
    )
    db_max_connections: int | None = _var(
        "The database's connection budget for this app; WEB_CONCURRENCY × DB_POOL_MAX_SIZE "
        "must fit in it.",
        "a whole number from 1 to 1000000",
        "100",
        ge=1,
        le=1_000_000,
    )
    web_concurrency: int = _var(
        "Worker processes per instance (uvicorn reads the same variable).",
        "a whole number from 1 to 512",
        "2",
        1,
        ge=1,
        le=512,
    )
    asgi_threads: int | None = _var(
        "Worker threads per process that run synchronous requests under prodready.asgi "
        "(one thread hop per request). Unset: DB_POOL_MAX_SIZE, as a thread that can never "
        "get a connection only waits.",
        "a whole number from 1 to 256",
        "4",
        ge=1,
        le=256,
    )
    redis_url: SecretStr | None = _var(
        "Redis for the cache and rate limits; unset means a local-memory cache. Reserved "
        "characters in the password are percent-encoded (%2F for /, %40 for @, %23 for #).",
        "a URL such as redis://:PASSWORD@HOST:6379/0 (PASSWORD percent-encoded)",
        "redis://redis:6379/0",
    )
    ratelimit_enabled: bool = _var("Turn rate limiting on or off.", "true or false", "true", True)
    ratelimit_rules: str = _var(
        "';'-separated rules '[METHODS] PATH_PREFIX RATE [KEY]'.",
        "rules such as 'POST /api/ingest/ 100/h user_or_ip; GET /api/ 1000/h ip'",
        "GET /api/ 1000/h ip",
        "",
    )
    ratelimit_trusted_proxies: Annotated[str, AfterValidator(_trusted_proxies)] = _var(
        "Reverse proxies in front of the app whose X-Forwarded-For entries are trusted: "
        "a hop count, or the proxies' CIDRs or addresses, comma-separated.",
        "a hop count ≥ 0, or comma-separated CIDRs or addresses",
        "10.0.0.0/8",
        "0",
    )
    ratelimit_fail_open: bool = _var(
        "When the rate-limit store is unreachable: true allows and logs, false answers 503.",
        "true or false",
        "true",
        True,
    )
    ratelimit_ipv6_prefix: int = _var(
        "IPv6 clients are counted per network of this prefix length (one subscriber "
        "usually holds a /64).",
        "a whole number from 32 to 128",
        "64",
        64,
        ge=32,
        le=128,
    )
    ratelimit_timeout: float = _var(
        "Seconds Redis may take to accept a connection or to answer, as the kernel counts "
        "them (time the app is too busy to read a ready answer does not count); past it, or "
        "at once when refused, the store counts as down and RATELIMIT_FAIL_OPEN applies.",
        "a number of seconds > 0 and ≤ 60",
        "0.5",
        0.5,
        gt=0,
        le=60,
    )
    ratelimit_key_prefix: str = _var(
        "Prefix of every rate-limit counter key in the store.",
        "a short string without spaces",
        "rl",
        "rl",
        pattern=r"^[A-Za-z0-9_.:-]+$",
    )
    ratelimit_redis_cluster: bool = _var(
        "REDIS_URL names a Redis Cluster node (the limiter uses redis-py's cluster client).",
        "true or false",
        "false",
        False,
    )
    health_timeout: float = _var(
        "Seconds a health or readiness answer may take, below Kubernetes' 1 s probe timeout.",
        "a number of seconds > 0 and ≤ 60",
        "0.8",
        0.8,
        gt=0,
        le=60,
    )
    health_cache_seconds: float = _var(
        "Seconds a health result is reused per process, so probe storms cost one check.",
        "a number of seconds from 0 to 3600",
        "1",
        1.0,
        ge=0,
        le=3600,
    )
    health_token: SecretStr | None = _var(
        "A token (16 or more random characters) that unlocks detailed health output when sent "
        "as 'Authorization: Bearer ...'.",
        "a random string of 16 or more characters",
        "$(python -c 'import secrets; print(secrets.token_urlsafe(32))')",
    )
    health_drain_seconds: float = _var(
        "Seconds a worker keeps serving after SIGTERM, readiness answering 503, before it "
        "stops accepting connections; 0 stops at once.",
        "a number of seconds from 0 to 3600",
        "5",
        0.0,
        ge=0,
        le=3600,
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # prodready.settings.sources merges the environment, the profile file,
        # .env and secret files itself, so that it can report where each value
        # came from and read a stand-in environment in tests. The model only
        # validates what it is handed.
        return (init_settings,)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Variables in the sources that look like prodready's but are not, one line each."""
        return self._warnings

    def django_settings(self) -> dict[str, Any]:
        """Return the Django settings this profile implies, ready for ``globals().update()``."""
        # Imported here because the builders import Django, and this module
        # stays Django-free for the load tests. The builders know the model
        # for type checking only: at run time imports go one way, model first.
        from prodready.settings.build import build_settings

        return build_settings(self)

    @property
    def resolved_pool_mode(self) -> PoolMode:
        """The pool mode in force: the explicit one, else native on PostgreSQL, else off."""
        url = self.database_url.get_secret_value() if self.database_url else ""
        return pool_mode_in_force(self.db_pool_mode, url)


def variable(
    description: str,
    form: str,
    example: str,
    default: Any = None,
    **constraints: Any,
) -> Any:
    """Declare a profile variable as prodready declares its own (for :class:`Profile` subclasses).

    Args:
        description: One sentence for ``prodready reference`` and the docs.
        form: What a valid value looks like, for error messages ("a number from 1 to 100").
        example: A valid value, shown as ``NAME=example`` in error messages.
        default: The default; ``None`` for unset.
        **constraints: pydantic's field constraints (``ge``, ``le``, ``pattern``...).

    Type the field ``SecretStr`` to make it a secret: never printed, masked in
    error reports and logs.
    """
    return _var(description, form, example, default, **constraints)


def _is_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return any(_is_secret(arg) for arg in getattr(annotation, "__args__", ()))


def secret_fields(model: type[Profile] = Profile) -> frozenset[str]:
    """Return the field names of ``model`` typed ``SecretStr`` (whose values are secrets)."""
    return frozenset(
        name for name, field in model.model_fields.items() if _is_secret(field.annotation)
    )


SECRET_FIELDS = secret_fields(Profile)


def variable_names(model: type[Profile] = Profile) -> list[str]:
    """Return every environment variable ``model`` reads, in declaration order."""
    return [name.upper() for name in model.model_fields]


def field_meta(variable: str, model: type[Profile] = Profile) -> dict[str, str]:
    """Return the description, form and example of ``variable``.

    A field declared without :func:`variable` gets a generic form and example.
    """
    field = model.model_fields[variable.lower()]
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return {
        "description": field.description or "",
        "form": str(extra.get("form", "a valid value")),
        "example": str(extra.get("example", "...")),
    }
