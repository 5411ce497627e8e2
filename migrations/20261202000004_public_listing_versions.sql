-- The version of each public listing scope: `platform` (every listing)
-- and `org:{id}` (an organisation's). A change to published content or to
-- categories raises the versions of its scopes in PostgreSQL, and cached
-- listings are keyed by the version they were read at, so the next read
-- anywhere misses the old copy: the cache is never the truth.
CREATE TABLE public_listing_versions (
    scope      text PRIMARY KEY CHECK (length(scope) <= 100),
    version    bigint NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT now()
);
