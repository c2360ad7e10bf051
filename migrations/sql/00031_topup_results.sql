-- What a top-up actually did, not what was quoted: the TFT the swap
-- received (its path payment's result; spent_usdc holds what it sent), and
-- the bridge's deposit fee read from the chain when the deposit was made.

-- +goose Up
ALTER TABLE topups ADD COLUMN received_tft bigint NOT NULL DEFAULT 0;
ALTER TABLE topups ADD COLUMN bridge_fee bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE topups DROP COLUMN bridge_fee;
ALTER TABLE topups DROP COLUMN received_tft;
