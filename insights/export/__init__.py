"""The data-lake export: the facts as Parquet, partitioned by date, with a manifest per run
(docs/insights.md). `run_export` is the entry point; `DATASETS` lists what it writes."""
