-- Organisations and who belongs to them. The authorisation policies of
-- every service ask "is this user an active member (or a manager) of this
-- organisation?", so the tables arrive with accounts; the organisation
-- service builds on them.

CREATE TABLE organizations (
    id                              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                            varchar(255) NOT NULL CHECK (length(btrim(name)) > 0),
    slug                            varchar(255) NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    description                     text,
    logo_url                        text,
    website_url                     text,
    primary_connect_account_user_id text REFERENCES users (id) ON DELETE SET NULL,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    deleted_at                      timestamptz
);

CREATE INDEX idx_organizations_slug ON organizations (slug);
CREATE UNIQUE INDEX idx_unique_org_slug ON organizations (slug) WHERE deleted_at IS NULL;

CREATE TRIGGER set_updated_at BEFORE UPDATE ON organizations
FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE organization_memberships (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            varchar(50) NOT NULL DEFAULT 'member'
                    CONSTRAINT check_membership_role
                    CHECK (role IN ('owner', 'admin', 'creator', 'subscriber', 'member')),
    status          varchar(50) NOT NULL DEFAULT 'active'
                    CONSTRAINT check_membership_status
                    CHECK (status IN ('active', 'inactive', 'invited')),
    invited_by      text REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX idx_unique_org_membership ON organization_memberships (organization_id, user_id);
CREATE INDEX idx_org_memberships_user_id ON organization_memberships (user_id);
CREATE INDEX idx_org_memberships_role ON organization_memberships (organization_id, role);
CREATE INDEX idx_org_memberships_status ON organization_memberships (organization_id, status);
CREATE INDEX idx_org_memberships_org_active_role ON organization_memberships (organization_id, status, role)
    WHERE status = 'active';

CREATE TRIGGER set_updated_at BEFORE UPDATE ON organization_memberships
FOR EACH ROW EXECUTE FUNCTION set_updated_at();
