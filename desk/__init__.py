"""Partner Desk domain: settings, tickets, SLA, customers and the store. No Bot Framework imports here."""
