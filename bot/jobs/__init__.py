"""Background jobs: SLA reminders, the service-health monitor, service-request sync, the support profile."""
