"""A turn: who is speaking, where, in which language; typed commands and card actions routed to the features;
the services every handler gets."""
