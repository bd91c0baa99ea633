"""curate: audit a dataset before training, report, gate and clean it."""
