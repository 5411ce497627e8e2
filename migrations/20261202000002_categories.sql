-- Categories: how a creator or an organisation groups its content. One
-- space per organisation, and one personal space per creator (no
-- organisation). Slugs are unique among a space's live categories.
CREATE TABLE categories (
    id              uuid PRIMARY KEY,
    organization_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
    creator_id      text NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    slug            text NOT NULL CHECK (length(slug) BETWEEN 1 AND 120),
    description     text CHECK (length(description) <= 500),
    icon            text CHECK (length(icon) <= 64),
    cover_image_key text CHECK (length(cover_image_key) <= 500),
    sort_order      integer NOT NULL DEFAULT 0 CHECK (sort_order >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);

CREATE UNIQUE INDEX categories_slug_per_org ON categories (organization_id, slug)
    WHERE organization_id IS NOT NULL AND deleted_at IS NULL;
CREATE UNIQUE INDEX categories_slug_personal ON categories (creator_id, slug)
    WHERE organization_id IS NULL AND deleted_at IS NULL;
CREATE INDEX categories_org_order ON categories (organization_id, sort_order) WHERE deleted_at IS NULL;

-- Which categories a piece of content is in.
CREATE TABLE content_categories (
    content_id  uuid NOT NULL REFERENCES content (id) ON DELETE CASCADE,
    category_id uuid NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    PRIMARY KEY (content_id, category_id)
);
CREATE INDEX content_categories_category ON content_categories (category_id);
