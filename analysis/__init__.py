"""Analysis on tables only (no JAX): the results store, Elo fits, pair scheduling, the compute
frontier and exchange-rate fits, figures and reports.

Modules: `store` (SQLite results), `elo` (Bradley–Terry ratings), `schedule` (which pairs to play),
`frontier`, `exchange`, `plots`, `report`, `reference` (Jones's numbers), `tables` (CSV tables).
"""
