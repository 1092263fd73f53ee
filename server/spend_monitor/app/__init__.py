"""The use cases, over one `Services` object. Front ends call these and nothing below them.

services     builds and closes the adapters; the one rule for a ready channel
book         the day's snapshot and computed digest, cached
questions    pace, breakdown, watch, history, runs, customers, preview
publishing   publish (record + post once), repost
acknowledge  snooze an alert
diagnostics  check the set-up
backtest     replay past months
memory       the state store and its degradation, written once
requests     one model per operation: every default and bound
answers      what each use case returns
"""
