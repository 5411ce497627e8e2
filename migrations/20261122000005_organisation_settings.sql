-- Invitations to organisations, per-organisation settings (branding,
-- contact, features: upstream's tables, keyed directly by organisation) and
-- the platform's own settings (one row).

CREATE TABLE organization_invitations (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
    role            varchar(50) NOT NULL CHECK (role IN ('admin', 'creator', 'member')),
    token_hash      text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    status          varchar(20) NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'accepted', 'declined', 'revoked')),
    invited_by      text REFERENCES users (id) ON DELETE SET NULL,
    expires_at      timestamptz NOT NULL,
    responded_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- At most one open invitation per address and organisation.
CREATE UNIQUE INDEX idx_unique_pending_invitation ON organization_invitations (organization_id, email)
    WHERE status = 'pending';
CREATE INDEX idx_invitations_email ON organization_invitations (email) WHERE status = 'pending';

CREATE TRIGGER set_updated_at BEFORE UPDATE ON organization_invitations
FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE branding_settings (
    organization_id      uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    logo_url             text,
    logo_r2_path         text,
    primary_color_hex    varchar(7) NOT NULL DEFAULT '#3B82F6' CHECK (primary_color_hex ~ '^#[0-9A-F]{6}$'),
    secondary_color_hex  varchar(7) CHECK (secondary_color_hex ~ '^#[0-9A-F]{6}$'),
    accent_color_hex     varchar(7) CHECK (accent_color_hex ~ '^#[0-9A-F]{6}$'),
    background_color_hex varchar(7) CHECK (background_color_hex ~ '^#[0-9A-F]{6}$'),
    font_body            varchar(50),
    font_heading         varchar(50),
    radius_value         varchar(10) NOT NULL DEFAULT '0.5',
    density_value        varchar(10) NOT NULL DEFAULT '1',
    hero_layout          varchar(20) NOT NULL DEFAULT 'default',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON branding_settings
FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE contact_settings (
    organization_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    platform_name   varchar(100) NOT NULL DEFAULT 'Codex Platform',
    support_email   text NOT NULL DEFAULT 'support@example.com',
    contact_url     text,
    timezone        varchar(100) NOT NULL DEFAULT 'UTC',
    twitter_url     text,
    youtube_url     text,
    instagram_url   text,
    tiktok_url      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON contact_settings
FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE feature_settings (
    organization_id      uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    enable_signups       boolean NOT NULL DEFAULT true,
    enable_purchases     boolean NOT NULL DEFAULT true,
    enable_subscriptions boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON feature_settings
FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The platform's own settings: exactly one row.
CREATE TABLE platform_configuration (
    id                boolean PRIMARY KEY DEFAULT true CHECK (id),
    platform_name     varchar(100) NOT NULL DEFAULT 'Codex',
    logo_url          text,
    primary_color_hex varchar(7) NOT NULL DEFAULT '#000000' CHECK (primary_color_hex ~ '^#[0-9A-F]{6}$'),
    support_email     text NOT NULL DEFAULT 'support@codex.local',
    enable_signups    boolean NOT NULL DEFAULT true,
    enable_purchases  boolean NOT NULL DEFAULT true,
    updated_by        text REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

INSERT INTO platform_configuration DEFAULT VALUES;

CREATE TRIGGER set_updated_at BEFORE UPDATE ON platform_configuration
FOR EACH ROW EXECUTE FUNCTION set_updated_at();
