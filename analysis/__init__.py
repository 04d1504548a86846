"""Analysis on tables only (no JAX): the results store, Elo fits, pair scheduling, the compute
frontier and exchange-rate fits, their bootstrap, design checks, figures and reports.

Modules: `store` (SQLite results), `elo` (Bradley–Terry ratings), `elo_io` (match CSVs and the
store into the Elo fit, agent tables out, ids kept), `schedule` (which pairs to play), `agents`
(the agent table: checks, zero point, the frontier's simulation count), `bootstrap` (the one
bootstrap: runs resampled, ratings redrawn; estimates with intervals), `frontier`, `exchange`,
`synthetic` (agents drawn from Jones's model at a design), `design` (what a design can measure),
`plots`, `report`, `reference` (Jones's numbers), `tables` (CSV tables).
"""
