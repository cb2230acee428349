"""Reports for clauses 12-14, built on facts written at event time.

- `services.reports.facts`: the facts themselves. `case_fact` holds one row per message case (stamps, outcome,
  quality flags), `step_fact` one row per deadline-bearing step (holder, deadline, completion, working minutes,
  breach). Both carry `local_day` (YYYYMMDD) and `local_month` (YYYYMM) in Moscow time, indexed with the body, so a
  report over a month reads only that month's rows. The workflow and the breach register call the recording
  functions in the step's own transaction; `backfill` rebuilds them from the stored history.
- `services.reports.monthly`: the monthly summary of clause 13, computed on the fly from the facts.
- `services.reports.exports`: the summary as XLSX and PDF, the month's raw cases as CSV.
- `services.reports.editions`: published editions, frozen snapshots of a month's summary.
"""
