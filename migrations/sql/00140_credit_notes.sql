-- Credit notes: the document of a refund (invoices follow-up).
--
-- A refund to the card (an admin's, a cancellation's, a failed
-- deployment's) and a lost dispute each issue one credit note, in the
-- transaction that records the money going back. It corrects the invoice it
-- references (invoice_number), copies that invoice's seller and customer,
-- and lists the refunded amount as negative lines.
--
-- credit_note_counters: one row per tenant and year holding the last number
-- issued (CN-2026-0001, CN-2026-0002, ...), incremented in the refund's
-- transaction as invoice_counters is: no gaps, no duplicates, and a
-- sequence of its own, apart from the invoices'.
--
-- credit_notes.source_ref is the event that refunded (the charge and its
-- refunded total, or the dispute): a webhook delivered twice finds it taken
-- and makes no second credit note.

-- +goose Up
CREATE TABLE credit_note_counters (
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    year        int NOT NULL,
    last_number bigint NOT NULL CHECK (last_number > 0),
    PRIMARY KEY (tenant_id, year)
);
SELECT app_enable_tenant_rls('credit_note_counters');

CREATE TABLE credit_notes (
    tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    year           int NOT NULL,
    number         bigint NOT NULL CHECK (number > 0),
    order_id       uuid NOT NULL REFERENCES orders(id),
    invoice_number bigint NOT NULL,
    account_id     uuid NOT NULL,
    source         text NOT NULL CHECK (source IN ('refund', 'dispute_lost')),
    source_ref     text NOT NULL,
    issued_at      timestamptz NOT NULL DEFAULT now(),
    seller_name    text NOT NULL,
    seller_address text NOT NULL DEFAULT '',
    seller_tax_id  text NOT NULL DEFAULT '',
    seller_email   text NOT NULL DEFAULT '',
    customer_email text NOT NULL,
    card_brand     text NOT NULL DEFAULT '',
    card_last4     text NOT NULL DEFAULT '',
    description    text NOT NULL DEFAULT '',
    currency       text NOT NULL,
    lines          jsonb NOT NULL DEFAULT '[]',
    amount_cents   bigint NOT NULL CHECK (amount_cents > 0), -- given back; the lines sum to its negative
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, year, number),
    UNIQUE (tenant_id, source_ref),
    FOREIGN KEY (tenant_id, invoice_number) REFERENCES invoices (tenant_id, number)
);
CREATE INDEX credit_notes_order ON credit_notes (tenant_id, order_id, issued_at);
SELECT app_enable_tenant_rls('credit_notes');

-- +goose Down
DROP TABLE credit_notes;
DROP TABLE credit_note_counters;
