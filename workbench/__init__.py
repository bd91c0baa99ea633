"""The base layer every part shares and none writes twice: models, the results store, tabular input, atomic output,
errors and exit codes, the message catalogue and the verdict vocabulary. It imports nothing else of the project."""
