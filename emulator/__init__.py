"""A local emulator of the Microsoft APIs the desk calls (Entra ID, Partner Center, Graph), speaking their wire
formats, with demo tenants and switches for faults."""
