"""Notification of early-warning alerts: render, send (webhook, e-mail), and the outbox loop.

Detection (`indicators.early_warning`) only queues `alert_deliveries` rows in
the transaction that opens or grows an alert; `notify.outbox.deliver_due`
sends them later, from its own scheduler job, so a slow or dead receiver can
never delay or break ingest and detection. Dependencies: notify -> indicators;
nothing in ingest, indicators or dashboard imports notify.
"""
