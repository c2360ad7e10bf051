-- A payment method id is unique per Stripe account, not across the
-- platform (and Stripe's test cards, e.g. pm_card_visa, share one id):
-- key saved cards by the customer account too.

-- +goose Up
ALTER TABLE payment_methods DROP CONSTRAINT payment_methods_pkey;
ALTER TABLE payment_methods ADD PRIMARY KEY (account_id, id);

-- +goose Down
ALTER TABLE payment_methods DROP CONSTRAINT payment_methods_pkey;
ALTER TABLE payment_methods ADD PRIMARY KEY (id);
