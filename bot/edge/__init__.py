"""The Teams edge: the SDK adapter and its authentication, the allowed serviceUrls, the web routes and what
they accept."""
