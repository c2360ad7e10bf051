-- Joining a co-op takes the member's consent (issue 16, item 7).
--
-- A co-op's owner no longer enrols a console account: they invite an
-- e-mail address, and the account with that (verified) address accepts or
-- declines on the console. Until it accepts it is not a member and has no
-- access. The invitation is stored for the address, whether or not an
-- account has it, so the owner's answer is the same for known and unknown
-- addresses (no enumeration). Accepting or declining deletes the row (the
-- audit log keeps what happened); an invitation not answered expires.
--
-- The TOTP code that confirms enrolment (or signs in) cannot be used again
-- (item 8): accounts remember the last time step a code was accepted for,
-- and a code of the same or an earlier step is refused.

-- +goose Up
CREATE TABLE coop_invitations (
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    email       text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    role        text NOT NULL CHECK (role IN ('node_operator', 'dashboard_operator')),
    invited_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL DEFAULT now() + interval '14 days',
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email)
);
-- The invitee's console lists its invitations across co-ops by address.
CREATE INDEX coop_invitations_email ON coop_invitations (email);
SELECT app_enable_tenant_rls('coop_invitations');

ALTER TABLE accounts ADD COLUMN totp_last_step bigint;

-- +goose Down
ALTER TABLE accounts DROP COLUMN totp_last_step;
DROP TABLE coop_invitations;
