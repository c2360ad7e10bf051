-- The grid simulator's state, shared by every process (ARCHITECTURE.md §5a):
-- the simulator is deterministic from its seed, so its state is the seed
-- plus the ordered journal of every call that changed it. Each process
-- replays what it has not seen yet before each call, under an advisory
-- lock for calls that change the world (grid/simstore). Simulator only: no
-- tenant data. Ops are sealed (they carry recovery phrases and QSFS keys).

-- +goose Up
CREATE TABLE gridsim_journal (
    world   text NOT NULL,        -- the simulator's configuration (seed, sizes)
    seq     bigint NOT NULL,
    op      text NOT NULL,        -- sealed JSON of the call
    at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (world, seq)
);

-- +goose Down
DROP TABLE gridsim_journal;
