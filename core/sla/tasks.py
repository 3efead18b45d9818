"""Makes `manage.py crontab` find the periodic jobs: it imports `<app>.tasks` of each installed
app, and the `tasks` package loads every actor module (tasks/sla.py declares the SLA scan)."""

import tasks  # noqa: F401
