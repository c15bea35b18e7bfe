"""The Teams side, by role: edge/ (the SDK adapter, authentication, web routes), turns/ (one activity routed to a
feature), features/, outbox/ (the outbound sender), jobs/ (background work); runtime.py wires them together."""
