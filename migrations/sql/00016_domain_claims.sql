-- A custom domain is claimed by verifying it, not by adding it: an
-- unverified claim no longer blocks another tenant (anyone could squat a
-- domain by adding it first), several tenants may hold pending claims, and
-- only one may hold it verified. Pending claims expire (the verification
-- job removes those older than 30 days).

-- +goose Up
ALTER TABLE tenant_domains DROP CONSTRAINT tenant_domains_domain_key;
CREATE UNIQUE INDEX tenant_domains_verified ON tenant_domains (domain) WHERE status = 'verified';
CREATE UNIQUE INDEX tenant_domains_tenant_domain ON tenant_domains (tenant_id, domain);

-- +goose Down
DROP INDEX tenant_domains_tenant_domain;
DROP INDEX tenant_domains_verified;
ALTER TABLE tenant_domains ADD CONSTRAINT tenant_domains_domain_key UNIQUE (domain);
