-- Fixed-window rate limits, counted in PostgreSQL so that the count is
-- atomic on both runtimes (Workers KV has no atomic increment and may serve
-- a count a minute old at another location). Written only by the shared
-- HTTP layer (crates/http-kit/src/rate_limit.rs).
CREATE TABLE rate_limit_windows (
    key         text PRIMARY KEY,
    count       integer NOT NULL CHECK (count > 0),
    reset_at    timestamptz NOT NULL
);

CREATE INDEX idx_rate_limit_windows_reset_at ON rate_limit_windows (reset_at);
