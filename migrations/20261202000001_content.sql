-- Content: what a creator publishes (a video, an audio piece or a written
-- piece), free, paid or for an audience, in an organisation or in their
-- personal space. Created as a draft; published once its media is ready.
CREATE TABLE content (
    id                uuid PRIMARY KEY,
    creator_id        text NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    organization_id   uuid REFERENCES organizations (id) ON DELETE SET NULL,
    media_item_id     uuid REFERENCES media_items (id) ON DELETE SET NULL,
    title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    slug              text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 500),
    description       text CHECK (length(description) <= 10000),
    content_type      text NOT NULL CHECK (content_type IN ('video', 'audio', 'written')),
    thumbnail_url     text CHECK (length(thumbnail_url) <= 2048),
    content_body      text CHECK (length(content_body) <= 500000),
    content_body_json jsonb,
    category          text CHECK (length(category) BETWEEN 1 AND 100),
    tags              jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tags) = 'array'),
    shader_preset     text CHECK (length(shader_preset) <= 50),
    shader_config     jsonb CHECK (shader_config IS NULL OR jsonb_typeof(shader_config) = 'object'),
    access_type       text NOT NULL DEFAULT 'free'
        CHECK (access_type IN ('free', 'paid', 'followers', 'subscribers', 'team')),
    price_cents       integer CHECK (price_cents BETWEEN 0 AND 10000000),
    -- The subscription tier that unlocks it; tiers come with subscriptions.
    minimum_tier_id   uuid,
    status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at      timestamptz,
    featured          boolean NOT NULL DEFAULT false,
    view_count        integer NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    purchase_count    integer NOT NULL DEFAULT 0 CHECK (purchase_count >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz,
    CONSTRAINT content_published_has_date CHECK (status <> 'published' OR published_at IS NOT NULL),
    CONSTRAINT content_paid_has_price CHECK (access_type <> 'paid' OR price_cents > 0),
    CONSTRAINT content_written_has_no_media CHECK (content_type <> 'written' OR media_item_id IS NULL)
);

-- A slug names one live piece in its organisation, or in its creator's
-- personal space.
CREATE UNIQUE INDEX content_slug_per_org ON content (organization_id, slug)
    WHERE organization_id IS NOT NULL AND deleted_at IS NULL;
CREATE UNIQUE INDEX content_slug_personal ON content (creator_id, slug)
    WHERE organization_id IS NULL AND deleted_at IS NULL;

CREATE INDEX content_creator ON content (creator_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX content_media_item ON content (media_item_id) WHERE media_item_id IS NOT NULL;
CREATE INDEX content_org_published ON content (organization_id, published_at DESC)
    WHERE status = 'published' AND deleted_at IS NULL;
