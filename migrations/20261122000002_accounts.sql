-- Accounts: users, their sign-in methods, sessions and single-use
-- verification tokens. Table and column names follow the BetterAuth schema
-- the existing front end and tooling know, with these differences:
-- timestamps carry their time zone; e-mail addresses are stored in their
-- normal form (trimmed, lower-case), so the plain unique index is
-- case-insensitive; sessions and verification tokens keep only a SHA-256
-- hash of the secret the client holds; roles are checked.

CREATE TABLE users (
    id                 text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9]{1,64}$'),
    name               text NOT NULL CHECK (length(name) <= 255),
    email              text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
    email_verified     boolean NOT NULL DEFAULT false,
    image              text,
    avatar_url         text,
    role               text NOT NULL DEFAULT 'customer'
                       CHECK (role IN ('customer', 'creator', 'admin', 'system', 'platform_owner')),
    username           text CHECK (username ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(username) <= 50),
    bio                text CHECK (length(bio) <= 500),
    social_links       jsonb,
    stripe_customer_id text,
    deleted_at         timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_email_unique ON users (email);
CREATE UNIQUE INDEX idx_unique_username ON users (username) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX idx_unique_users_stripe_customer_id ON users (stripe_customer_id)
    WHERE stripe_customer_id IS NOT NULL;

CREATE TRIGGER set_updated_at BEFORE UPDATE ON users
FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One row per way a user signs in; `password` holds an argon2id PHC string
-- for provider 'credential'.
CREATE TABLE accounts (
    id                       text PRIMARY KEY,
    account_id               text NOT NULL,
    provider_id              text NOT NULL,
    user_id                  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    access_token             text,
    refresh_token            text,
    id_token                 text,
    access_token_expires_at  timestamptz,
    refresh_token_expires_at timestamptz,
    scope                    text,
    password                 text CHECK (password IS NULL OR password LIKE '$argon2id$%'),
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider_id, account_id)
);

CREATE INDEX accounts_user_id ON accounts (user_id);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON accounts
FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE sessions (
    id          text PRIMARY KEY,
    token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL,
    ip_address  text,
    user_agent  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON sessions
FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Single-use, expiring tokens sent by e-mail (verification, password
-- reset). `identifier` says what the token is for, e.g.
-- 'email-verification:<user id>'; `value` is the token's SHA-256 hash.
CREATE TABLE verification (
    id          text PRIMARY KEY,
    identifier  text NOT NULL,
    value       text NOT NULL UNIQUE CHECK (value ~ '^[0-9a-f]{64}$'),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX verification_identifier_idx ON verification (identifier);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON verification
FOR EACH ROW EXECUTE FUNCTION set_updated_at();
